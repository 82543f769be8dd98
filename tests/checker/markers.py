"""Inline expectations (flake8-bugbear style): ``# expect: PUB001, PUB004`` on the flagged line.

A project users read as an example (``fixtures/sample``, the README's first command) carries
no markers: its expectations are in ``tests/data/expectations/<project>.txt``, one
``path:line: rule`` a line."""

from __future__ import annotations

import re
from pathlib import Path

from publisher_check.config import Config
from publisher_check.engine import run
from publisher_check.ftypes import RunResult

MARKER = re.compile(r"#\s*expect:\s*(PUB\d{3}(?:\s*,\s*PUB\d{3})*)")

Expectation = tuple[str, int, str]  # (relative path, line, rule)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EXPECTATIONS = Path(__file__).resolve().parents[1] / "data" / "expectations"


def _listed(root: Path) -> set[Expectation] | None:
    """The expectations kept beside the tests for a fixture project, if it has them."""
    listing = EXPECTATIONS / f"{root.name}.txt"
    if root.resolve().parent != FIXTURES or not listing.is_file():
        return None
    found: set[Expectation] = set()
    for line in listing.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            where, rule_id = line.rsplit(": ", 1)
            path, number = where.rsplit(":", 1)
            found.add((path, int(number), rule_id.strip()))
    return found


def expected_in(root: Path, rule: str | None = None) -> set[Expectation]:
    listed = _listed(root)
    if listed is not None:
        return {e for e in listed if rule is None or e[2] == rule}
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
