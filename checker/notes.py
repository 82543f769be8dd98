"""What a report shows beside the violations, when the run asked for it."""

from __future__ import annotations

from dataclasses import dataclass

from .analysis.suppressions import UnusedSuppression


@dataclass(frozen=True, slots=True)
class Notes:
    # None: --report-unused-suppressions was not given (an empty tuple: none were unused)
    unused_suppressions: tuple[UnusedSuppression, ...] | None = None
    # None: no --baseline; otherwise how many known violations the baseline left out
    baselined: int | None = None
