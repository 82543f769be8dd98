"""Inline expectations (flake8-bugbear style): ``# expect: PUB001, PUB004`` on the flagged line."""

from __future__ import annotations

import re
from pathlib import Path

from publisher_check.config import Config
from publisher_check.engine import run
from publisher_check.ftypes import RunResult

MARKER = re.compile(r"#\s*expect:\s*(PUB\d{3}(?:\s*,\s*PUB\d{3})*)")

Expectation = tuple[str, int, str]  # (relative path, line, rule)


def expected_in(root: Path, rule: str | None = None) -> set[Expectation]:
    found: set[Expectation] = set()
    for path in sorted(root.rglob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            match = MARKER.search(line)
            if match:
                for rule_id in (r.strip() for r in match.group(1).split(",")):
                    if rule is None or rule_id == rule:
                        found.add((path.relative_to(root).as_posix(), number, rule_id))
    return found


def reported_in(root: Path, result: RunResult, rule: str | None = None) -> set[Expectation]:
    return {
        (v.path.resolve().relative_to(root.resolve()).as_posix(), v.line, v.rule)
        for v in result.violations
        if rule is None or v.rule == rule
    }


def check(root: Path, config: Config | None = None) -> RunResult:
    return run([root], config or Config())
