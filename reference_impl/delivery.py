"""How one delivery attempt is judged and how long to wait before the next: pure functions.

Nothing here does I/O or keeps state, so every rule of the classification table can be tested
without a server.
"""

import random
import re
from collections.abc import Callable, Collection, Iterable
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
#: A header value's words at least this long are redacted on their own too ("Bearer <token>").
MIN_SECRET_WORD_LENGTH: Final = 8
REDACTED: Final = "[redacted]"
_QUERY_STRING: Final = re.compile(r"\?[^\s'\"()<>]*")
_USERINFO: Final = re.compile(r"(?<=://)[^/\s@'\"]*@")
# What follows scheme://host:port in a URL: its path, query and fragment (a webhook's token).
_URL_PATH: Final = re.compile(r"(?<=[a-zA-Z0-9]://)([^/\s'\"?#]+)[/?#][^\s'\"()<>]+")
# urllib3's "Max retries exceeded with url: /path?query": the host and port are in the same message.
_URL_FIELD: Final = re.compile(r"(?<=url: )[^\s'\"()<>]+")


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


def secret_forms(values: Iterable[object]) -> tuple[str, ...]:
    """The texts to redact for these header values: each one, stripped, and its long words.

    A token read from a file keeps its newline, and requests then quotes the value stripped or
    escaped in its error ("Bearer s3cr3t\\n"); redacting the bare words catches every quoting.
    Longest first, so that a value is redacted whole before its words are.
    """
    forms: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            continue
        forms.update({value, value.strip()})
        forms.update(word for word in value.split() if len(word) >= MIN_SECRET_WORD_LENGTH)
    return tuple(sorted((form for form in forms if len(form) >= MIN_SECRET_LENGTH), key=len, reverse=True))


def describe_exception(exc: BaseException, secrets: Collection[str] = ()) -> str:
    """``"ConnectTimeout: ..."`` with secrets removed.

    requests puts the URL in its messages, and an invalid header's value in InvalidHeader's, so
    only a URL's scheme, host and port are kept (never its credentials, path or query: a webhook's
    path can be its token), and the given secrets (see secret_forms) are redacted before the text
    goes anywhere.
    """
    try:
        message = str(exc)
    except Exception:  # an exception type of user code whose __str__ raises
        message = "(its message could not be read)"
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            message = message.replace(secret, REDACTED)
    message = _USERINFO.sub(f"{REDACTED}@", message)
    message = _URL_PATH.sub(rf"\1/{REDACTED}", message)
    message = _URL_FIELD.sub(REDACTED, message)
    message = _QUERY_STRING.sub(f"?{REDACTED}", message)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text[:MAX_ERROR_LENGTH]
