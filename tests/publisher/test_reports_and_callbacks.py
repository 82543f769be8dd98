"""on() handlers, the error callback (timeout, hangs, exceptions), event data and stats."""

import logging
import threading
import time

import pytest

from activity_publisher import DeliveryReport, DeliveryStats, ErrorContext, ErrorSeverity
from activity_publisher.callbacks import MAX_PENDING_CALLBACKS

from .conftest import Collector, MakeClient
from .server import Reply, ScriptedServer


def test_unknown_event_names_are_rejected(make_client: MakeClient, server: ScriptedServer) -> None:
    client = make_client(server.url)
    with pytest.raises(ValueError, match="unknown event name 'sent'"):
        client.on("sent", print)
    with pytest.raises(TypeError):
        client.on("error", "not callable")  # type: ignore[arg-type]


def test_several_handlers_run_in_order_on_the_worker_thread(
    make_client: MakeClient, server: ScriptedServer
) -> None:
    client = make_client(server.url)
    calls: list[tuple[str, str]] = []
    client.on("success_sent", lambda report: calls.append(("first", threading.current_thread().name)))
    client.on("success_sent", lambda report: calls.append(("second", threading.current_thread().name)))
    client.publish({"n": 1})
    assert client.flush(10)
    assert [who for who, _ in calls] == ["first", "second"]
    assert all(thread.startswith("activity-publisher-worker") for _, thread in calls)


def test_reports_and_stats_are_immutable(make_client: MakeClient, server: ScriptedServer) -> None:
    client = make_client(server.url)
    seen = Collector(client)
    client.publish({"n": 1})
    assert client.flush(10)
    with pytest.raises(AttributeError):
        seen.reports[0].attempt = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        client.stats.published = 5  # type: ignore[misc]
    assert isinstance(seen.reports[0].events, tuple)
    assert ErrorSeverity.LOW < ErrorSeverity.WARN < ErrorSeverity.ERROR < ErrorSeverity.CRITICAL


def test_a_raising_handler_is_logged_once_per_event_name_and_the_worker_lives(
    make_client: MakeClient, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(Reply(503), Reply(200), Reply(503), Reply(200), Reply(200))

    def boom(report: DeliveryReport) -> None:
        raise RuntimeError(f"handler failed on {report.event_name}")

    client = make_client(server.url)
    client.on("success_sent", boom)
    client.on("retry", boom)
    seen = Collector(client)  # registered after the raising one: still called
    with caplog.at_level(logging.ERROR, logger="activity_publisher"):
        for n in range(3):
            client.publish({"n": n})
        assert client.flush(10)
    assert client.stats.success_sent == 3 and seen.count("success_sent") == 3
    failures = [r for r in caplog.records if "handler raised" in r.getMessage()]
    assert sorted(r.getMessage().split("'")[1] for r in failures) == ["retry", "success_sent"]
    assert all(r.exc_info for r in failures)


def test_a_raising_callback_is_logged_once_and_the_worker_lives(
    make_client: MakeClient, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(Reply(400), Reply(400), Reply(400), Reply(200))
    calls: list[ErrorContext] = []

    def boom(context: ErrorContext) -> None:
        calls.append(context)
        raise ValueError("callback failed")

    client = make_client(server.url, error_callback=boom)
    with caplog.at_level(logging.ERROR, logger="activity_publisher"):
        for n in range(4):
            client.publish({"n": n})
        assert client.flush(10)
        deadline = time.monotonic() + 5
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(calls) == 3
    assert client.stats.error == 3 and client.stats.success_sent == 1
    assert len([r for r in caplog.records if "error callback raised" in r.getMessage()]) == 1


def test_the_callback_runs_off_the_worker_thread(make_client: MakeClient, server: ScriptedServer) -> None:
    server.set_default(Reply(400))
    threads: list[str] = []
    client = make_client(
        server.url, error_callback=lambda context: threads.append(threading.current_thread().name)
    )
    client.publish({"n": 1})
    assert client.flush(10)
    assert threads == ["activity-publisher-error-callback"]


def test_a_hanging_callback_cannot_stall_delivery(
    make_client: MakeClient, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.set_default(Reply(400))
    release = threading.Event()
    started: list[ErrorContext] = []

    def hang(context: ErrorContext) -> None:
        started.append(context)
        release.wait()

    client = make_client(server.url, error_callback=hang, error_callback_timeout=0.05)
    try:
        with caplog.at_level(logging.WARNING, logger="activity_publisher"):
            for n in range(10):
                client.publish({"n": n})
            assert client.flush(10)
        assert client.stats.error == 10  # every event settled although every callback hangs
        assert len(started) == MAX_PENDING_CALLBACKS  # the rest were skipped, not piled up
        messages = [r.getMessage() for r in caplog.records]
        assert any("still running after 0.05 s" in m for m in messages)
        assert any("error callback skipped" in m for m in messages)
        assert len(messages) < 10  # throttled, not one line per skip
    finally:
        release.set()


def test_callbacks_resume_when_hung_ones_finish(make_client: MakeClient, server: ScriptedServer) -> None:
    server.set_default(Reply(400))
    release = threading.Event()
    calls: list[int] = []

    def slow(context: ErrorContext) -> None:
        calls.append(1)
        release.wait()

    client = make_client(server.url, error_callback=slow, error_callback_timeout=0.02)
    for n in range(MAX_PENDING_CALLBACKS + 2):
        client.publish({"n": n})
    assert client.flush(10)
    release.set()
    time.sleep(0.1)
    client.publish({"n": 99})
    assert client.flush(10)
    deadline = time.monotonic() + 5
    while len(calls) < MAX_PENDING_CALLBACKS + 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(calls) == MAX_PENDING_CALLBACKS + 1


@pytest.mark.parametrize("batch_size", [1, 3])
def test_event_data_is_left_out_by_default(
    make_client: MakeClient, server: ScriptedServer, batch_size: int
) -> None:
    server.set_default(Reply(400))
    contexts: list[ErrorContext] = []
    client = make_client(server.url, error_callback=contexts.append, batch_size=batch_size)
    seen = Collector(client)
    client.publish({"email": "alice@example.org"})
    assert client.flush(10)
    assert [c.event_data for c in contexts] == [None]
    assert seen.reports[0].context is not None and seen.reports[0].context.event_data is None


def test_event_data_is_the_event_when_asked(make_client: MakeClient, server: ScriptedServer) -> None:
    server.set_default(Reply(400))
    contexts: list[ErrorContext] = []
    client = make_client(server.url, error_callback=contexts.append, include_event_data=True)
    client.publish({"email": "alice@example.org"})
    assert client.flush(10)
    assert [c.event_data for c in contexts] == [{"email": "alice@example.org"}]


def test_event_data_is_a_batch_object_with_batching(make_client: MakeClient, server: ScriptedServer) -> None:
    server.script(Reply(200, delay=0.3))
    server.set_default(Reply(400))
    contexts: list[ErrorContext] = []
    client = make_client(server.url, error_callback=contexts.append, include_event_data=True, batch_size=5)
    client.publish({"n": 0})
    assert server.wait_for(1)
    client.publish({"n": 1})
    client.publish({"n": 2})
    assert client.flush(10)
    assert [c.event_data for c in contexts] == [{"batch": [{"n": 1}, {"n": 2}]}]


def test_stats_count_events_not_requests(make_client: MakeClient, server: ScriptedServer) -> None:
    server.script(Reply(200, delay=0.3), Reply(503), Reply(200))
    client = make_client(server.url, batch_size=4)
    client.publish({"n": 0})
    assert server.wait_for(1)
    for n in range(1, 5):
        client.publish({"n": n})
    assert client.flush(10)
    assert len(server.requests) == 3
    assert client.stats == DeliveryStats(published=5, success_sent=5, retry=4)
