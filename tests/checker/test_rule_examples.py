"""Every rule's documented examples, run through the whole engine on real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher_check import api
from publisher_check.config import Config
from publisher_check.registry import rules_by_id
from publisher_check.rule import Example, Rule

from .markers import check, expected_in, reported_in

CASES = [
    pytest.param(rule, kind, index, example, id=f"{rule_id}-{kind.lower()}-{index}")
    for rule_id, rule in sorted(rules_by_id().items())
    for kind in ("VALID", "INVALID")
    for index, example in enumerate(getattr(rule, kind))
]


def write_example(root: Path, example: Example) -> None:
    for name, source in example.files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding="utf-8")


@pytest.mark.parametrize(("rule", "kind", "index", "example"), CASES)
def test_example(tmp_path: Path, rule: type[Rule], kind: str, index: int, example: Example) -> None:
    write_example(tmp_path, example)
    result = check(tmp_path)
    assert result.errors == ()
    assert result.publisher_found, "the example must hold a publisher the checker discovers"
    expected = expected_in(tmp_path, rule.id)
    if kind == "INVALID":
        assert expected, "an invalid example must mark at least one expected finding"
    assert reported_in(tmp_path, result, rule.id) == expected


@pytest.mark.parametrize("rule_id", sorted(rules_by_id()))
def test_rule_is_documented(rule_id: str) -> None:
    rule = rules_by_id()[rule_id]
    doc = rule.documentation()
    assert doc.startswith(rule_id)
    for section in ("What it checks:", "Why it matters:", "Fix"):
        assert section in doc
    assert len(rule.VALID) >= 2 and len(rule.INVALID) >= 2
    if rule.fixable:
        assert any(example.fixed for example in rule.INVALID), "a fixable rule shows its fix on an example"
        assert f"Fix ({rule.fix_safety}):" in doc, "the documentation labels the fix safe or unsafe"
        assert rule.fix is not Rule.fix, "a fixable rule implements fix()"
    else:
        assert "Fix: none automatic" in doc, "the documentation says why there is no automatic fix"
        assert rule.fix is Rule.fix


def test_at_least_ten_rules_are_fixable() -> None:
    assert sum(rule.fixable for rule in rules_by_id().values()) >= 10


FIX_CASES = [
    pytest.param(rule, example, id=f"{rule_id}-invalid-{index}")
    for rule_id, rule in sorted(rules_by_id().items())
    if rule.fixable
    for index, example in enumerate(rule.INVALID)
]


@pytest.mark.parametrize(("rule", "example"), FIX_CASES)
def test_fix_example(tmp_path: Path, rule: type[Rule], example: Example) -> None:
    """Executive mode with only this rule (unsafe fixes included) turns the example into ``fixed``
    exactly; an invalid example without ``fixed`` documents a case the fix leaves alone."""
    write_example(tmp_path, example)
    report = api.check([tmp_path], api.Options(config=Config(select=(rule.id,)), mode="executive", unsafe_fixes=True)).fixes
    expected = {**example.files, **example.fixed}
    for name, source in expected.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == source, name
    marked = len(expected_in(tmp_path, rule.id))
    if example.fixed:
        assert report.final.violations == (), "the rule no longer reports"
        assert report.fixes_applied == marked == len(report.initial.violations)
    else:
        assert report.fixes_applied == 0 and report.changes == ()
        assert all(not v.fixable for v in report.final.violations), "a violation left alone is not called fixable"
    again = api.check([tmp_path], api.Options(config=Config(select=(rule.id,)), mode="executive", unsafe_fixes=True)).fixes
    assert again.fixes_applied == 0 and again.changes == (), "a second run changes nothing"
