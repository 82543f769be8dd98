"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

- ``tool.driver.rules`` lists every rule, selected or not: id, name (the rule's class),
  short description (the check), full description (the rule's title and what it checks),
  help (its whole documentation; the markdown adds the failing and passing examples) and
  default level.
- A result is one violation. Its location is the file relative to ``%SRCROOT%`` (the
  working folder, which is the repository root when it runs in CI), with line and column.
  Columns count Unicode code points (``columnKind``), as libcst does.
- ``partialFingerprints`` hashes the path, the rule, the offending line's text and the
  occurrence count (the baseline's key). Code scanning can then follow an alert when lines
  above it move, even when the SARIF is uploaded through the API, which does not compute
  fingerprints itself.
- Fixes: a result whose rule can repair it carries one SARIF ``fix``: the region the fix
  replaces and the new text, computed alone on the file as it is (executive mode may need a
  second round for fixes that touch the same code). Its description says whether it is a
  safe fix or needs ``--unsafe-fixes``; ``properties.fixable`` says the same as a flag.
- Files that could not be parsed and unused suppressions are tool notifications, not
  results: they are not findings of a rule.
- ``run.properties`` holds the verdict, the metrics object (with ``sessionId``) and what
  discovery found.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..ftypes import Notes, Replacement, Run, RunResult, Severity, Violation
from ..registry import rules_by_id

if TYPE_CHECKING:
    from ..rule import Rule
from .baseline import LineTexts, keys
from .report import no_publisher_message

TOOL = "publisher-check"
SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "publisherCheckLine/v1"
LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.ERROR: "error",
    Severity.WARN: "warning",
    Severity.LOW: "note",
}


def tool_version() -> str:
    try:
        return importlib.metadata.version(TOOL)
    except importlib.metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def _help_markdown(rule: type[Rule]) -> str:
    parts = [rule.documentation()]
    for title, examples in (("Failing example", rule.INVALID), ("Passing example", rule.VALID)):
        for example in examples[:1]:
            for name, source in example.files.items():
                parts.append(f"**{title}** (`{name}`):\n\n```python\n{source.rstrip()}\n```")
    return "\n\n".join(parts)


def rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    paragraphs = _paragraphs(rule.documentation())
    title = paragraphs[0] if paragraphs else rule.check
    what = next((p for p in paragraphs if p.startswith("What it checks")), "")
    return {
        "id": rule.id,
        "name": rule.__name__,
        "shortDescription": {"text": rule.check},
        "fullDescription": {"text": f"{title} {what}".strip()},
        "help": {"text": rule.documentation() or rule.check, "markdown": _help_markdown(rule)},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": ["publisher", "reliability"],
            "precision": "high",
            "severity": rule.severity.label,
            "fixable": rule.fixable,
        },
    }


def artifact_location(path: Path) -> dict[str, Any]:
    """Relative to ``%SRCROOT%`` (the working folder) when under it, else an absolute file URI."""
    resolved = path.resolve()
    try:
        relative = resolved.relative_to(Path.cwd().resolve())
    except ValueError:
        return {"uri": resolved.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT}


def _fingerprints(violations: tuple[Violation, ...]) -> list[str]:
    seen: Counter[tuple[str, str, str]] = Counter()
    prints: list[str] = []
    for key in keys(violations, lambda p: artifact_location(p)["uri"], LineTexts()):
        seen[key] += 1
        digest = hashlib.sha256("\0".join(key).encode()).hexdigest()[:32]
        prints.append(f"{digest}:{seen[key]}")
    return prints


def _fix(violation: Violation, replacement: Replacement) -> dict[str, Any]:
    region = {
        "startLine": replacement.start_line,
        "startColumn": replacement.start_column,
        "endLine": replacement.end_line,
        "endColumn": replacement.end_column,
    }
    return {
        "description": {"text": f"{replacement.safety} fix for {violation.rule} (publisher-check --fix)"},
        "artifactChanges": [
            {
                "artifactLocation": artifact_location(violation.path),
                "replacements": [{"deletedRegion": region, "insertedContent": {"text": replacement.text}}],
            }
        ],
    }


def _result(
    violation: Violation, rule_index: int, fingerprint: str, baselined: bool, fix: Replacement | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": violation.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[violation.severity],
        "message": {"text": violation.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(violation.path),
                    "region": {"startLine": violation.line, "startColumn": violation.column},
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT: fingerprint},
        "properties": {
            "check": violation.check,
            "severity": violation.severity.label,
            "fixable": violation.fixable,
        },
    }
    if fix is not None:
        result["fixes"] = [_fix(violation, fix)]
    if baselined:
        result["baselineState"] = "new"  # with --baseline, only results the baseline does not know are left
    return result


def _notifications(result: RunResult, notes: Notes) -> list[dict[str, Any]]:
    notifications: list[dict[str, Any]] = [
        {
            "descriptor": {"id": "file-not-checked"},
            "level": "error",
            "message": {"text": error.message},
            "locations": [{"physicalLocation": {"artifactLocation": artifact_location(error.path)}}],
        }
        for error in result.errors
    ]
    for unused in notes.unused_suppressions or ():
        region = {"startLine": unused.line, "startColumn": unused.column}
        notifications.append(
            {
                "descriptor": {"id": "unused-suppression"},
                "level": "warning",
                "message": {"text": unused.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": artifact_location(unused.path),
                            "region": region,
                        }
                    }
                ],
            }
        )
    return notifications


def to_sarif(run: Run) -> dict[str, Any]:
    result, notes, metrics = run.result, run.notes, run.metrics
    fixes = run.proposals or {}
    rules = [rule for _, rule in sorted(rules_by_id().items())]
    index = {rule.id: number for number, rule in enumerate(rules)}
    baselined = notes.baselined is not None
    results = [
        _result(v, index[v.rule], fingerprint, baselined, fixes.get(v))
        for v, fingerprint in zip(result.violations, _fingerprints(result.violations), strict=True)
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    notifications = _notifications(result, notes)
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    properties: dict[str, Any] = {
        "status": "failed" if run.failed else "success",
        "metrics": metrics.to_dict(),
        "publisherFound": result.publisher_found,
        "clients": list(result.clients),
    }
    if not result.publisher_found:
        properties["message"] = no_publisher_message(result)
    if notes.baselined is not None:
        properties["baselined"] = notes.baselined
    described = {
        "tool": {"driver": {"name": TOOL, "version": tool_version(), "rules": [rule_descriptor(r) for r in rules]}},
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().resolve().as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": properties,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [described]}


def render_sarif(run: Run) -> str:
    return json.dumps(to_sarif(run), indent=2) + "\n"
