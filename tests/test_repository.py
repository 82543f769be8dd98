"""Repository-level promises: README commands, CI entry point, dogfooding."""

from __future__ import annotations

import re
from pathlib import Path

from publisher_check.config import Config
from publisher_check.engine import run

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", quick_start)


def test_readme_opens_with_the_two_newcomer_commands() -> None:
    main_job, test_suite = readme_commands()
    assert main_job.startswith("python3 -m venv .venv && ") and "publisher-check fixtures/sample" in main_job
    assert test_suite.startswith("python3 -m venv .venv && ") and test_suite.endswith(".venv/bin/pytest")


def test_ci_runs_the_readme_test_command() -> None:
    _main_job, test_suite = readme_commands()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_suite in ci.splitlines()
    assert "set -euo pipefail" in ci


def test_reference_implementation_passes_its_own_checker() -> None:
    result = run([REPO / "reference_impl"], Config())
    assert result.publisher_found
    assert result.errors == ()
    assert [f"{v.path.name}:{v.line} {v.rule} {v.message}" for v in result.violations] == []
