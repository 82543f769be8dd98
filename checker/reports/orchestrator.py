"""``--metrics-url``: POST the metrics object to an agent orchestrator with our own publisher.

The post never decides the run. Whatever happens (the endpoint refuses, answers with an
HTTP error or hangs), the verdict and the exit code stay what the checks made them. The
post is bounded: at most ``MAX_ATTEMPTS`` requests of ``REQUEST_TIMEOUT`` seconds each,
and ``close()`` gives up after ``DEADLINE`` seconds in all. The outcome comes from the
client's own reports (``success_sent``, ``error``, ``final_error``, ``dropped``). A failure
is one line on stderr that names the endpoint's host and what happened. The line never has
a header value, nor the URL's credentials, path or query.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

if TYPE_CHECKING:
    from activity_publisher import DeliveryReport

MAX_ATTEMPTS = 2
REQUEST_TIMEOUT = 2.0  # seconds, for connecting and for each read
RETRY_DELAY = 0.5  # seconds before the second attempt; a Retry-After is capped to it too
DEADLINE = 5.0  # seconds for the whole post, however the endpoint behaves
HEADER_ENVVAR = "PUBLISHER_CHECK_METRICS_HEADER"  # one "Name: value" per line

_OUTCOMES = ("success_sent", "error", "final_error", "dropped")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP header name (RFC 9110 token)
_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]+")  # no CR, LF or other control characters


class HeaderType(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """``Name: value``, validated without ever echoing what was given (it is usually a secret)."""

    name = "HEADER"
    envvar_list_splitter = "\n"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, str]:
        if isinstance(value, tuple):
            return value
        name, colon, rest = str(value).partition(":")
        name, rest = name.strip(), rest.strip()
        if not colon or not _TOKEN.fullmatch(name):
            self.fail(
                "expected 'Name: value', a header name, a colon and the value (the value is not shown)",
                param,
                ctx,
            )
        if not _VALUE.fullmatch(rest):
            self.fail(
                f"the value of header {name} is empty or has control characters (the value is not shown)",
                param,
                ctx,
            )
        return name, rest


class EndpointType(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """An http(s) URL with a host; a bad one is not echoed (its query string may hold a token)."""

    name = "URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if not str(value).strip():
            self.fail("the URL is empty (is the environment variable it comes from unset?)", param, ctx)
        try:
            url = urlsplit(str(value))
        except ValueError:
            url = None
        if url is None or url.scheme not in ("http", "https") or not url.hostname:
            self.fail("expected an http:// or https:// URL with a host", param, ctx)
        return str(value)


def headers_from(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The headers as a mapping; a name given twice is a usage error (which one would win?)."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        if name.lower() in {known.lower() for known in headers}:
            raise click.BadParameter(f"header {name} is given more than once", param_hint="--metrics-header")
        headers[name] = value
    return headers


def host_of(url: str) -> str:
    """``host[:port]`` of the URL, without user info."""
    return urlsplit(url).netloc.rpartition("@")[2]


@dataclass(frozen=True, slots=True)
class PostOutcome:
    sent: bool
    detail: str  # "HTTP 201", "connection refused", "HTTP 503 Service Unavailable after 2 attempts", ...


def _status(code: int) -> str:
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def _network_failure(error: str) -> str:
    """What went wrong, in words, from the client's redacted error text ("Type: message")."""
    kind = error.partition(":")[0]
    lowered = error.lower()
    if "timeout" in kind.lower() or "timed out" in lowered:
        return "timed out"
    if "refused" in lowered:
        return "connection refused"
    if any(words in lowered for words in ("name or service not known", "nodename nor servname", "name resolution")):
        return "host not found"
    return f"request failed ({kind})"


def describe(report: DeliveryReport | None) -> PostOutcome:
    if report is None:  # close() reports every event, so this is only a safety net
        return PostOutcome(False, "no outcome reported")
    if report.event_name == "success_sent":
        return PostOutcome(True, _status(report.response_status) if report.response_status else "sent")
    if report.event_name == "dropped":
        return PostOutcome(False, f"timed out (no answer within {DEADLINE:g} s)")
    if report.response_status is not None:
        detail = _status(report.response_status)
    else:
        detail = _network_failure(report.context.error if report.context else "")
    if report.event_name == "final_error" and report.attempt > 1:
        detail += f" after {report.attempt} attempts"
    return PostOutcome(False, detail)


@contextmanager
def _quiet_publisher() -> Iterator[None]:
    """Mute the client's own log lines for the post.

    With logging unconfigured, Python prints the client's warnings on stderr. That would be a
    second, longer line about the same failure, and it could show the URL's path.
    """
    logger = logging.getLogger("activity_publisher")
    previous = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(previous)


def post_metrics(url: str, metrics: Mapping[str, Any], headers: Mapping[str, str]) -> PostOutcome:
    """POST ``metrics`` to ``url``; returns within about ``DEADLINE`` seconds whatever the server does."""
    # requests and the publisher are loaded only when a post is asked for: a plain check starts faster.
    from activity_publisher import ActivityClient

    reports: list[DeliveryReport] = []
    lock = threading.Lock()

    def record(report: DeliveryReport) -> None:
        with lock:
            reports.append(report)

    with _quiet_publisher():
        client = ActivityClient(
            url,
            max_queue_size=1,
            max_attempts=MAX_ATTEMPTS,
            initial_delay=RETRY_DELAY,
            max_delay=RETRY_DELAY,
            request_timeout=REQUEST_TIMEOUT,
            headers=headers,
            shutdown_timeout=DEADLINE,
            batch_size=1,  # the orchestrator takes the metrics object itself, not {"batch": [...]}
        )
        for name in _OUTCOMES:
            client.on(name, record)
        client.publish(dict(metrics))
        client.close(DEADLINE)
    with lock:
        return describe(reports[0] if reports else None)


def report_failure(url: str, outcome: PostOutcome) -> None:
    if not outcome.sent:
        click.echo(f"publisher-check: metrics not posted to {host_of(url)}: {outcome.detail}", err=True)
