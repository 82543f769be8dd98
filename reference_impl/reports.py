"""What the client tells its users: delivery reports, error contexts and counters.

Every value here is a frozen, slotted dataclass: handlers and callbacks on other threads receive
them, so they must not change after they are made.
"""

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final


class ErrorSeverity(IntEnum):
    """How bad a failed delivery is; ordered, so ``severity >= ErrorSeverity.WARN`` works."""

    LOW = 1  # rate limited: the server asked us to slow down, delivery continues
    WARN = 2  # a retryable or network failure that will be retried
    ERROR = 3  # a permanent failure: the events are dropped
    CRITICAL = 4  # attempts exhausted: the events are dropped


SUCCESS_SENT: Final = "success_sent"
RETRY: Final = "retry"
RATE_LIMITED: Final = "rate_limited"
ERROR: Final = "error"
FINAL_ERROR: Final = "final_error"
DROPPED: Final = "dropped"
PERSISTED: Final = "persisted"
PERSIST_FAILED: Final = "persist_failed"
REPLAYED: Final = "replayed"

#: Every event name ``on()`` accepts, in the order a delivery can meet them.
EVENT_NAMES: Final = (SUCCESS_SENT, RETRY, RATE_LIMITED, ERROR, FINAL_ERROR, DROPPED)
#: The spool's reports (only with ``spool_path``): not outcomes, an event also gets one of those.
SPOOL_EVENT_NAMES: Final = (PERSISTED, PERSIST_FAILED, REPLAYED)
#: The outcomes that end an event's life; each published event gets exactly one of them.
TERMINAL_OUTCOMES: Final = frozenset({SUCCESS_SENT, ERROR, FINAL_ERROR, DROPPED})


@dataclass(frozen=True, slots=True)
class ErrorContext:
    """What went wrong with one delivery attempt.

    ``error`` is the exception type and message, or ``"HTTP 503 Service Unavailable"``: never
    headers, credentials, a response body, or more of the URL than its scheme, host and port. ``event_data`` is the event
    (or ``{"batch": [...]}``) only when the client was built with ``include_event_data=True``.
    """

    severity: ErrorSeverity
    category: str  # "network", "retryable", "rate_limit", "permanent" or "validation"
    attempt: int  # 0 when no request was made (an event that is not JSON)
    error: str
    response_status: int | None = None
    event_data: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """One thing that happened to a group of events; given to the handlers registered with on()."""

    event_name: str
    events: tuple[dict[str, Any], ...]
    attempt: int
    response_status: int | None
    context: ErrorContext | None


@dataclass(frozen=True, slots=True)
class DeliveryStats:
    """A snapshot of the client's counters, in events (not requests).

    Once ``close()`` has returned: ``published == success_sent + error + final_error + dropped``.
    ``refused`` counts the events publish() refused with QueueFullError (a full queue): they were
    never published, so no outcome is reported for them.

    With a spool: ``persisted`` counts events committed to it, ``persist_failed`` events whose
    commit failed (disk full...: they are still delivered from memory), ``replayed`` events an
    earlier run left in it, which this client delivers; then ``published + replayed ==
    success_sent + error + final_error + dropped`` once ``close()`` has returned.
    """

    published: int = 0
    success_sent: int = 0
    retry: int = 0
    rate_limited: int = 0
    error: int = 0
    final_error: int = 0
    dropped: int = 0
    refused: int = 0
    persisted: int = 0
    persist_failed: int = 0
    replayed: int = 0
