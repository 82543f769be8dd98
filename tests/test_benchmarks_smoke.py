"""The benchmark scripts still run, in their quickest mode on tiny input; no figure is judged.

The peers (segment, posthog, fixit: the ``bench`` extra) are used when installed and skipped by
the scripts otherwise, so this needs nothing beyond the test extra.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.timeout(90)
def test_publisher_bench_smoke(tmp_path: Path) -> None:
    out = tmp_path / "publisher.json"
    done = _run("publisher_bench.py", "--smoke", "--json", str(out))
    report = json.loads(out.read_text(encoding="utf-8"))
    ran = {(r["scenario"], r["producers"]) for r in report["results"]}
    for scenario in ("floor", "floor-consumed", "ours-batch", "ours-b1-w4", "ours-b1-w1", "naive-b1"):
        assert {(scenario, 1), (scenario, 4)} <= ran
    for result in report["results"]:
        assert result["p50_ns"] > 0 and result["refused"] == 0, result
        if not result["scenario"].startswith("floor"):  # every event reached the sink, counted once
            assert result["delivered"] == result["events"] and result["e2e_s"] is not None, result
    kinds = {d["kind"]: d for d in report["down"]}
    assert kinds["ours"]["accepted"] <= kinds["ours"]["queue_size"] + 100  # + the batch a worker holds
    assert "| scenario |" in done.stdout and "Targets:" in done.stdout


@pytest.mark.timeout(90)
def test_checker_bench_smoke(tmp_path: Path) -> None:
    out = tmp_path / "checker.json"
    done = _run("checker_bench.py", "--smoke", "--workdir", str(tmp_path / "work"), "--json", str(out))
    report = json.loads(out.read_text(encoding="utf-8"))
    tools = {m["tool"]: m for m in report["measured"]}
    checker = next(m for name, m in tools.items() if name.startswith("publisher-check"))
    assert checker["usage"]["returncode"] == 0 and checker["files"] > 0
    assert tools["libcst parse_module, 1 process"]["usage"]["returncode"] == 0
    assert "| corpus | tool |" in done.stdout and "Targets:" in done.stdout


def test_checker_bench_ratios_are_taken_within_each_run() -> None:
    """With repeats, a ratio is the median of each run's own ratio, not a ratio of medians."""
    sys.path.insert(0, str(BENCHMARKS))
    import checker_bench as bench
    from benchutil import ChildUsage

    def measured(tool: str, wall: float, run: int) -> bench.Measured:
        usage = ChildUsage(0, wall, wall, 50_000_000, 90_000_000, 10_000_000, 0.0)
        return bench.Measured("stdlib", tool, 100, usage, "", "", run)

    # run 0: 1 s vs 10 s (10×); run 1: 2 s vs 60 s (30×); run 2: 4 s vs 80 s (20×). The medians
    # of the times (2 s vs 60 s) would say 30×; run by run the median is 20×.
    runs = [(1.0, 10.0), (2.0, 60.0), (4.0, 80.0)]
    rows: list[bench.Measured] = []
    for run, (ours, fixit) in enumerate(runs):
        rows.append(measured("publisher-check (all rules), cold", ours, run))
        rows.append(measured("fixit lint, 1 rule (NoInheritFromObject)", fixit, run))
    table = {row[0]: row for row in bench.target_rows(rows)}
    row = table["stdlib: cold ≥ 20× fixit one-rule files/s"]
    assert row[2].startswith("20.00 (10.00–30.00)") and row[3] == "met"


@pytest.mark.timeout(90)
def test_publisher_bench_smoke_against_a_sink_that_answers_late(tmp_path: Path) -> None:
    """``--sink-delay-ms``: every event still arrives, and the worker-count verdict is reported."""
    out = tmp_path / "publisher.json"
    done = _run(
        "publisher_bench.py",
        *("--smoke", "--no-down", "--sink-delay-ms", "1", "--producers", "1"),
        *("--scenarios", "ours-b1-w4,ours-b1-w1", "--json", str(out)),
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["plan"]["sink_delay_ms"] == 1.0
    for result in report["results"]:
        assert result["delivered"] == result["events"], result
    assert "the sink answers each POST 1 ms after counting it" in done.stdout
    assert "4 workers e2e beat one (1 producer)" in done.stdout


def test_the_sink_answers_an_event_post_no_sooner_than_its_delay() -> None:
    """The delay is the sink's behaviour (a lower bound, never a speed): events wait, stats do not."""
    sink = subprocess.Popen(
        [sys.executable, str(BENCHMARKS / "sink.py"), "--port", "0", "--delay-ms", "300"], stdout=subprocess.PIPE
    )
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline().split()[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        started = time.monotonic()
        connection.request("POST", "/events", body=b'{"event": "x"}', headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200 and response.read() == b'{"status":"ok"}'
        assert time.monotonic() - started >= 0.3
        connection.request("GET", "/_stats")
        assert json.loads(connection.getresponse().read())["events"] == 1
    finally:
        sink.terminate()
        sink.wait(10)
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "sink.py"), "--delay-ms", "-1"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "--delay-ms must be 0 or more, not -1.0" in done.stderr
