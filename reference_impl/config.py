"""The client's settings, validated once, the same way for the constructor and the builder."""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from .callbacks import ErrorCallback

_COUNTS: Final = ("max_queue_size", "max_attempts", "workers", "batch_size", "spool_group_size", "spool_max_events")
_DELAYS: Final = ("initial_delay", "max_delay")
_TIMEOUTS: Final = ("request_timeout", "error_callback_timeout", "shutdown_timeout", "spool_commit_interval")
#: The longest delay or timeout accepted, in seconds (a day). Longer ones are mistakes, and the
#: largest (``sys.maxsize``) overflow the waits of ``threading`` and ``socket`` at their first use.
MAX_SECONDS: Final = 86_400.0
# What requests accepts (requests.utils.check_header_validity); str headers only.
_HEADER_NAME: Final = re.compile(r"[^:\s][^:\r\n]*")
_HEADER_VALUE: Final = re.compile(r"(\S[^\r\n]*)?")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _invalid(name: str, rule: str, value: object) -> ValueError:
    return ValueError(f"{name} must be {rule}, got {value!r}")


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Every setting of ActivityClient; construction raises ValueError naming a bad setting.

    The endpoint (its query string may hold a token) and the headers are kept out of repr().
    """

    endpoint: str = field(repr=False)
    max_queue_size: int = 10_000
    max_attempts: int = 5
    initial_delay: float = 1.0
    backoff_factor: float = 2.0
    max_delay: float = 60.0
    jitter: float = 0.0
    request_timeout: float = 10.0
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    error_callback: ErrorCallback | None = None
    error_callback_timeout: float = 5.0
    include_event_data: bool = False
    workers: int = 1
    batch_size: int = 100
    shutdown_timeout: float = 2.0
    spool_path: str | None = None  # a SQLite file: durable delivery (see spool.py)
    spool_commit_interval: float = 0.05
    spool_group_size: int = 1_000
    spool_max_events: int = 100_000

    def __post_init__(self) -> None:
        try:
            url = urlsplit(self.endpoint) if isinstance(self.endpoint, str) else None
        except ValueError:  # e.g. an unclosed IPv6 bracket
            url = None
        if url is None or url.scheme not in ("http", "https") or not url.hostname:
            # The URL itself is not echoed: its query string may hold a token.
            raise ValueError("endpoint must be an http:// or https:// URL with a host")
        for name in _COUNTS:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise _invalid(name, "an integer >= 1", value)
        for name in _DELAYS:
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= value <= MAX_SECONDS:
                raise _invalid(name, f"a number from 0 to {MAX_SECONDS:g}", value)
        if not _is_number(self.backoff_factor) or self.backoff_factor < 1:
            raise _invalid("backoff_factor", "a finite number >= 1", self.backoff_factor)
        if not _is_number(self.jitter) or not 0 <= self.jitter <= 1:
            raise _invalid("jitter", "a number from 0 to 1", self.jitter)
        for name in _TIMEOUTS:
            value = getattr(self, name)
            if not _is_number(value) or not 0 < value <= MAX_SECONDS:
                raise _invalid(name, f"a number > 0 and at most {MAX_SECONDS:g}", value)
        if not isinstance(self.headers, Mapping):
            raise ValueError("headers must be a mapping of str names to str values")
        for name, value in self.headers.items():
            # Checked here, because requests would put the bad value (a secret) in its error.
            if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"headers: invalid header name {name!r}")
            if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
                raise ValueError(f"headers: invalid value for header {name!r}")  # not echoed
        if self.error_callback is not None and not callable(self.error_callback):
            raise _invalid("error_callback", "callable or None", self.error_callback)
        if self.spool_path is not None and (not isinstance(self.spool_path, str) or not self.spool_path):
            raise _invalid("spool_path", "a non-empty path or None", self.spool_path)
        if not isinstance(self.include_event_data, bool):
            raise _invalid("include_event_data", "a bool", self.include_event_data)
