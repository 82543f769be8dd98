"""Checker benchmark: publisher-check against fixit and the bare libcst parse, on code nobody here wrote.

    python benchmarks/checker_bench.py            # stdlib + eight SDKs, every tool (~6-8 min)
    python benchmarks/checker_bench.py --quick    # a 1-in-6 sample of both corpora (~1-2 min)
    python benchmarks/checker_bench.py --smoke    # fixtures/sample only, what the smoke test runs

Corpora (copied into ``--workdir`` so that no tool finds this project's configuration):

- ``stdlib``: the running interpreter's standard library without ``site-packages`` and without
  test folders (``test/``, ``tests/``, ``idle_test/``, so also ``lib2to3/tests``, ``tkinter/test``,
  ``unittest/test`` …);
- ``sdks``: segment-analytics-python, posthog, rudder-sdk-python, mixpanel, amplitude-analytics,
  libhoney, sentry-sdk and opentelemetry-sdk at pinned versions, installed ``--no-deps`` into a
  scratch venv under ``--workdir`` (reused by later runs), their package folders without tests.

Tools, each a subprocess run from a small launcher (wall time, CPU time of it and its children,
peak RSS of its largest process from ``wait4`` and of its whole process tree, sampled):

- ``publisher-check CORPUS --exit-zero`` (all rules, the console script next to this interpreter);
- ``fixit --rules fixit.rules:NoInheritFromObject lint CORPUS`` (one trivial rule) and
  ``fixit lint CORPUS`` (its default rules), if fixit is installed (``pip install -e '.[bench]'``);
  the default rules run on a fixed 1-in-4 sample of each corpus unless ``--fixit-defaults-all``
  (they take ~0.5 s per file: the whole corpus would take ten minutes);
- ``libcst.parse_module`` of every file, one process (the floor of any libcst linter), and the
  same over two processes;
- publisher-check again over unchanged files (warm), only when ``publisher-check --help`` offers
  a cache option; otherwise the table says cold only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchutil import (
    REPO,
    ChildUsage,
    facts_line,
    markdown_table,
    mib,
    run_facts,
    run_measured,
    wait_for_quiet,
)

SDKS: dict[str, tuple[str, ...]] = {
    # distribution==version: the package folders it installs (no tests)
    "segment-analytics-python==2.4.0": ("segment",),
    "posthog==7.91.1": ("posthog",),
    "rudder-sdk-python==2.1.9": ("rudderstack",),
    "mixpanel==5.4.1": ("mixpanel",),
    "amplitude-analytics==1.3.0": ("amplitude",),
    "libhoney==2.4.0": ("libhoney",),
    "sentry-sdk==2.75.0": ("sentry_sdk",),
    "opentelemetry-sdk==1.45.2": ("opentelemetry",),
}
TEST_DIRS = frozenset({"test", "tests", "idle_test", "__pycache__", "site-packages"})
FIXIT_ONE_RULE = "fixit.rules:NoInheritFromObject"

PARSE_FLOOR = r"""
import sys
from pathlib import Path
import libcst

paths = Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()
jobs = int(sys.argv[2])

def parse(path: str) -> int:
    try:
        libcst.parse_module(Path(path).read_bytes())
        return 0
    except Exception:
        return 1

if jobs == 1:
    failures = sum(parse(p) for p in paths)
else:
    import multiprocessing
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        failures = sum(pool.imap_unordered(parse, paths, chunksize=4))
print(f"parsed {len(paths) - failures} of {len(paths)} files")
"""


@dataclass
class Corpus:
    name: str
    root: Path
    files: int
    lines: int
    note: str


@dataclass
class Measured:
    corpus: str
    tool: str
    files: int
    usage: ChildUsage
    log: str
    note: str = ""

    @property
    def files_per_s(self) -> float:
        return self.files / self.usage.wall_s if self.usage.wall_s else 0.0


def _python_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).parts
        if not TEST_DIRS.intersection(relative[:-1]):
            found.append(path)
    return found


def _copy_files(source_root: Path, files: list[Path], target: Path) -> tuple[int, int]:
    if target.exists():
        shutil.rmtree(target)
    lines = 0
    for path in files:
        destination = target / path.relative_to(source_root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        destination.write_bytes(data)
        lines += data.count(b"\n")
    return len(files), lines


def _sample(files: list[Path], every: int) -> list[Path]:
    return files if every <= 1 else files[::every]


def stdlib_corpus(workdir: Path, every: int) -> Corpus:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = _sample(_python_files(stdlib), every)
    count, lines = _copy_files(stdlib, files, workdir / "corpus" / "stdlib")
    sample = f", 1 file in {every}" if every > 1 else ""
    return Corpus(
        "stdlib",
        workdir / "corpus" / "stdlib",
        count,
        lines,
        f"CPython {sys.version.split()[0]} Lib/, no tests{sample}",
    )


def _sdk_venv(workdir: Path) -> Path:
    venv = workdir / "sdk-venv"
    python = venv / "bin" / "python"
    marker = venv / "installed.txt"
    wanted = "\n".join(SDKS) + "\n"
    if marker.exists() and marker.read_text(encoding="utf-8") == wanted:
        return venv
    if venv.exists():
        shutil.rmtree(venv)
    print("installing the SDK corpus into a scratch venv (once) ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", *SDKS], check=True)
    marker.write_text(wanted, encoding="utf-8")
    return venv


def sdk_corpus(workdir: Path, every: int) -> Corpus:
    venv = _sdk_venv(workdir)
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    target = workdir / "corpus" / "sdks"
    files: list[Path] = []
    for folders in SDKS.values():
        for folder in folders:
            files.extend(_python_files(site / folder))
    files = _sample(files, every)
    count, lines = _copy_files(site, files, target)
    versions = ", ".join(SDKS)
    sample = f"; 1 file in {every}" if every > 1 else ""
    return Corpus("sdks", target, count, lines, f"{versions}; package folders without tests{sample}")


def smoke_corpus(workdir: Path) -> Corpus:
    source = REPO / "fixtures" / "sample"
    files = _python_files(source)
    count, lines = _copy_files(source, files, workdir / "corpus" / "sample")
    return Corpus("sample", workdir / "corpus" / "sample", count, lines, "fixtures/sample of this repository")


LARGE_LINES = 50_000


def large_corpus(workdir: Path) -> Corpus:
    """fixtures/sample with its client module grown to ~50,000 lines (issue 16 item 4): the
    client's methods from ``publish`` to ``close`` repeated under new names, so that the
    one file holds thousands of entry points, each with the sample's violations (and fixes)."""
    source = REPO / "fixtures" / "sample"
    files = _python_files(source)
    target = workdir / "corpus" / "large"
    _copy_files(source, files, target)
    client = target / "audit_events" / "client.py"
    text = client.read_text(encoding="utf-8")
    start, end = text.index("    def publish("), text.index("    def __enter__(")
    block = text[start:end]
    copies = max(1, (LARGE_LINES - text.count("\n")) // block.count("\n"))
    grown = "".join(re.sub(r"def (\w+)\(", rf"def \1_{i}(", block) for i in range(copies))
    client.write_text(text[:end] + grown + text[end:], encoding="utf-8")
    lines = sum(p.read_bytes().count(b"\n") for p in target.rglob("*.py"))
    return Corpus("large", target, len(files), lines, f"fixtures/sample, client.py grown to {lines:,} lines")


def _script(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def cache_options(publisher_check: str) -> list[str]:
    """The cache options ``publisher-check --help`` offers (``--cache-dir``, ``--no-cache`` …)."""
    done = subprocess.run(
        [publisher_check, "--help"], check=False, capture_output=True, text=True, timeout=60
    )
    return sorted(set(re.findall(r"(--[\w-]*cache[\w-]*)", done.stdout)))


def cache_arguments(options: list[str], folder: Path) -> list[str]:
    """Arguments that turn the cache on in ``folder``; [] when it is on by default (or absent)."""
    with_dir = [option for option in options if "dir" in option and not option.startswith("--no-")]
    if with_dir:
        return [with_dir[0], str(folder)]
    if "--cache" in options:
        return ["--cache"]
    return []


def _scanned(log: Path) -> int | None:
    match = re.search(r"in (\d+) files", log.read_text(encoding="utf-8", errors="replace"))
    return int(match.group(1)) if match else None


def measure_corpus(corpus: Corpus, workdir: Path, args: argparse.Namespace) -> list[Measured]:
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    results: list[Measured] = []
    publisher_check = args.publisher_check or _script("publisher-check")
    fixit = _script("fixit")
    all_files = sorted(str(p) for p in corpus.root.rglob("*.py"))
    file_list = workdir / f"{corpus.name}-files.txt"
    file_list.write_text("\n".join(all_files) + "\n", encoding="utf-8")

    def run(
        tool: str, command: list[str], files: int, note: str = "", env: dict[str, str] | None = None
    ) -> Measured:
        log = logs / f"{corpus.name}-{re.sub(r'[^a-z0-9]+', '-', tool.lower())}.log"
        if args.quiet_wait:
            wait_for_quiet(args.quiet_wait)
        print(f"  {corpus.name}: {tool} ...", file=sys.stderr, flush=True)
        usage = run_measured(command, stdout_path=log, cwd=workdir, timeout=args.timeout, env=env)
        measured = Measured(corpus.name, tool, files, usage, str(log), note)
        results.append(measured)
        print(
            f"    {usage.wall_s:.1f} s, {measured.files_per_s:.1f} files/s, exit {usage.returncode}",
            file=sys.stderr,
            flush=True,
        )
        return measured

    if publisher_check is None:
        raise SystemExit("publisher-check is not installed next to this interpreter (pip install -e .)")
    options = cache_options(publisher_check)
    # A fresh cache folder for this corpus, wherever the tool looks for it: its option, the
    # environment, the XDG cache home, or a folder beside the corpus.
    cache_dir = workdir / f"cache-{corpus.name}"
    for stale in (cache_dir, corpus.root / ".publisher-check-cache", workdir / ".publisher-check-cache"):
        shutil.rmtree(stale, ignore_errors=True)
    cache_args = cache_arguments(options, cache_dir)
    env = {
        **os.environ,
        "PUBLISHER_CHECK_CACHE_DIR": str(cache_dir),
        "XDG_CACHE_HOME": str(cache_dir / "xdg"),
    }
    cold = run(
        "publisher-check (all rules)" + (", cold" if options else ""),
        [publisher_check, str(corpus.root), "--exit-zero", *cache_args],
        corpus.files,
        env=env,
    )
    scanned = _scanned(Path(cold.log))
    if scanned is not None and scanned != corpus.files:
        cold.note = f"scanned {scanned} of the {corpus.files} files (its default excludes)"
    if options:
        run(
            "publisher-check (all rules), warm",
            [publisher_check, str(corpus.root), "--exit-zero", *cache_args],
            corpus.files,
            f"second run over unchanged files ({' '.join(cache_args) or 'cache on by default'})",
            env=env,
        )
    run(
        "libcst parse_module, 1 process",
        [sys.executable, "-c", PARSE_FLOOR, str(file_list), "1"],
        corpus.files,
    )
    run(
        "libcst parse_module, 2 processes",
        [sys.executable, "-c", PARSE_FLOOR, str(file_list), "2"],
        corpus.files,
    )
    if fixit is None:
        print("  fixit is not installed: skipped (pip install -e '.[bench]')", file=sys.stderr)
        return results
    run(
        f"fixit lint, 1 rule ({FIXIT_ONE_RULE.split(':')[1]})",
        [fixit, "--rules", FIXIT_ONE_RULE, "lint", str(corpus.root)],
        corpus.files,
    )
    every = 1 if args.fixit_defaults_all or args.smoke else 4
    if every == 1:
        run("fixit lint, default rules", [fixit, "lint", str(corpus.root)], corpus.files)
    else:
        sample = all_files[::every]
        run(
            f"fixit lint, default rules (1 file in {every})",
            [fixit, "lint", *sample],
            len(sample),
            f"{len(sample)} of the {corpus.files} files",
        )
    return results


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if numerator and denominator else None


def verdicts(measured: list[Measured]) -> list[tuple[str, str, str, str]]:
    """The issue's targets are set on the stdlib; other corpora get the same rows for information."""
    rows: list[tuple[str, str, str, str]] = []

    def row(corpus: str, target: str, figures: str, ratio: str, ok: bool | None) -> None:
        if ok is None:
            verdict = "not measured"
        elif corpus == "stdlib":
            verdict = "met" if ok else "**missed**"
        else:
            verdict = "(no target here) " + ("would meet" if ok else "would miss")
        rows.append((f"{corpus}: {target}", figures, ratio, verdict))

    for corpus in dict.fromkeys(m.corpus for m in measured):
        mine = [m for m in measured if m.corpus == corpus]
        pc = next(m for m in mine if m.tool.startswith("publisher-check") and "warm" not in m.tool)
        warm = next((m for m in mine if "warm" in m.tool), None)
        floor = next((m for m in mine if m.tool == "libcst parse_module, 1 process"), None)
        one_rule = next((m for m in mine if m.tool.startswith("fixit lint, 1 rule")), None)
        if one_rule is not None:
            ratio = _ratio(pc.files_per_s, one_rule.files_per_s)
            row(
                corpus,
                "publisher-check ≥ 10× fixit one-rule files/s",
                f"{pc.files_per_s:.1f} vs {one_rule.files_per_s:.1f} files/s",
                f"{ratio:.1f}×" if ratio else "n/a",
                bool(ratio and ratio >= 10),
            )
        if floor is not None:
            ratio = _ratio(floor.usage.wall_s, pc.usage.wall_s)
            row(
                corpus,
                "publisher-check faster than libcst parse_module of every file (1 process)",
                f"{pc.usage.wall_s:.1f} vs {floor.usage.wall_s:.1f} s",
                f"{ratio:.2f}×" if ratio else "n/a",
                bool(ratio and ratio > 1),
            )
        cores = pc.usage.cpu_s / pc.usage.wall_s if pc.usage.wall_s else 0.0
        row(
            corpus,
            "publisher-check uses both cores (CPU/wall ≥ 1.5)",
            f"CPU {pc.usage.cpu_s:.1f} s / wall {pc.usage.wall_s:.1f} s",
            f"{cores:.2f} cores",
            cores >= 1.5,
        )
        if warm is not None:
            ratio = _ratio(pc.usage.wall_s, warm.usage.wall_s)
            row(
                corpus,
                "warm re-run ≥ 10× faster than cold",
                f"{warm.usage.wall_s:.2f} vs {pc.usage.wall_s:.2f} s",
                f"{ratio:.1f}×" if ratio else "n/a",
                bool(ratio and ratio >= 10),
            )
        else:
            row(
                corpus,
                "warm re-run ≥ 10× faster than cold",
                "cold only: `publisher-check --help` offers no cache option",
                "n/a",
                None,
            )
        runs = [pc] + ([warm] if warm is not None else [])
        peak = max(m.usage.max_rss for m in runs)
        tree = max(m.usage.tree_rss for m in runs)
        row(
            corpus,
            "publisher-check peak RSS < 300 MB",
            f"largest process {peak / 1e6:.0f} MB, whole tree {tree / 1e6:.0f} MB",
            "—",
            peak < 300e6 and tree < 300e6,
        )
    return rows


def render(corpora: list[Corpus], measured: list[Measured], facts: dict[str, object]) -> str:
    parts = [f"Run: {facts_line(facts)}", ""]
    parts.append(
        markdown_table(
            ["corpus", "files", "lines", "what"],
            [[c.name, f"{c.files:,}", f"{c.lines:,}", c.note] for c in corpora],
        )
    )
    rows = []
    for m in measured:
        u = m.usage
        rows.append(
            [
                m.corpus,
                m.tool,
                f"{m.files:,}",
                f"{u.wall_s:.1f}",
                f"{m.files_per_s:.1f}",
                f"{u.cpu_s:.1f}",
                f"{u.cpu_s / u.wall_s:.2f}" if u.wall_s else "—",
                mib(u.max_rss),
                mib(u.tree_rss),
                f"{u.other_cpu_s / u.wall_s:.2f}" if u.wall_s else "—",
                str(u.returncode),
                m.note,
            ]
        )
    parts += [
        "",
        markdown_table(
            [
                "corpus",
                "tool",
                "files",
                "wall s",
                "files/s",
                "CPU s",
                "cores used",
                "peak RSS MiB (largest process)",
                "peak RSS MiB (tree)",
                "other load (cores)",
                "exit",
                "note",
            ],
            rows,
        ),
    ]
    parts += [
        "",
        "Targets:",
        "",
        markdown_table(["target", "figures", "ratio", "verdict"], verdicts(measured)),
    ]
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 1-in-6 sample of each corpus")
    parser.add_argument("--smoke", action="store_true", help="fixtures/sample only (the smoke test)")
    parser.add_argument(
        "--corpora", default="stdlib,sdks,large", help="comma-separated: stdlib, sdks, large (one 50,000-line client)"
    )
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "publisher-check-bench")
    parser.add_argument(
        "--publisher-check", default=None, help="the console script to measure (default: beside python)"
    )
    parser.add_argument(
        "--fixit-defaults-all", action="store_true", help="fixit's default rules on every file, not 1 in 4"
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds one tool may take")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="before each measurement, wait up to this many seconds for the machine to be idle",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write every figure as JSON here")
    args = parser.parse_args(argv)

    args.workdir.mkdir(parents=True, exist_ok=True)
    facts = run_facts()
    corpora: list[Corpus] = []
    if args.smoke:
        corpora.append(smoke_corpus(args.workdir))
    else:
        every = 6 if args.quick else 1
        for name in args.corpora.split(","):
            if name == "stdlib":
                corpora.append(stdlib_corpus(args.workdir, every))
            elif name == "sdks":
                corpora.append(sdk_corpus(args.workdir, every))
            elif name == "large":
                corpora.append(large_corpus(args.workdir))
            elif name:
                parser.error(f"unknown corpus {name!r} (stdlib, sdks, large)")
    publisher_check = args.publisher_check or _script("publisher-check") or "publisher-check"
    cache = cache_options(publisher_check)
    measured: list[Measured] = []
    for corpus in corpora:
        print(
            f"checker benchmark: {corpus.name}, {corpus.files} files, {corpus.lines:,} lines", file=sys.stderr
        )
        measured.extend(measure_corpus(corpus, args.workdir, args))
    print(render(corpora, measured, facts), end="")
    if args.json is not None:
        report: dict[str, Any] = {
            "facts": facts,
            "corpora": [{**asdict(c), "root": str(c.root)} for c in corpora],
            "measured": [{**asdict(m), "files_per_s": m.files_per_s} for m in measured],
            "cache_option": cache,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
