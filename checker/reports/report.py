"""REPORT / METRICS / OUTPUT: the run's verdict as text or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import click

from ..ftypes import FixFailure, Notes, Run, RunResult, Severity, Violation

SEVERITY_COLORS: dict[Severity, str] = {
    Severity.CRITICAL: "red",
    Severity.ERROR: "red",
    Severity.WARN: "yellow",
    Severity.LOW: "blue",
}


def display_path(path: Path) -> str:
    """Paths relative to the working directory when under it, as users typed them otherwise."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def violation_dict(violation: Violation, unsafe_fixes: bool = False) -> dict[str, Any]:
    """``fix`` says which fix exists (``"safe"``, ``"unsafe"``: needs ``--unsafe-fixes``, or None);
    ``fixable`` whether ``--fix`` with this run's ``--unsafe-fixes`` would apply it."""
    fix = violation.fix
    return {
        "file": display_path(violation.path),
        "line": violation.line,
        "column": violation.column,
        "rule": violation.rule,
        "check": violation.check,
        "violation": violation.message,
        "severity": violation.severity.label,
        "fixable": fix == "safe" or (fix == "unsafe" and unsafe_fixes),
        "fix": fix,
    }


def notes_dict(notes: Notes) -> dict[str, Any]:
    """The keys a run adds when it asked for them (--report-unused-suppressions, --baseline)."""
    extra: dict[str, Any] = {}
    if notes.unused_suppressions is not None:
        extra["unusedSuppressions"] = [
            {
                "file": display_path(u.path),
                "line": u.line,
                "column": u.column,
                "rules": list(u.rules),
                "unknownRules": list(u.unknown),
                "message": u.message,
            }
            for u in notes.unused_suppressions
        ]
    if notes.baselined is not None:
        extra["baselined"] = notes.baselined
    return extra


def no_publisher_message(result: RunResult) -> str:
    return (
        f"no publisher found in {plural(result.files_scanned, 'file')} "
        "(looked for classes whose publish-like methods reach a queue or an HTTP send; "
        "name them with client-classes / publish-methods in [tool.publisher-check])"
    )


def failure_dict(failure: FixFailure) -> dict[str, Any]:
    violation = failure.violation
    return {
        "file": display_path(violation.path),
        "line": violation.line,
        "column": violation.column,
        "rule": violation.rule,
        "violation": violation.message,
        "reason": failure.reason,
    }


def fix_hint(violations: Sequence[Violation], mode: str, unsafe_fixes: bool) -> str | None:
    """Ruff-style: how many remaining violations a (re)run with fixes would repair."""
    fixable = [v for v in violations if v.fixable]
    unsafe = sum(1 for v in fixable if v.fix == "unsafe")
    safe = len(fixable) - unsafe
    if mode == "executive":
        # Left fixable after executive mode: unsafe ones not enabled, or the round limit was hit.
        if not fixable:
            return None
        return f"{len(fixable)} more fixable with --fix{' --unsafe-fixes' if unsafe and not unsafe_fixes else ''}."
    if unsafe_fixes:
        return f"{len(fixable)} fixable with --fix --unsafe-fixes." if fixable else None
    if not safe and not unsafe:
        return None
    hint = f"{safe} fixable with --fix"
    return hint + (f" ({unsafe} more with --fix --unsafe-fixes)." if unsafe else ".")


def to_json(run: Run) -> dict[str, Any]:
    result, metrics = run.result, run.metrics
    report: dict[str, Any] = {
        "status": "failed" if run.failed else "success",
        "violations": [violation_dict(v, run.unsafe_fixes) for v in result.violations],
        "metrics": metrics.to_dict(),
        "publisherFound": result.publisher_found,
        "clients": list(result.clients),
        "errors": [{"file": display_path(e.path), "message": e.message} for e in result.errors],
    }
    if not result.publisher_found:
        report["message"] = no_publisher_message(result)
    if metrics.mode == "executive":
        report["fixFailures"] = [failure_dict(f) for f in run.fixes.failures]
    report.update(notes_dict(run.notes))
    return report


def render_json(run: Run) -> str:
    return json.dumps(to_json(run), indent=2) + "\n"


def plural(count: int, word: str) -> str:
    """``1 file``, ``2 files``, ``2 fixes``."""
    if count == 1:
        return f"{count} {word}"
    return f"{count} {word}{'es' if word.endswith(('s', 'x', 'ch', 'sh')) else 's'}"


class _Painter:
    """``click.style`` when colouring, the text unchanged otherwise."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, **style: Any) -> str:
        return click.style(text, **style) if self.color else text


def _detail_lines(run: Run, paint: _Painter) -> list[str]:
    """One line per violation, unchecked file, unused suppression and fix not applied."""
    result = run.result
    lines = [
        f"{paint(display_path(v.path), bold=True)}:{v.line}:{v.column}: "
        f"{paint(v.rule, fg=SEVERITY_COLORS[v.severity], bold=True)} "
        f"[{paint(v.severity.label, fg=SEVERITY_COLORS[v.severity])}] {v.message}"
        for v in sorted(result.violations, key=lambda v: -v.severity)  # real defects first; stable within
    ]
    lines.extend(
        f"{paint(display_path(e.path), bold=True)}: {paint('error', fg='red')}: {e.message}" for e in result.errors
    )
    lines.extend(
        f"{paint(display_path(u.path), bold=True)}:{u.line}:{u.column}: {paint('warning', fg='yellow')}: {u.message}"
        for u in run.notes.unused_suppressions or ()
    )
    for failure in run.fixes.failures:
        where = failure.violation
        lines.append(
            f"{display_path(where.path)}:{where.line}:{where.column}: {where.rule} fix not applied: {failure.reason}"
        )
    return lines


def _found_line(result: RunResult) -> str:
    counts = {s: sum(1 for v in result.violations if v.severity == s) for s in sorted(Severity, reverse=True)}
    by_severity = ", ".join(f"{count} {s.label}" for s, count in counts.items() if count)
    summary = f"Found {plural(len(result.violations), 'violation')}"
    summary += f" ({by_severity})" if by_severity else ""
    if result.violations:
        summary += f" in {plural(len({v.path for v in result.violations}), 'file')}"
    summary += f" ({plural(result.files_scanned, 'file')} checked)"
    if result.errors:
        summary += f"; {plural(len(result.errors), 'file')} could not be checked"
    return summary + "."


def _fix_lines(run: Run) -> list[str]:
    """Executive mode's account: what was (or would be) fixed, and whether the loop converged."""
    metrics = run.metrics
    if metrics.initial_violations == 0:
        return ["Nothing to fix."]
    failed_fixes = ""
    if metrics.fixes_failed:
        failed_fixes = f"; {plural(metrics.fixes_failed, 'fix')} failed and {'was' if metrics.fixes_failed == 1 else 'were'} not applied"
    fixed, remain = ("Would fix", "would remain") if run.preview else ("Fixed", "remain")
    lines = [
        f"{fixed} {metrics.fixes_applied} in {plural(metrics.iterations, 'iteration')}{failed_fixes}; "
        f"{metrics.final_violations} of {metrics.initial_violations} {remain} (fix rate {metrics.fix_rate:.0%})."
    ]
    if not metrics.converged:
        lines.append(f"Stopped after {metrics.iterations} fix rounds with fixes still pending (the loop is bounded).")
    return lines


def render_text(run: Run, color: bool = False) -> str:
    """The text report; a preview (``--diff``) words the fix summary as what would happen.

    ``color`` styles paths, rule ids, severities and the verdict (the caller decides: only on
    a terminal, never with NO_COLOR)."""
    paint = _Painter(color)
    lines = _detail_lines(run, paint)
    if lines:
        lines.append("")
    if not run.result.publisher_found:
        lines.append(no_publisher_message(run.result) + ".")
    lines.append(_found_line(run.result))
    if run.notes.baselined:
        lines.append(f"{plural(run.notes.baselined, 'known violation')} in the baseline not shown.")
    if run.metrics.mode == "executive":
        lines.extend(_fix_lines(run))
    hint = fix_hint(run.result.violations, run.metrics.mode, run.unsafe_fixes)
    if hint:
        lines.append(hint)
    verdict = paint("failed", fg="red", bold=True) if run.failed else paint("passed", fg="green", bold=True)
    lines.append(f"Session {run.metrics.session_id}: {verdict}.")
    return "\n".join(lines) + "\n"


def render_statistics(run: Run) -> str:
    """``--statistics`` (as ruff's): one line per rule with its count, most severe first, then the verdict."""
    counts: dict[str, int] = {}
    for violation in run.result.violations:
        counts[violation.rule] = counts.get(violation.rule, 0) + 1
    first = {v.rule: v for v in run.result.violations}
    rows = sorted(counts, key=lambda rule: (-first[rule].severity, rule))
    lines = [f"{counts[rule]:5d}  {rule}  [{first[rule].severity.label}] {first[rule].check}" for rule in rows]
    if lines:
        lines.append("")
    lines.append(_found_line(run.result))
    lines.append(f"Session {run.metrics.session_id}: {'failed' if run.failed else 'passed'}.")
    return "\n".join(lines) + "\n"


@cache
def report_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("schemas/report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
