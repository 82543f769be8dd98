"""How one delivery attempt is judged and how long to wait before the next: pure functions.

Nothing here does I/O or keeps state, so every rule of the classification table can be tested
without a server.
"""

import random
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from enum import StrEnum
from http import HTTPStatus
from typing import Final

import requests

#: ErrorContext.error is cut to this length: it goes to logs and callbacks, not to debuggers.
MAX_ERROR_LENGTH: Final = 500
#: Configured header values shorter than this are not redacted from messages: they cannot be
#: secrets, and redacting "1" would mangle every number in the text.
MIN_SECRET_LENGTH: Final = 4
REDACTED: Final = "[redacted]"
_QUERY_STRING: Final = re.compile(r"\?[^\s'\"()<>]*")
_USERINFO: Final = re.compile(r"(?<=://)[^/\s@'\"]*@")


class Category(StrEnum):
    """The delivery table's categories; ``ErrorContext.category`` holds their values."""

    SUCCESS = "success"
    RATE_LIMIT = "rate_limit"
    RETRYABLE = "retryable"
    PERMANENT = "permanent"
    NETWORK = "network"
    VALIDATION = "validation"


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one POST came to, already stripped of anything secret."""

    category: Category
    error: str  # "HTTP 503 Service Unavailable", "ConnectionError: ..."
    status: int | None = None
    retry_after: str | None = None  # the raw Retry-After header of a response


def classify_status(status: int) -> Category:
    """Map an HTTP status to its category (redirects are not followed, so 3xx is success)."""
    if 200 <= status <= 399:
        return Category.SUCCESS
    if status == 429:
        return Category.RATE_LIMIT
    if status == 409:
        return Category.RETRYABLE
    if 500 <= status <= 599:
        return Category.RETRYABLE
    if 400 <= status <= 499:
        return Category.PERMANENT
    return Category.PERMANENT  # outside 200-599: nothing a retry could fix


def classify_exception(exc: BaseException) -> Category:
    """Connection errors and timeouts are worth retrying; any other failure to send is not."""
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return Category.NETWORK
    return Category.PERMANENT


def backoff_delay(
    failed_attempt: int,
    *,
    initial_delay: float,
    backoff_factor: float,
    max_delay: float,
    jitter: float = 0.0,
    uniform: Callable[[float, float], float] = random.uniform,
) -> float:
    """Seconds to wait after attempt number ``failed_attempt`` (1, 2, ...) failed.

    ``min(max_delay, initial_delay * backoff_factor ** (n - 1))``, multiplied by
    ``uniform(1 - jitter, 1 + jitter)`` when jitter is set, and still capped at ``max_delay``.
    """
    try:
        delay = min(max_delay, initial_delay * backoff_factor ** (failed_attempt - 1))
    except OverflowError:  # the power left the float range long after the cap was reached
        delay = max_delay if initial_delay > 0 else 0.0
    if jitter:
        delay = min(max_delay, delay * uniform(1.0 - jitter, 1.0 + jitter))
    return delay


def retry_after_delay(value: str | None, *, max_delay: float, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for, capped at ``max_delay``.

    Integer seconds or an HTTP-date; a date in the past means "now" (0). Anything else (absent,
    negative, fractional, malformed) gives None: the caller uses its backoff delay instead.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        # float(), not int(): int() refuses more than 4300 digits, and a hostile header can
        # have them; float() of so many digits is inf, which the cap turns into max_delay.
        return min(max_delay, float(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" parses naive; HTTP-dates are always GMT
        when = when.replace(tzinfo=timezone.utc)
    seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max_delay, max(0.0, seconds))


def describe_status(status: int, reason: str | None) -> str:
    """``"HTTP 503 Service Unavailable"``: the standard phrase, or the server's for odd codes."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = reason or ""
    return f"HTTP {status} {phrase}".rstrip()[:MAX_ERROR_LENGTH]


def describe_exception(exc: BaseException, secrets: Collection[str] = ()) -> str:
    """``"ConnectTimeout: ..."`` with secrets removed.

    requests puts the URL (query string included) in its messages, and an invalid header's value
    in InvalidHeader's, so query strings, URL credentials and the configured header values are
    redacted before the text goes anywhere.
    """
    message = str(exc)
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            message = message.replace(secret, REDACTED)
    message = _USERINFO.sub(f"{REDACTED}@", message)
    message = _QUERY_STRING.sub(f"?{REDACTED}", message)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text[:MAX_ERROR_LENGTH]
