"""``--format github``: one GitHub Actions workflow command (annotation) per finding.

``::error file=src/client.py,line=12,col=5,title=PUB005::message``. Severities map
critical and error to ``error``, warn to ``warning`` and low to ``notice``. An annotation is
always one line: the message is escaped as the Actions toolkit escapes command data (``%``,
CR and LF become ``%25``, ``%0D``, ``%0A``), and property values also escape ``:`` and
``,``, which would otherwise end the value. Files that could not be checked are errors
without a line; unused suppressions are warnings. A plain summary line with the verdict
and the session id comes last. The runner shows it as log text.
"""

from __future__ import annotations

from ..ftypes import Run, Severity
from .report import display_path, no_publisher_message, plural

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.ERROR: "error",
    Severity.WARN: "warning",
    Severity.LOW: "notice",
}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: str | int) -> str:
    props = ",".join(f"{name}={escape_property(str(value))}" for name, value in properties.items())
    return f"::{level} {props}::{escape_data(message)}" if props else f"::{level}::{escape_data(message)}"


def render_github(run: Run) -> str:
    result, notes = run.result, run.notes
    lines = [
        command(
            LEVELS[v.severity],
            f"{v.message} ({v.check}, {v.severity.label})",
            file=display_path(v.path),
            line=v.line,
            col=v.column,
            title=v.rule,
        )
        for v in result.violations
    ]
    lines.extend(
        command("error", e.message, file=display_path(e.path), title="publisher-check: file not checked")
        for e in result.errors
    )
    for unused in notes.unused_suppressions or ():
        lines.append(
            command(
                "warning",
                unused.message,
                file=display_path(unused.path),
                line=unused.line,
                col=unused.column,
                title="publisher-check: unused suppression",
            )
        )
    if not result.publisher_found:
        lines.append(f"publisher-check: {no_publisher_message(result)}.")
    summary = f"publisher-check: {plural(len(result.violations), 'violation')}"
    if result.violations:
        summary += f" in {plural(len({v.path for v in result.violations}), 'file')}"
    summary += f" ({plural(result.files_scanned, 'file')} checked)"
    if notes.baselined:
        summary += f" ({notes.baselined} more in the baseline)"
    verdict = "failed" if run.failed else "passed"
    # Plain log text, escaped too: a session id given on the command line could hold a line break.
    lines.append(escape_data(f"{summary}; session {run.metrics.session_id}: {verdict}."))
    return "\n".join(lines) + "\n"
