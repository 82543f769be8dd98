"""Value types that cross layer boundaries: frozen, slotted, picklable."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path


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
    fixable: bool


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
    files_parsed: int
    publisher_found: bool
    clients: tuple[str, ...] = field(default=())
    # (path, line, rule id) of each finding that an inline suppression comment removed
    suppressed: tuple[tuple[Path, int, str], ...] = field(default=())
