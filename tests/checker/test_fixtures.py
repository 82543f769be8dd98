"""The bundled fixture projects: exactly the marked violations, no more, no fewer."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher_check.config import find_pyproject, load_config

from .markers import check, expected_in, reported_in

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PROJECTS = sorted(
    [p for p in FIXTURES.iterdir() if p.is_dir() and p.name not in ("violations", "no_publisher", "broken")]
    + [p for p in (FIXTURES / "violations").iterdir() if p.is_dir()]
)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture_project(project: Path) -> None:
    result = check(project, load_config(find_pyproject(project)))
    assert result.errors == ()
    assert result.publisher_found
    assert reported_in(project, result) == expected_in(project)


def test_every_rule_has_a_violating_fixture() -> None:
    marked = {rule for p in PROJECTS for _file, _line, rule in expected_in(p)}
    assert marked == {f"PUB{n:03d}" for n in range(1, 18)}


def test_no_publisher_project_is_clean() -> None:
    result = check(FIXTURES / "no_publisher")
    assert not result.publisher_found
    assert result.violations == ()


def test_broken_files_are_reported_not_fatal() -> None:
    project = FIXTURES / "broken"
    result = check(project)
    broken = {e.path.name for e in result.errors}
    assert {"bad_syntax.py", "latin1.py"} & broken == {"bad_syntax.py"} or "bad_syntax.py" in broken
    assert reported_in(project, result) == expected_in(project)
