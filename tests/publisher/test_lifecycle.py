"""publish/flush/close semantics: bounded queue, deadlines, shutdown, exactly one outcome."""

import gc
import itertools
import logging
import queue
import threading
import time
import weakref
import zlib
from collections import Counter
from collections.abc import Callable

import pytest

from activity_publisher import ActivityClient, ClientClosedError, DeliveryStats, QueueFullError

from .conftest import Collector, MakeClient
from .server import Recorded, Reply, ScriptedServer

TERMINAL = ("success_sent", "error", "final_error", "dropped")


def settled(stats: DeliveryStats) -> int:
    return stats.success_sent + stats.error + stats.final_error + stats.dropped


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def workers_of(client: ActivityClient) -> list[threading.Thread]:
    return list(client._workers)


def test_publish_after_close_raises(make_client: MakeClient, server: ScriptedServer) -> None:
    client = make_client(server.url)
    client.close(5)
    with pytest.raises(ClientClosedError, match="closed"):
        client.publish({"n": 1})
    assert isinstance(ClientClosedError(), RuntimeError)
    assert client.stats.published == 0


def test_publish_raises_as_soon_as_close_is_called(make_client: MakeClient, server: ScriptedServer) -> None:
    server.set_default(Reply(hang=True))
    client = make_client(server.url)
    client.publish({"n": 1})
    assert server.wait_for(1)
    closing = threading.Thread(target=client.close, args=(2.0,))
    closing.start()
    assert wait_until(lambda: not client._queue.accepting)
    assert closing.is_alive()  # close() is still flushing
    with pytest.raises(ClientClosedError):
        client.publish({"n": 2})
    server.release()
    closing.join(5)
    assert client.stats.published == 1


def test_a_full_queue_raises_queue_full_with_its_size(
    make_client: MakeClient, server: ScriptedServer
) -> None:
    server.set_default(Reply(hang=True))
    client = make_client(server.url, max_queue_size=2)
    client.publish({"n": 0})
    assert server.wait_for(1)  # the worker holds n=0; the queue is empty again
    client.publish({"n": 1})
    client.publish({"n": 2})
    with pytest.raises(queue.Full) as raised:
        client.publish({"n": 3})
    assert isinstance(raised.value, QueueFullError) and raised.value.max_size == 2
    assert "2 events" in str(raised.value)
    assert client.stats.published == 3
    server.release()


def test_flush_with_a_timeout_returns_false_against_a_hung_server(
    make_client: MakeClient, server: ScriptedServer
) -> None:
    server.set_default(Reply(hang=True))
    client = make_client(server.url)
    client.publish({"n": 1})
    started = time.monotonic()
    assert client.flush(0.2) is False
    assert 0.15 <= time.monotonic() - started < 5
    server.set_default(Reply(200))
    server.release()  # the hung request fails (connection closed) and is retried


def test_flush_without_timeout_waits_for_every_outcome(
    make_client: MakeClient, server: ScriptedServer
) -> None:
    server.script(Reply(503), Reply(200, delay=0.05))
    client = make_client(server.url)
    seen = Collector(client)
    for n in range(3):
        client.publish({"n": n})
    assert client.flush() is True
    assert seen.count("success_sent") == 3  # handlers have run too
    assert client.flush(0) is True


def test_a_flush_returns_when_its_events_are_done_while_later_ones_are_still_out(
    make_client: MakeClient, server: ScriptedServer
) -> None:
    """done() wakes a waiting flush once its own events are finished, not only when all are."""
    server.script(Reply(200, delay=0.3), Reply(200, delay=0.3))
    server.set_default(Reply(hang=True))
    client = make_client(server.url, batch_size=1, workers=2)
    client.publish({"n": 0})
    client.publish({"n": 1})
    outcome: list[bool] = []
    flusher = threading.Thread(target=lambda: outcome.append(client.flush(30)))
    flusher.start()
    deadline = time.monotonic() + 5
    while not client._queue._awaited and time.monotonic() < deadline:  # the flush is waiting for 0 and 1
        time.sleep(0.01)
    client.publish({"n": 2})  # hangs: the queue is not empty when 0 and 1 are done
    flusher.join(5)
    returned = not flusher.is_alive()
    server.set_default(Reply(200))
    server.release()
    flusher.join(30)
    assert returned and outcome == [True]


def test_close_against_a_hung_server_returns_in_time_and_drops_the_rest(
    make_client: MakeClient, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.set_default(Reply(hang=True))
    client = make_client(server.url, request_timeout=30.0)
    dropped_on: list[str] = []
    client.on("dropped", lambda report: dropped_on.append(threading.current_thread().name))
    seen = Collector(client)
    for n in range(3):
        client.publish({"n": n})
    assert server.wait_for(1)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="activity_publisher"):
        client.close(0.3)
    assert time.monotonic() - started < 3
    stats = client.stats
    assert stats == DeliveryStats(published=3, dropped=3)
    assert sorted(event["n"] for report in seen.named("dropped") for event in report.events) == [0, 1, 2]
    assert set(dropped_on) == {threading.current_thread().name}
    assert any("3 event(s) not confirmed" in r.getMessage() for r in caplog.records)
    server.release()  # the in-flight request now fails; the worker must not count it again
    assert wait_until(lambda: not any(w.is_alive() for w in workers_of(client)))
    assert client.stats == stats
    assert [r.event_name for r in seen.reports] == ["dropped"] * len(seen.reports)


def test_a_late_success_after_close_gave_up_is_not_counted_twice(
    make_client: MakeClient, server: ScriptedServer
) -> None:
    server.set_default(Reply(200, delay=0.5))
    client = make_client(server.url)
    seen = Collector(client)
    client.publish({"n": 1})
    assert server.wait_for(1)
    client.close(0.05)
    assert client.stats.dropped == 1
    assert wait_until(lambda: not any(w.is_alive() for w in workers_of(client)))
    assert client.stats == DeliveryStats(published=1, dropped=1)
    assert [r.event_name for r in seen.reports] == ["dropped"]


def test_close_wakes_a_worker_in_backoff_at_once(make_client: MakeClient, dead_url: str) -> None:
    client = make_client(dead_url, initial_delay=30.0, max_delay=30.0)
    seen = Collector(client)
    client.publish({"n": 1})
    assert wait_until(lambda: seen.count("retry") == 1)
    client.close(0.2)  # flush gives up after 0.2 s; shutdown then wakes the backoff wait
    assert client.stats == DeliveryStats(published=1, retry=1, dropped=1)
    [dropped] = seen.named("dropped")
    assert dropped.attempt == 1  # one failed attempt before close gave up
    assert wait_until(lambda: not any(w.is_alive() for w in workers_of(client)), timeout=3)  # not 30 s


def test_close_is_idempotent_and_a_second_caller_waits_for_the_first(
    make_client: MakeClient, server: ScriptedServer
) -> None:
    server.set_default(Reply(200, delay=0.3))
    client = make_client(server.url)
    client.publish({"n": 1})
    assert server.wait_for(1)
    first = threading.Thread(target=client.close, args=(5.0,))
    first.start()
    assert wait_until(lambda: not client._queue.accepting)
    client.close(5.0)  # returns once the first close() has finished
    assert client.stats == DeliveryStats(published=1, success_sent=1)
    first.join(5)
    client.close()
    client.close(0)


def test_close_without_timeout_delivers_everything(make_client: MakeClient, server: ScriptedServer) -> None:
    server.script(Reply(503), Reply(429, {"Retry-After": "0"}))
    client = make_client(server.url)
    for n in range(5):
        client.publish({"n": n})
    client.close()
    assert client.stats == DeliveryStats(published=5, success_sent=5, retry=1, rate_limited=1)
    assert not any(w.is_alive() for w in workers_of(client))


def test_the_context_manager_waits_for_delivery_but_only_up_to_close_timeout(
    make_client: MakeClient, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``with client:`` is close() without a timeout: bounded by CLOSE_TIMEOUT, not shutdown_timeout."""
    monkeypatch.setattr("activity_publisher.client.CLOSE_TIMEOUT", 0.5)
    server.set_default(Reply(hang=True))
    started = time.monotonic()
    with make_client(server.url, shutdown_timeout=0.01) as client:
        client.publish({"n": 1})
        client.publish({"n": 2})
    assert time.monotonic() - started < 0.5 + 3  # the bound, plus slack for a loaded machine
    assert client.stats == DeliveryStats(published=2, dropped=2)
    with pytest.raises(ClientClosedError):
        client.publish({"n": 3})
    server.release()


def test_the_defaults_deliver_a_burst_of_10000_events_to_a_healthy_collector(server: ScriptedServer) -> None:
    """The README's pattern with every default: builder, ``with client:``, a burst, a local 200."""
    client = ActivityClient.builder().endpoint(server.url).build()
    with client:
        for n in range(10_000):
            client.publish({"n": n})
    assert client.stats == DeliveryStats(published=10_000, success_sent=10_000)
    bodies = [request.json() for request in server.requests]
    assert sorted(event["n"] for body in bodies for event in body["batch"]) == list(range(10_000))
    assert max(len(body["batch"]) for body in bodies) == 100  # batched by default


def test_a_full_queue_is_counted_as_refused(make_client: MakeClient, server: ScriptedServer) -> None:
    server.set_default(Reply(hang=True))
    client = make_client(server.url, max_queue_size=2, request_timeout=30.0)
    client.publish({"n": 0})
    assert server.wait_for(1)  # the worker holds n=0; the queue has room for two more
    client.publish({"n": 1})
    client.publish({"n": 2})
    for n in range(3, 6):
        with pytest.raises(QueueFullError):
            client.publish({"n": n})
    assert (client.stats.published, client.stats.refused) == (3, 3)
    client.close(0.2)
    server.release()
    stats = client.stats
    assert (stats.published, stats.dropped, stats.refused) == (3, 3, 3)


def test_a_worker_survives_an_unexpected_error(
    make_client: MakeClient,
    server: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = make_client(server.url)
    real_deliver = client._deliver
    calls = itertools.count()

    def flaky(entries: list) -> None:
        if next(calls) == 0:
            raise KeyError("a bug")
        real_deliver(entries)

    monkeypatch.setattr(client, "_deliver", flaky)
    with caplog.at_level(logging.ERROR, logger="activity_publisher"):
        client.publish({"n": 1})
        client.publish({"n": 2})
        assert client.flush(10)
    assert client.stats == DeliveryStats(published=2, success_sent=1, error=1)
    assert [r.json() for r in server.requests] == [{"n": 2}]
    assert any("unexpected error" in r.getMessage() and r.exc_info for r in caplog.records)


def test_closed_clients_are_not_kept_alive(server: ScriptedServer) -> None:
    client = ActivityClient(server.url)
    client.publish({"n": 1})
    client.close(5)
    workers = workers_of(client)
    assert wait_until(lambda: not any(w.is_alive() for w in workers))
    ref = weakref.ref(client)
    del client
    gc.collect()
    assert ref() is None


def mixed_faults(request: Recorded) -> Reply:
    """A fixed rotation of every kind of answer, keyed on the request's arrival order."""
    replies = [
        Reply(200),
        Reply(503),
        Reply(429, {"Retry-After": "0"}),
        Reply(400),
        Reply(409),
        Reply(200, delay=0.02),
        Reply(302),
        Reply(500),
        Reply(200),
        Reply(600),
    ]
    return replies[zlib.crc32(request.body) % len(replies)]


def run_producers(client: ActivityClient, producers: int, per_producer: int) -> tuple[list[str], int]:
    accepted: list[str] = []
    rejected = itertools.count()

    def produce(producer: int) -> None:
        for n in range(per_producer):
            event_id = f"{producer}-{n}"
            try:
                client.publish({"id": event_id})
            except QueueFullError:
                next(rejected)
                time.sleep(0.002)
            except ClientClosedError:
                return
            else:
                accepted.append(event_id)

    threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return accepted, next(rejected)


def assert_exactly_one_outcome(seen: Collector, accepted: list[str], stats: DeliveryStats) -> None:
    outcomes = Counter(
        event["id"] for report in seen.reports if report.event_name in TERMINAL for event in report.events
    )
    assert set(outcomes) == set(accepted)
    assert set(outcomes.values()) == {1}
    assert stats.published == len(accepted) == settled(stats)
    for name in ("success_sent", "retry", "rate_limited", "error", "final_error", "dropped"):
        assert seen.count(name) == getattr(stats, name), name


@pytest.mark.slow
def test_accounting_under_mixed_faults(make_client: MakeClient, server: ScriptedServer) -> None:
    server.respond_with(mixed_faults)
    client = make_client(
        server.url,
        workers=3,
        batch_size=2,
        max_queue_size=40,
        max_attempts=3,
        initial_delay=0.001,
        max_delay=0.005,
    )
    seen = Collector(client)
    accepted, rejected = run_producers(client, producers=4, per_producer=150)
    assert client.flush(30)
    client.close(5)
    stats = client.stats
    assert stats.dropped == 0 and stats.success_sent and stats.error and stats.final_error and stats.retry
    assert rejected + len(accepted) == 600
    assert_exactly_one_outcome(seen, accepted, stats)
    delivered = {event["id"] for r in server.requests for event in r.json()["batch"]}
    assert {e["id"] for report in seen.named("success_sent") for e in report.events} <= delivered


@pytest.mark.slow
def test_accounting_when_close_races_producers_and_workers(
    make_client: MakeClient, server: ScriptedServer
) -> None:
    server.respond_with(
        lambda request: Reply(200, delay=0.01) if zlib.crc32(request.body) % 3 else Reply(503)
    )
    client = make_client(server.url, workers=3, max_queue_size=30, max_attempts=4, initial_delay=0.01)
    seen = Collector(client)
    result: list[tuple[list[str], int]] = []
    producing = threading.Thread(
        target=lambda: result.append(run_producers(client, producers=4, per_producer=10_000))
    )
    producing.start()
    time.sleep(0.3)
    started = time.monotonic()
    client.close(0.2)
    assert time.monotonic() - started < 3
    producing.join(30)
    [(accepted, _)] = result
    stats = client.stats
    assert stats.dropped > 0  # close() gave up on a backlog
    assert stats.published == len(accepted) == settled(stats)
    assert wait_until(lambda: not any(w.is_alive() for w in workers_of(client)))
    assert_exactly_one_outcome(seen, accepted, client.stats)
