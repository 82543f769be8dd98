"""The fluent builder and the settings validation it shares with the constructor."""

import inspect
import sys
from typing import Any

import pytest
import requests

from activity_publisher import ActivityClient, ActivityClientBuilder, DeliveryReport, ErrorContext

from .server import Reply, ScriptedServer

SETTERS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("endpoint", ("http://127.0.0.1:1/x",), {}),
    ("max_queue_size", (5,), {}),
    ("retry", (), {"max_attempts": 2}),
    ("retry", (), {}),
    ("timeout", (3.0,), {}),
    ("headers", ({"X-A": "1"},), {}),
    ("workers", (2,), {}),
    ("batch_size", (2,), {}),
    ("on_error", (print,), {"timeout": 1.0}),
    ("on_error", (print,), {}),
    ("include_event_data", (True,), {}),
    ("shutdown_timeout", (1.0,), {}),
    ("session", (requests.Session(),), {}),
    ("spool", ("events.db",), {"commit_interval": 0.1, "group_size": 10, "max_events": 100}),
    ("on", ("dropped", print), {}),
]


@pytest.mark.parametrize(
    ("name", "args", "kwargs"), SETTERS, ids=[f"{s[0]}-{i}" for i, s in enumerate(SETTERS)]
)
def test_every_setter_returns_the_builder(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    builder = ActivityClient.builder()
    assert isinstance(builder, ActivityClientBuilder)
    assert getattr(builder, name)(*args, **kwargs) is builder


def test_every_public_builder_method_is_covered() -> None:
    public = {
        name
        for name, _ in inspect.getmembers(ActivityClientBuilder, inspect.isfunction)
        if not name.startswith("_")
    }
    assert public == {name for name, _, _ in SETTERS} | {"build"}


def test_a_built_client_uses_every_setting(server: ScriptedServer) -> None:
    server.script(Reply(200, delay=0.3), Reply(503), Reply(503))
    contexts: list[ErrorContext] = []
    reports: list[DeliveryReport] = []
    session = requests.Session()
    client = (
        ActivityClient.builder()
        .endpoint(server.url)
        .max_queue_size(10)
        .retry(max_attempts=2, initial_delay=0.01)
        .retry(backoff_factor=1.5, max_delay=0.02, jitter=0.1)
        .timeout(5.0)
        .headers({"Authorization": "Bearer abcd"})
        .workers(1)
        .batch_size(2)
        .on_error(contexts.append, timeout=1.0)
        .include_event_data()
        .shutdown_timeout(1.0)
        .session(session)
        .on("final_error", reports.append)
        .build()
    )
    try:
        client.publish({"n": 0})
        assert server.wait_for(1)
        client.publish({"n": 1})
        client.publish({"n": 2})
        assert client.flush(10)
    finally:
        client.close(5)
    assert [r.json() for r in server.requests][1:] == [{"batch": [{"n": 1}, {"n": 2}]}] * 2  # 2 attempts
    assert all(r.header("Authorization") == "Bearer abcd" for r in server.requests)
    [final] = reports
    assert final.context is not None and final.context.event_data == {"batch": [{"n": 1}, {"n": 2}]}
    assert [c.severity.name for c in contexts] == ["WARN", "CRITICAL"]


def test_on_rejects_an_unknown_name_at_once() -> None:
    with pytest.raises(ValueError, match="unknown event name 'succes_sent'"):
        ActivityClient.builder().on("succes_sent", print)


def test_build_needs_an_endpoint() -> None:
    with pytest.raises(ValueError, match="endpoint"):
        ActivityClient.builder().build()


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("max_queue_size", {"max_queue_size": 0}, "max_queue_size"),
    ("max_attempts", {"max_attempts": 0}, "max_attempts"),
    ("workers", {"workers": 0}, "workers"),
    ("batch_size", {"batch_size": 0}, "batch_size"),
    ("count-float", {"workers": 1.5}, "workers"),
    ("count-bool", {"max_attempts": True}, "max_attempts"),
    ("initial_delay", {"initial_delay": -0.1}, "initial_delay"),
    ("max_delay", {"max_delay": -1}, "max_delay"),
    ("max_delay-inf", {"max_delay": float("inf")}, "max_delay"),
    ("delay-nan", {"initial_delay": float("nan")}, "initial_delay"),
    ("backoff_factor", {"backoff_factor": 0.5}, "backoff_factor"),
    ("jitter-low", {"jitter": -0.1}, "jitter"),
    ("jitter-high", {"jitter": 1.5}, "jitter"),
    ("request_timeout", {"request_timeout": 0}, "request_timeout"),
    ("error_callback_timeout", {"error_callback_timeout": -1}, "error_callback_timeout"),
    ("shutdown_timeout", {"shutdown_timeout": 0}, "shutdown_timeout"),
    ("timeout-str", {"request_timeout": "5"}, "request_timeout"),
    # Beyond what threading and sockets accept: once taken, they failed every event (OverflowError).
    ("request_timeout-maxsize", {"request_timeout": sys.maxsize}, "request_timeout"),
    ("shutdown_timeout-maxsize", {"shutdown_timeout": sys.maxsize}, "shutdown_timeout"),
    ("error_callback_timeout-huge", {"error_callback_timeout": 1e12}, "error_callback_timeout"),
    ("max_delay-huge", {"max_delay": 1e12}, "max_delay"),
    ("headers-type", {"headers": {"X": 1}}, "headers"),
    ("error_callback", {"error_callback": "print"}, "error_callback"),
    ("include_event_data", {"include_event_data": "yes"}, "include_event_data"),
    ("session", {"session": object()}, "session"),
]


@pytest.mark.parametrize(("case", "settings", "named"), BAD, ids=[case for case, _, _ in BAD])
def test_constructor_rejects_bad_settings_by_name(case: str, settings: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        ActivityClient("http://127.0.0.1:1/x", **settings)


BUILDER_BAD: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = [
    ("max_queue_size", "max_queue_size", (0,), {}),
    ("max_attempts", "retry", (), {"max_attempts": 0}),
    ("initial_delay", "retry", (), {"initial_delay": -1}),
    ("backoff_factor", "retry", (), {"backoff_factor": 0.9}),
    ("max_delay", "retry", (), {"max_delay": -1}),
    ("jitter", "retry", (), {"jitter": 2}),
    ("request_timeout", "timeout", (0,), {}),
    ("headers", "headers", ({"X": None},), {}),
    ("workers", "workers", (0,), {}),
    ("batch_size", "batch_size", (-1,), {}),
    ("error_callback_timeout", "on_error", (print,), {"timeout": 0}),
    ("error_callback", "on_error", (42,), {}),
    ("shutdown_timeout", "shutdown_timeout", (-1,), {}),
    ("session", "session", ("not a session",), {}),
]


@pytest.mark.parametrize(("named", "setter", "args", "kwargs"), BUILDER_BAD, ids=[b[0] for b in BUILDER_BAD])
def test_build_rejects_bad_settings_by_name(
    named: str, setter: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    builder = getattr(ActivityClient.builder().endpoint("http://127.0.0.1:1/x"), setter)(*args, **kwargs)
    with pytest.raises(ValueError, match=named):
        builder.build()


@pytest.mark.parametrize(
    "endpoint",
    [
        "",
        "127.0.0.1:8080/x",
        "ftp://host/x",
        "http://",
        "http:///path",
        "http://[::1/x",
        "file:///etc/passwd",
    ],
)
def test_endpoint_must_be_http_with_a_host(endpoint: str) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        ActivityClient(endpoint)
    with pytest.raises(ValueError, match="endpoint"):
        ActivityClient.builder().endpoint(endpoint).build()


def test_boundary_values_are_accepted() -> None:
    client = ActivityClient(
        "https://127.0.0.1:1/x",
        max_queue_size=1,
        max_attempts=1,
        initial_delay=0,
        max_delay=0,
        backoff_factor=1,
        jitter=1,
        workers=1,
        batch_size=1,
        request_timeout=0.001,
    )
    client.close(1)
