"""The benchmark scripts still run, in their quickest mode on tiny input; no figure is judged.

The peers (segment, posthog, fixit: the ``bench`` extra) are used when installed and skipped by
the scripts otherwise, so this needs nothing beyond the test extra.
"""

from __future__ import annotations

import json
import subprocess
import sys
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
