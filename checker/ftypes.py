"""Value types that cross layer boundaries: frozen, slotted, picklable.

Everything a report, the fix loop or a caller of ``api.check()`` exchanges is defined here,
so that the output layer depends on these values and never on the engine that made them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

SKILL = "python-services:python-activity-publisher-recipe"

FixSafety = Literal["safe", "unsafe"]
Mode = Literal["informative", "executive"]


class Severity(enum.IntEnum):
    """Ordered so that ``--fail-on`` can compare: LOW < WARN < ERROR < CRITICAL."""

    LOW = 1
    WARN = 2
    ERROR = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule reports before suppressions and configuration are applied."""

    path: Path
    line: int
    column: int
    message: str


@dataclass(frozen=True, slots=True)
class Violation:
    path: Path
    line: int
    column: int
    rule: str
    check: str
    message: str
    severity: Severity
    # The fix that exists for it ("unsafe": needs --unsafe-fixes), or None. Carried here, not
    # looked up in the rules when reporting, so that a report needs no rule imported.
    fix: FixSafety | None

    @property
    def fixable(self) -> bool:
        return self.fix is not None


@dataclass(frozen=True, slots=True)
class FixFailure:
    """A fix executive mode tried and did not keep, with the reason (shown to the user)."""

    violation: Violation
    reason: str


@dataclass(frozen=True, slots=True)
class FileError:
    """A target file that could not be read or parsed; reported, never fatal."""

    path: Path
    message: str


@dataclass(frozen=True, slots=True)
class RunResult:
    violations: tuple[Violation, ...]
    errors: tuple[FileError, ...]
    files_scanned: int
    publisher_found: bool
    clients: tuple[str, ...] = field(default=())
    # (path, line, rule id) of each finding that an inline suppression comment removed
    suppressed: tuple[tuple[Path, int, str], ...] = field(default=())


class Progress(Protocol):
    """What the engine reports as it goes: the number of files, then files done."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int = 1) -> None: ...


@dataclass(frozen=True, slots=True)
class UnusedSuppression:
    path: Path
    line: int
    column: int
    rules: tuple[str, ...]  # the ids that suppressed nothing; () for a bare ignore
    unknown: tuple[str, ...]  # the ids that name no rule

    @property
    def message(self) -> str:
        if not self.rules and not self.unknown:
            return "unused suppression: nothing on this line was suppressed"
        parts = []
        if self.rules:
            parts.append(f"{', '.join(self.rules)} reported nothing on this line")
        if self.unknown:
            parts.append(f"{', '.join(self.unknown)} {'is' if len(self.unknown) == 1 else 'are'} not a rule")
        return "unused suppression: " + "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Notes:
    """What a report shows beside the violations, when the run asked for it."""

    # None: --report-unused-suppressions was not given (an empty tuple: none were unused)
    unused_suppressions: tuple[UnusedSuppression, ...] | None = None
    # None: no --baseline; otherwise how many known violations the baseline left out
    baselined: int | None = None


@dataclass(frozen=True, slots=True)
class Replacement:
    """A violation's fix as SARIF wants it: the region it replaces (1-based, end exclusive) and the new text."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    text: str
    safety: FixSafety


@dataclass(frozen=True, slots=True)
class FileChange:
    path: Path
    encoding: str
    before: bytes
    after: bytes
    fixes: int  # fixes kept in this file


@dataclass(frozen=True, slots=True)
class FixReport:
    initial: RunResult
    final: RunResult  # what remains; each violation's ``fixable`` says whether a fix is available
    rounds: int
    fixes_applied: int
    failures: tuple[FixFailure, ...]
    converged: bool
    changes: tuple[FileChange, ...]
    write_errors: tuple[FileError, ...] = ()

    @property
    def iterations(self) -> int:
        """Fix rounds run; a run with nothing to fix still made its one VERIFY pass."""
        return max(1, self.rounds)


@dataclass(frozen=True, slots=True)
class Metrics:
    """The SPEC's metrics object. In executive mode: ``initial_violations`` before any fix,
    ``fixes_applied`` the fixes kept, ``final_violations`` what remains, ``iterations`` the fix
    rounds (1 when nothing was fixed), ``fixes_failed`` fixes tried and dropped (the result did
    not compile, or the fix itself failed), ``converged`` false when the round limit stopped
    the loop while fixes were still pending. With ``--diff`` they describe the previewed run."""

    session_id: str
    initial_violations: int
    iterations: int
    fixes_applied: int
    final_violations: int
    mode: str
    duration: float
    fixes_failed: int = 0
    converged: bool = True

    @property
    def fix_rate(self) -> float:
        if self.initial_violations == 0:
            return 1.0
        return round((self.initial_violations - self.final_violations) / self.initial_violations, 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sessionId": self.session_id,
            "skill": SKILL,
            "initialViolations": self.initial_violations,
            "iterations": self.iterations,
            "fixesApplied": self.fixes_applied,
            "finalViolations": self.final_violations,
            "fixRate": self.fix_rate,
            "mode": self.mode,
            "duration": round(self.duration, 3),
            "fixesFailed": self.fixes_failed,
            "converged": self.converged,
        }


def failed(result: RunResult, fail_on: Severity) -> bool:
    """The verdict: a file that could not be checked, or a violation at ``fail_on`` or above."""
    return bool(result.errors) or any(v.severity >= fail_on for v in result.violations)


@dataclass(frozen=True, slots=True)
class Run:
    """One ``api.check()``: what every report renders, with the verdict decided once."""

    result: RunResult  # what the report shows: after fixes, write errors and the baseline
    fixes: FixReport  # the fix loop's account (informative mode: one pass, nothing changed)
    metrics: Metrics
    notes: Notes
    fail_on: Severity
    failed: bool
    unsafe_fixes: bool = False
    preview: bool = False  # --diff: nothing was written, the report says what would happen
    # Each violation's fix on the file as it is (SARIF's ``fixes``), when the caller asked.
    proposals: Mapping[Violation, Replacement] | None = None
