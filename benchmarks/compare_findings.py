"""Same findings before and after a change: two publisher-check builds on the nine labelled SDKs.

    python benchmarks/compare_findings.py --before 28f77b8 --after HEAD       # install both, compare
    python benchmarks/compare_findings.py --before-exe A/bin/publisher-check --after-exe B/bin/publisher-check

A git ref is installed from a clean ``git archive`` of this repository into its own scratch venv
under ``--workdir`` (``src-<commit>``, ``venv-<commit>``; reused when already there), so that
neither build sees the working tree. Each SDK of ``../shared/real-world/labels.json`` is unpacked
by that folder's ``score.py`` and checked as score.py checks it (``publisher-check <root>/<top>
--format json`` run in ``<root>``), with ``--no-cache`` so that both builds parse every file.

What is compared: the JSON report less its ``metrics`` key (session id, durations). Violations
are compared as whole objects (file, line, column, rule, check, message, severity, fixable,
fix), as a multiset; whether they also come in the same order is reported beside. CPU seconds of
each run (the process and the children it waited for, from ``getrusage``) are printed for
information. Exit status 1 when any report differs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
REAL_WORLD = REPO.parent / "shared" / "real-world"


@dataclass
class Checked:
    """One build's report on one SDK, with what the run cost."""

    report: dict[str, Any]
    cpu_s: float
    wall_s: float
    returncode: int


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout.strip()


def install(ref: str, workdir: Path) -> Path:
    """``git archive <ref>`` unpacked and pip-installed (not editable) into a venv of its own.

    Returns the venv's publisher-check. Reused when that commit was installed before."""
    commit = _git("rev-parse", "--short=12", f"{ref}^{{commit}}")
    venv = workdir / f"venv-{commit}"
    exe = venv / "bin" / "publisher-check"
    marker = venv / "installed-from.txt"
    if marker.is_file() and exe.is_file():
        return exe
    source = workdir / f"src-{commit}"
    source.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=REPO, check=True, capture_output=True)
    with tempfile.TemporaryFile() as handle:
        handle.write(archive.stdout)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(source, filter="data")
    print(f"installing {ref} ({commit}) into {venv} ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(source)], check=True)
    marker.write_text(f"{ref} {commit}\n", encoding="utf-8")
    return exe


def targets(folder: Path) -> list[tuple[str, Path, Path]]:
    """(name==version, root, root/top) of each labelled SDK, unpacked by score.py's own ``unpack``."""
    spec = importlib.util.spec_from_file_location("real_world_score", folder / "score.py")
    assert spec is not None and spec.loader is not None
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    found: list[tuple[str, Path, Path]] = []
    for target in json.loads((folder / "labels.json").read_text(encoding="utf-8")):
        root = Path(score.unpack(target["target"]))
        top = os.path.commonpath([str(Path(f).parent) for f in target["files"]])
        found.append((target["target"], root, root / top))
    return found


def check(exe: str, root: Path, path: Path, timeout: float) -> Checked:
    """One run as score.py makes it (plus ``--no-cache``); CPU of the run and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [exe, str(path), "--format", "json", "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        report = {"crash": (done.stdout + done.stderr)[-2000:]}
    report.pop("metrics", None)
    return Checked(report, cpu, wall, done.returncode)


def _canonical(violation: Any) -> str:
    return json.dumps(violation, sort_keys=True)


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs between two reports (less metrics): violations as a multiset, then every other key."""
    lines: list[str] = []
    old = Counter(_canonical(v) for v in before.get("violations", []))
    new = Counter(_canonical(v) for v in after.get("violations", []))
    lines += [f"  only before: {v}" for v in sorted((old - new).elements())]
    lines += [f"  only after:  {v}" for v in sorted((new - old).elements())]
    for key in sorted((set(before) | set(after)) - {"violations"}):
        if before.get(key) != after.get(key):
            lines.append(f"  {key}: {json.dumps(before.get(key))[:300]} -> {json.dumps(after.get(key))[:300]}")
    return lines


def _absolute(exe: str) -> str:
    """An executable given as a path (or a name on PATH), made absolute."""
    found = shutil.which(exe)
    return str(Path(found).resolve()) if found else str(Path(exe).resolve())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="28f77b8", help="git ref of the build before the change")
    parser.add_argument("--after", default="HEAD", help="git ref of the build after it")
    parser.add_argument("--before-exe", default=None, help="an installed publisher-check instead of --before")
    parser.add_argument("--after-exe", default=None, help="an installed publisher-check instead of --after")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "publisher-check-compare")
    parser.add_argument("--real-world", type=Path, default=REAL_WORLD, help="folder with labels.json and score.py")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds one run may take")
    parser.add_argument("--json", type=Path, default=None, help="also write both reports per SDK here")
    args = parser.parse_args(argv)

    args.workdir.mkdir(parents=True, exist_ok=True)
    # Absolute paths: every run starts in the SDK's folder, as score.py runs it.
    builds = {
        "before": _absolute(args.before_exe) if args.before_exe else str(install(args.before, args.workdir)),
        "after": _absolute(args.after_exe) if args.after_exe else str(install(args.after, args.workdir)),
    }
    labels = {
        "before": args.before_exe or f"{args.before} ({_git('rev-parse', '--short', args.before)})",
        "after": args.after_exe or f"{args.after} ({_git('rev-parse', '--short', args.after)})",
    }
    print(f"before: {labels['before']}, after: {labels['after']}\n")
    print("| SDK | violations before | violations after | CPU s before | CPU s after | findings | same order |")
    print("|---|---|---|---|---|---|---|")
    differing = 0
    totals = {"before": 0.0, "after": 0.0}
    details: list[str] = []
    saved: dict[str, Any] = {}
    for name, root, path in targets(args.real_world):
        runs = {side: check(exe, root, path, args.timeout) for side, exe in builds.items()}
        old, new = runs["before"].report, runs["after"].report
        diff = differences(old, new)
        differing += bool(diff)
        for side in totals:
            totals[side] += runs[side].cpu_s
        same_order = [_canonical(v) for v in old.get("violations", [])] == [
            _canonical(v) for v in new.get("violations", [])
        ]
        count_old, count_new = len(old.get("violations", [])), len(new.get("violations", []))
        print(
            f"| {name} | {count_old} | {count_new} | {runs['before'].cpu_s:.2f} | {runs['after'].cpu_s:.2f} | "
            f"{'same' if not diff else '**different**'} | {'yes' if same_order else 'no'} |",
            flush=True,
        )
        if diff:
            details += [f"{name}:", *diff[:40]]
        saved[name] = {side: {"report": run.report, "cpu_s": run.cpu_s, "wall_s": run.wall_s} for side, run in runs.items()}
    print(f"| **total** | | | **{totals['before']:.2f}** | **{totals['after']:.2f}** | {differing} differ | |")
    if details:
        print("\n" + "\n".join(details))
    if args.json is not None:
        args.json.write_text(json.dumps({"builds": labels, "sdks": saved}, indent=1) + "\n", encoding="utf-8")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
