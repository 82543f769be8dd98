"""Small helpers shared by the benchmark scripts: process RSS, percentiles, tables, run facts."""

from __future__ import annotations

import datetime
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes(pid: int | str = "self") -> int:
    """Current resident set size of a process (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def peak_rss_self() -> int:
    """Peak RSS of this process since it started (VmHWM).

    Not ``ru_maxrss``: Linux folds the parent's RSS at fork/spawn time into a child's
    ``ru_maxrss``, so a child of a large process would report at least its parent's size.
    """
    with open("/proc/self/status", "rb") as handle:
        for line in handle:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (every process, every core)."""
    with open("/proc/stat", "rb") as handle:
        fields = [int(x) for x in handle.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def wait_for_quiet(max_wait_s: float, threshold_cores: float = 0.3) -> float:
    """Wait (at most ``max_wait_s``) for a second in which the machine is almost idle.

    Other sessions share this machine; their load is reported next to every figure anyway.
    Returns the load, in cores, of the last second observed.
    """
    deadline = time.monotonic() + max_wait_s
    load = 0.0
    while True:
        before = busy_cpu_s()
        time.sleep(1.0)
        load = busy_cpu_s() - before
        if load < threshold_cores or time.monotonic() >= deadline:
            return load


def percentile(sorted_values: Sequence[int], fraction: float) -> int:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return 0
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def mib(value: float) -> str:
    return f"{value / (1024 * 1024):.0f}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], check=False, cwd=REPO, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def run_facts() -> dict[str, object]:
    """Where and when the figures were taken; printed above every table."""
    import activity_publisher

    installed_from = Path(activity_publisher.__file__).resolve().parent.parent
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "repo_commit": _git("rev-parse", "--short", "HEAD") or "unknown",
        "repo_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "project_installed_from": str(installed_from),
        "interpreter": sys.executable,
    }


def facts_line(facts: dict[str, object]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in facts.items())


@dataclass
class ChildUsage:
    returncode: int
    wall_s: float
    cpu_s: float  # user + system of the command and every child it waited for
    max_rss: int  # the largest single process of the command's tree (what /usr/bin/time -v reports)
    tree_rss: int  # the largest sum of RSS over the whole tree at once, sampled every 100 ms
    launcher_rss: int  # RSS of the launcher at spawn: ru_maxrss cannot read below it
    other_cpu_s: float  # CPU the rest of the machine used meanwhile (other processes: noise)


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    stack = [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def _launch(result_path: str, stdout_path: str, timeout: float, command: list[str]) -> None:
    """The launcher process: run ``command``, write its wall time and rusage as JSON.

    Linux folds a parent's RSS at fork/spawn time into the child's ``ru_maxrss``; run from
    this small interpreter instead of the benchmark script, the figure is the command's own.
    """
    import json

    launcher_rss = rss_bytes()
    with open(stdout_path, "wb") as out:
        busy_before, own_before = busy_cpu_s(), time.process_time()
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        peak_tree = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_tree
            while not done.wait(0.1):
                peak_tree = max(peak_tree, sum(rss_bytes(pid) for pid in _descendants(process.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - started
        busy = busy_cpu_s() - busy_before
        done.set()
        sampler.join()
        own = time.process_time() - own_before
    result = {
        "returncode": os.waitstatus_to_exitcode(status),
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "max_rss": usage.ru_maxrss * 1024,
        "tree_rss": max(peak_tree, usage.ru_maxrss * 1024),
        "launcher_rss": launcher_rss,
        "other_cpu_s": max(0.0, busy - own - (usage.ru_utime + usage.ru_stime)),
    }
    with open(result_path, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


def run_measured(
    command: Sequence[str],
    *,
    stdout_path: Path,
    cwd: Path | None = None,
    timeout: float = 900.0,
    env: dict[str, str] | None = None,
) -> ChildUsage:
    """Run a command through the launcher; wall time, CPU time and peak RSS of it and its children."""
    import json
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-measure-") as scratch:
        result_path = Path(scratch) / "usage.json"
        launcher = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--launch",
            str(result_path),
            str(stdout_path),
            str(timeout),
            "--",
            *command,
        ]
        subprocess.run(launcher, cwd=cwd, env=env, check=True, timeout=timeout + 60)
        return ChildUsage(**json.loads(result_path.read_text(encoding="utf-8")))


if __name__ == "__main__" and len(sys.argv) > 5 and sys.argv[1] == "--launch" and sys.argv[5] == "--":
    _launch(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[6:])
