"""Every row of the delivery table, against a real HTTP server on 127.0.0.1."""

import itertools
import json
import time
import uuid
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest
import requests

from activity_publisher import ErrorContext, ErrorSeverity

from .conftest import Collector, MakeClient
from .server import Reply, ScriptedServer


def gaps(server: ScriptedServer) -> list[float]:
    times = [request.at for request in server.requests]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def test_2xx_is_success_and_the_request_is_as_specified(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.script(Reply(201))
    client = make_client(server.url, headers={"Authorization": "Bearer t0k3n", "X-Tenant": "acme"})
    seen = Collector(client)
    event = {"type": "login", "user": "u-1", "n": 1.5, "tags": ["a"]}
    client.publish(event)
    assert client.flush(10)

    [request] = server.requests
    assert request.method == "POST"
    assert request.path == "/ingest"
    assert request.json() == event
    assert request.header("Content-Type") == "application/json"
    assert request.header("Authorization") == "Bearer t0k3n"
    assert request.header("X-Tenant") == "acme"
    assert uuid.UUID(request.header("Idempotency-Key") or "").version == 4
    [report] = seen.reports
    assert (report.event_name, report.events, report.attempt, report.response_status) == (
        "success_sent",
        (event,),
        1,
        201,
    )
    assert report.context is None
    assert client.stats.published == client.stats.success_sent == 1


def test_3xx_counts_as_sent_and_is_not_followed(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(Reply(302, {"Location": "/elsewhere"}))
    client = make_client(server.url)
    seen = Collector(client)
    client.publish({"n": 1})
    assert client.flush(10)
    time.sleep(0.05)  # a followed redirect would arrive now
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/ingest")]
    assert [r.response_status for r in seen.named("success_sent")] == [302]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_4xx_is_dropped_at_once_as_error(
    server: ScriptedServer, make_client: MakeClient, status: int
) -> None:
    server.set_default(Reply(status))
    contexts: list[ErrorContext] = []
    client = make_client(server.url, max_attempts=5, error_callback=contexts.append)
    seen = Collector(client)
    client.publish({"n": 1})
    assert client.flush(10)
    time.sleep(0.05)
    assert len(server.requests) == 1  # no retry
    [report] = seen.reports
    assert report.event_name == "error"
    assert report.context is not None
    assert (report.context.severity, report.context.category) == (ErrorSeverity.ERROR, "permanent")
    assert report.context.response_status == status
    assert report.context.error.startswith(f"HTTP {status} ")
    assert contexts == [report.context]
    assert client.stats.error == 1


@pytest.mark.parametrize("status", [500, 502, 503, 599, 409])
def test_5xx_and_409_are_retried_with_warn(
    server: ScriptedServer, make_client: MakeClient, status: int
) -> None:
    server.script(Reply(status), Reply(status))
    contexts: list[ErrorContext] = []
    client = make_client(server.url, max_attempts=5, error_callback=contexts.append)
    seen = Collector(client)
    client.publish({"n": 1})
    assert client.flush(10)
    assert len(server.requests) == 3
    assert [r.event_name for r in seen.reports] == ["retry", "retry", "success_sent"]
    assert [r.attempt for r in seen.reports] == [1, 2, 3]
    retry = seen.reports[0].context
    assert retry is not None
    assert (retry.severity, retry.category, retry.attempt, retry.response_status) == (
        ErrorSeverity.WARN,
        "retryable",
        1,
        status,
    )
    assert [c.severity for c in contexts] == [ErrorSeverity.WARN, ErrorSeverity.WARN]
    assert client.stats.retry == 2 and client.stats.success_sent == 1


def test_retryable_until_attempts_run_out_is_final_error_critical(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.set_default(Reply(503))
    contexts: list[ErrorContext] = []
    client = make_client(server.url, max_attempts=3, error_callback=contexts.append)
    seen = Collector(client)
    client.publish({"n": 1})
    assert client.flush(10)
    assert len(server.requests) == 3
    assert [r.event_name for r in seen.reports] == ["retry", "retry", "final_error"]
    final = seen.reports[-1].context
    assert final is not None
    assert (final.severity, final.category, final.attempt) == (ErrorSeverity.CRITICAL, "retryable", 3)
    assert final.error == "HTTP 503 Service Unavailable"
    assert contexts[-1] == final
    stats = client.stats
    assert (stats.retry, stats.final_error) == (2, 1)


def test_max_attempts_1_means_no_retry(server: ScriptedServer, make_client: MakeClient) -> None:
    server.set_default(Reply(503))
    client = make_client(server.url, max_attempts=1)
    seen = Collector(client)
    client.publish({"n": 1})
    assert client.flush(10)
    assert len(server.requests) == 1
    assert [r.event_name for r in seen.reports] == ["final_error"]


def test_connection_refused_is_network_retried_then_final(dead_url: str, make_client: MakeClient) -> None:
    contexts: list[ErrorContext] = []
    client = make_client(dead_url, max_attempts=3, error_callback=contexts.append)
    seen = Collector(client)
    client.publish({"n": 1})
    assert client.flush(10)
    assert [r.event_name for r in seen.reports] == ["retry", "retry", "final_error"]
    assert [c.category for c in contexts] == ["network"] * 3
    assert [c.severity for c in contexts] == [ErrorSeverity.WARN, ErrorSeverity.WARN, ErrorSeverity.CRITICAL]
    assert contexts[-1].response_status is None
    assert contexts[-1].error.startswith("ConnectionError: ")


def test_timeout_against_a_slow_server_is_network(server: ScriptedServer, make_client: MakeClient) -> None:
    server.set_default(Reply(200, delay=1.0))
    contexts: list[ErrorContext] = []
    client = make_client(server.url, max_attempts=2, request_timeout=0.1, error_callback=contexts.append)
    client.publish({"n": 1})
    assert client.flush(10)
    assert len(server.requests) == 2
    assert [c.category for c in contexts] == ["network", "network"]
    assert "Timeout" in contexts[-1].error
    assert client.stats.final_error == 1


@pytest.mark.parametrize("status", [600, 999])
def test_status_outside_200_599_is_permanent(
    server: ScriptedServer, make_client: MakeClient, status: int
) -> None:
    server.set_default(Reply(status))
    client = make_client(server.url, max_attempts=5)
    seen = Collector(client)
    client.publish({"n": 1})
    assert client.flush(10)
    assert len(server.requests) == 1
    [report] = seen.reports
    assert report.event_name == "error" and report.response_status == status


def test_429_waits_retry_after_seconds(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(Reply(429, {"Retry-After": "1"}))
    contexts: list[ErrorContext] = []
    client = make_client(server.url, max_delay=30.0, error_callback=contexts.append)
    seen = Collector(client)
    client.publish({"n": 1})
    assert client.flush(10)
    assert [r.event_name for r in seen.reports] == ["rate_limited", "success_sent"]
    limited = seen.reports[0].context
    assert limited is not None
    assert (limited.severity, limited.category, limited.response_status) == (
        ErrorSeverity.LOW,
        "rate_limit",
        429,
    )
    assert contexts == []  # LOW does not call the error callback
    assert gaps(server)[0] >= 0.9  # not the 0.01 s backoff
    assert client.stats.rate_limited == 1


@pytest.mark.slow
def test_429_waits_until_an_http_date(server: ScriptedServer, make_client: MakeClient) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=2)
    server.script(Reply(429, {"Retry-After": format_datetime(when, usegmt=True)}))
    client = make_client(server.url, max_delay=30.0)
    client.publish({"n": 1})
    assert client.flush(10)
    assert len(server.requests) == 2
    assert gaps(server)[0] >= 0.8  # whole seconds in the header: at least 1 s of the 2


def test_429_past_http_date_retries_at_once(server: ScriptedServer, make_client: MakeClient) -> None:
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    server.script(Reply(429, {"Retry-After": format_datetime(past, usegmt=True)}))
    client = make_client(server.url, initial_delay=5.0, max_delay=30.0)
    client.publish({"n": 1})
    assert client.flush(4)  # well before the 5 s backoff
    assert len(server.requests) == 2


def test_429_retry_after_is_capped_at_max_delay(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(Reply(429, {"Retry-After": "3600"}))
    client = make_client(server.url, max_delay=0.2)
    client.publish({"n": 1})
    assert client.flush(10)
    assert len(server.requests) == 2
    assert gaps(server)[0] >= 0.15


@pytest.mark.parametrize("header", [None, "soon", "-5", "1.5", "Mon, 99 Foo"])
def test_429_missing_or_bad_retry_after_uses_backoff(
    server: ScriptedServer, make_client: MakeClient, header: str | None
) -> None:
    server.script(Reply(429, {} if header is None else {"Retry-After": header}))
    client = make_client(server.url, initial_delay=0.3, max_delay=30.0)
    client.publish({"n": 1})
    assert client.flush(10)
    assert len(server.requests) == 2
    assert gaps(server)[0] >= 0.25


def test_429_counts_as_an_attempt_and_can_end_in_final_error(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.set_default(Reply(429, {"Retry-After": "0"}))
    client = make_client(server.url, max_attempts=3)
    seen = Collector(client)
    client.publish({"n": 1})
    assert client.flush(10)
    assert len(server.requests) == 3
    assert [r.event_name for r in seen.reports] == ["rate_limited", "rate_limited", "final_error"]
    final = seen.reports[-1].context
    assert final is not None and (final.severity, final.category) == (ErrorSeverity.CRITICAL, "rate_limit")


def test_backoff_spacing_doubles(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(Reply(503), Reply(503), Reply(503))
    client = make_client(server.url, initial_delay=0.1, backoff_factor=2.0, max_delay=10.0)
    client.publish({"n": 1})
    assert client.flush(10)
    assert len(server.requests) == 4
    first, second, third = gaps(server)
    assert first >= 0.09 and second >= 0.19 and third >= 0.39


def test_idempotency_key_is_stable_across_retries_and_distinct_between_requests(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.script(Reply(503), Reply(429, {"Retry-After": "0"}), Reply(200), Reply(500), Reply(200))
    client = make_client(server.url)
    client.publish({"n": 1})
    assert client.flush(10)
    client.publish({"n": 2})
    assert client.flush(10)
    keys = [(r.json()["n"], r.header("Idempotency-Key")) for r in server.requests]
    first = {key for n, key in keys if n == 1}
    second = {key for n, key in keys if n == 2}
    assert len(keys) == 5 and len(first) == 1 and len(second) == 1 and first != second


def test_batches_post_a_batch_object(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(Reply(200, delay=0.3))  # holds the worker while the rest queue up
    client = make_client(server.url, batch_size=3)
    seen = Collector(client)
    client.publish({"n": 0})
    assert server.wait_for(1)
    for n in range(1, 8):
        client.publish({"n": n})
    assert client.flush(10)
    bodies = [r.json() for r in server.requests]
    assert bodies == [
        {"batch": [{"n": 0}]},
        {"batch": [{"n": 1}, {"n": 2}, {"n": 3}]},
        {"batch": [{"n": 4}, {"n": 5}, {"n": 6}]},
        {"batch": [{"n": 7}]},
    ]
    assert [len(r.events) for r in seen.named("success_sent")] == [1, 3, 3, 1]
    assert client.stats.success_sent == client.stats.published == 8


def test_an_unserialisable_event_is_a_validation_error_and_never_sent(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    contexts: list[ErrorContext] = []
    client = make_client(server.url, error_callback=contexts.append)
    client.publish({"when": datetime.now(timezone.utc)})
    client.publish({"ratio": float("nan")})
    client.publish({"ok": True})
    assert client.flush(10)
    assert [r.json() for r in server.requests] == [{"ok": True}]
    assert [(c.category, c.severity, c.attempt) for c in contexts] == [
        ("validation", ErrorSeverity.ERROR, 0)
    ] * 2
    assert contexts[0].error.startswith("TypeError: ")
    assert client.stats.error == 2 and client.stats.success_sent == 1


def test_an_event_that_contains_itself_fails_alone(server: ScriptedServer, make_client: MakeClient) -> None:
    contexts: list[ErrorContext] = []
    client = make_client(server.url, batch_size=10, error_callback=contexts.append)
    looped: dict[str, Any] = {"n": 0}
    looped["self"] = looped
    client.publish(looped)
    client.publish({"n": 1})
    assert client.flush(10)
    assert [r.json() for r in server.requests] == [{"batch": [{"n": 1}]}]
    assert [(c.category, c.severity) for c in contexts] == [("validation", ErrorSeverity.ERROR)]
    assert client.stats.error == 1 and client.stats.success_sent == 1


def test_one_bad_event_in_a_batch_fails_alone(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(Reply(200, delay=0.3))
    client = make_client(server.url, batch_size=3)
    seen = Collector(client)
    client.publish({"n": 0})
    assert server.wait_for(1)
    client.publish({"n": 1})
    client.publish({"n": object()})
    client.publish({"n": 3})
    assert client.flush(10)
    assert [r.json() for r in server.requests][1] == {"batch": [{"n": 1}, {"n": 3}]}
    [error] = seen.named("error")
    assert error.context is not None and error.context.category == "validation"
    assert json.dumps(client.stats.error) == "1"


def test_one_session_pools_connections(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(Reply(503))
    client = make_client(server.url)
    for n in range(3):
        client.publish({"n": n})
        assert client.flush(10)
    assert len(server.requests) == 4
    assert len({r.client_port for r in server.requests}) == 1  # one kept-alive connection


def test_workers_are_daemon_threads(server: ScriptedServer, make_client: MakeClient) -> None:
    client = make_client(server.url, workers=3)
    workers = client._workers
    assert len(workers) == 3
    assert all(worker.daemon and worker.is_alive() for worker in workers)


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_from_the_environment_is_used(
    server: ScriptedServer, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """The environment is merged once per client, not per request: its proxy still applies."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, f"http://127.0.0.1:{server.port}")
    client = make_client("http://collector.invalid:9/ingest", batch_size=10)  # resolvable only by the proxy
    for n in range(3):
        client.publish({"n": n})
    assert client.flush(10)
    assert client.stats.success_sent == 3
    assert {request.path for request in server.requests} == {"http://collector.invalid:9/ingest"}


def test_the_callers_session_headers_auth_and_cookies_apply_even_when_changed_later(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    """Requests are prepared from a copy of the session's part: a change to the session still counts."""
    session = requests.Session()
    session.headers["X-Token"] = "first"
    client = make_client(server.url, session=session)
    client.publish({"n": 0})
    assert client.flush(10)
    session.headers["X-Token"] = "rotated"
    client.publish({"n": 1})
    assert client.flush(10)
    session.auth = ("user", "pass")
    session.cookies.set("sticky", "node-2")
    client.publish({"n": 2})
    assert client.flush(10)
    tokens = [request.header("X-Token") for request in server.requests]
    assert tokens == ["first", "rotated", "rotated"]
    last = server.requests[-1]
    assert last.header("Authorization") == "Basic dXNlcjpwYXNz" and last.header("Cookie") == "sticky=node-2"
    assert [request.json() for request in server.requests] == [{"n": 0}, {"n": 1}, {"n": 2}]
    session.close()


def test_a_cookie_the_server_sets_is_sent_back_as_a_session_would(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    """A plain session skips Session.send(), but not its cookie jar."""
    server.script(Reply(200, headers={"Set-Cookie": "route=node-7; Path=/"}))
    session = requests.Session()
    client = make_client(server.url, session=session)
    for n in range(3):
        client.publish({"n": n})
        assert client.flush(10)
    assert [request.header("Cookie") for request in server.requests] == [None, "route=node-7", "route=node-7"]
    assert session.cookies.get("route") == "node-7"
    session.close()


class CountingAdapter(requests.adapters.HTTPAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.sent += 1
        return super().send(request, *args, **kwargs)


def test_an_adapter_or_hook_added_later_is_used(server: ScriptedServer, make_client: MakeClient) -> None:
    """What a plain session sends directly goes through Session.send() once the session is not plain."""
    session = requests.Session()
    client = make_client(server.url, session=session)
    client.publish({"n": 0})
    assert client.flush(10)
    adapter = CountingAdapter()
    session.mount(server.url, adapter)
    client.publish({"n": 1})
    assert client.flush(10)
    statuses: list[int] = []
    session.hooks["response"].append(lambda response, **_: statuses.append(response.status_code))
    client.publish({"n": 2})
    assert client.flush(10)
    assert adapter.sent == 2 and statuses == [200]
    assert [request.json() for request in server.requests] == [{"n": 0}, {"n": 1}, {"n": 2}]
    session.close()


def test_a_plain_session_reports_requests_errors(dead_url: str, server: ScriptedServer, make_client: MakeClient) -> None:
    """The direct path raises what HTTPAdapter.send() raises: the messages name requests' exceptions."""
    refused = make_client(dead_url, max_attempts=1)
    seen = Collector(refused)
    refused.publish({"n": 0})
    assert refused.flush(10)
    server.script(Reply(200, delay=2.0))
    slow = make_client(server.url, max_attempts=1, request_timeout=0.3)
    slow_seen = Collector(slow)
    slow.publish({"n": 1})
    assert slow.flush(10)
    [failed] = seen.named("final_error")
    [timed_out] = slow_seen.named("final_error")
    assert failed.context is not None and failed.context.error.startswith("ConnectionError: ")
    assert failed.context.category == "network"
    assert timed_out.context is not None and timed_out.context.error.startswith("ReadTimeout: ")
    assert timed_out.context.category == "network"


def test_request_keys_are_distinct_uuid4s_and_each_transport_has_its_own() -> None:
    from activity_publisher.transport import Transport

    session = requests.Session()
    first, second = (Transport(session, "http://127.0.0.1:9/ingest", 1.0) for _ in range(2))
    keys = [uuid.UUID(first.request_key()) for _ in range(5_000)] + [uuid.UUID(second.request_key())]
    assert all(key.version == 4 and key.variant == uuid.RFC_4122 for key in keys)
    assert len(set(keys)) == len(keys)
    assert keys[-1].int >> 64 != keys[0].int >> 64  # not one base varied twice
    session.close()
