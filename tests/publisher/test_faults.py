"""The publisher loses nothing silently under faults: a fault matrix against a real server process.

The server runs in a child process (fault_server.py) so that it can be dead at the start, killed
mid-request and restarted on the same port. It records every request (Idempotency-Key, event ids,
what it answered) before answering, so the record survives its own death. Every case checks:

- ``published == success_sent + error + final_error + dropped`` once close() returned, and every
  published event has exactly one terminal report, matching the counters;
- every event the client counted as sent is in a request the server answered with 2xx/3xx;
- an event reaches the server in one request only (one Idempotency-Key), whose retries carry
  that key and the same events: a duplicate is always a retry that the server can de-duplicate;
- every worker thread is alive before close(), and close(timeout) returned within its bound
  (plus generous slack for a loaded machine: this is a bound, never a speed);
- the Authorization header value is in no log record, error context or report.

Delays are small on purpose: the whole file must stay fast enough for CI.
"""

import itertools
import logging
import ssl
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme

from activity_publisher import ActivityClient, DeliveryStats, ErrorContext, QueueFullError

from .conftest import Collector, MakeClient
from .fault_server import Record, ServerProcess, free_port, reply

SECRET = "Bearer fault-s3cr3t-t0ken-7"
TERMINAL = ("success_sent", "error", "final_error", "dropped")
#: Slack on close(timeout) for a loaded 2-core CI machine: a bound that catches a hang, not a speed.
CLOSE_SLACK = 2.0
#: Retries fast enough for CI and patient enough to outlast every fault below.
PATIENT: dict[str, Any] = {"max_attempts": 200, "initial_delay": 0.01, "max_delay": 0.05}


# -- the harness --------------------------------------------------------------------------------


@pytest.fixture
def fault_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server process (not started yet), killed at teardown."""
    process = ServerProcess(tmp_path / "requests.jsonl")
    yield process
    process.kill()


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, so a secret anywhere in a log line is seen


@dataclass
class Watched:
    """A client with every report, error context and published id collected."""

    client: ActivityClient
    seen: Collector
    contexts: list[ErrorContext]
    ids: list[str] = field(default_factory=list)
    max_attempts: int = 1

    def publish(self, prefix: str, count: int) -> list[str]:
        new = [f"{prefix}-{n}" for n in range(count)]
        for event_id in new:
            self.client.publish({"id": event_id, "payload": "x" * 20})
            self.ids.append(event_id)
        return new


@dataclass(frozen=True)
class Finished:
    stats: DeliveryStats
    workers_alive: bool
    close_seconds: float
    close_timeout: float


def watch(make_client: MakeClient, url: str, **kwargs: Any) -> Watched:
    contexts: list[ErrorContext] = []
    options = {"headers": {"Authorization": SECRET}, "error_callback": contexts.append, **kwargs}
    client = make_client(url, **options)
    return Watched(client, Collector(client), contexts, max_attempts=client._config.max_attempts)


def finish(
    watched: Watched, flush_timeout: float = 30.0, close_timeout: float = 5.0, *, workers_end: bool = True
) -> Finished:
    """flush, note whether every worker still lives, close and time it, then see the workers end.

    A worker can be handing a report to the handlers at the moment close() returns: it ends a
    moment later, and only then do the reports add up to the counters. A worker stuck in a
    request (``workers_end=False``) ends with that request, and reports nothing more.
    """
    watched.client.flush(flush_timeout)
    alive = all(worker.is_alive() for worker in watched.client._workers)
    started = time.monotonic()
    watched.client.close(close_timeout)
    finished = Finished(watched.client.stats, alive, time.monotonic() - started, close_timeout)
    if workers_end:
        assert wait_until(lambda: not any(worker.is_alive() for worker in watched.client._workers))
    return finished


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def answered_ok(record: Record) -> bool:
    """The server sent a 2xx/3xx status line (a truncated body after it included)."""
    return record["status"] is not None and 200 <= record["status"] <= 399


def by_key(records: list[Record]) -> dict[str, list[Record]]:
    keyed: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        keyed[record["key"]].append(record)
    return keyed


def assert_nothing_lost(
    watched: Watched,
    finished: Finished,
    records: list[Record],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The invariants every fault must keep (see the module docstring)."""
    stats = finished.stats
    # Accounting: every published event has exactly one terminal outcome, counted and reported.
    assert watched.client.stats == stats, "counted after close() returned"
    assert stats.published == len(watched.ids)
    assert stats.published == stats.success_sent + stats.error + stats.final_error + stats.dropped
    terminal = Counter(
        event["id"]
        for report in watched.seen.reports
        if report.event_name in TERMINAL
        for event in report.events
    )
    assert set(terminal) == set(watched.ids)
    assert set(terminal.values()) == {1}
    for name in ("success_sent", "retry", "rate_limited", "error", "final_error", "dropped"):
        assert watched.seen.count(name) == getattr(stats, name), name
    # Threads and deadlines.
    assert finished.workers_alive, "a worker thread died before close()"
    assert finished.close_seconds <= finished.close_timeout + CLOSE_SLACK
    # Every success is on the server's side.
    confirmed = {event_id for record in records if answered_ok(record) for event_id in record["ids"] or ()}
    sent = {event["id"] for report in watched.seen.named("success_sent") for event in report.events}
    assert sent <= confirmed
    # Duplicates only as retries of one request, under its Idempotency-Key.
    keys_of_event: dict[str, set[str]] = defaultdict(set)
    for key, attempts in by_key(records).items():
        assert key, "a request without an Idempotency-Key"
        assert len({tuple(attempt["ids"]) for attempt in attempts}) == 1, "one key, different events"
        assert len(attempts) <= watched.max_attempts
        for event_id in attempts[0]["ids"]:
            keys_of_event[event_id].add(key)
    assert all(len(keys) == 1 for keys in keys_of_event.values()), "an event sent under two keys"
    # No secret in any log record, error context or report (the server did get it).
    assert all(record["authorization"] == SECRET for record in records)
    said = [caplog.text]  # every record as formatted, tracebacks included
    said += [repr(context) for context in watched.contexts]
    said += [repr(report) for report in watched.seen.reports]
    assert not [text for text in said if "s3cr3t" in text]


def gaps_between_retries(records: list[Record]) -> list[float]:
    return [
        later["t"] - earlier["t"]
        for attempts in by_key(records).values()
        for earlier, later in itertools.pairwise(attempts)
    ]


# -- the server's life --------------------------------------------------------------------------


def test_server_dead_at_start_then_coming_up(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    watched = watch(make_client, f"http://127.0.0.1:{port}/ingest", workers=2, **PATIENT)
    watched.publish("early", 30)
    assert wait_until(lambda: watched.client.stats.retry >= 4)  # refused, and retried
    assert watched.client.stats.success_sent == 0
    fault_server.start(port=port)
    watched.publish("late", 10)
    finished = finish(watched)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)
    assert finished.stats.success_sent == 40
    assert {context.category for context in watched.contexts} == {"network"}


@pytest.mark.parametrize("batch_size", [1, 8])
def test_server_dying_mid_run_and_coming_back(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture, batch_size: int
) -> None:
    plan = {"default": reply(200, delay=0.005)}  # slow enough that kills land mid-request
    fault_server.start(plan)
    watched = watch(make_client, fault_server.url, workers=3, batch_size=batch_size, **PATIENT)
    stop = threading.Event()
    published: list[str] = []

    def produce() -> None:  # until the third server has answered: every life sees traffic
        for n in itertools.count():
            if stop.is_set():
                return
            watched.client.publish({"id": f"p-{n}", "payload": "x" * 20})
            published.append(f"p-{n}")
            time.sleep(0.002)

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        for _ in range(2):  # two deaths, each after this life of the server answered 10 requests
            assert fault_server.wait_for(len(fault_server.records()) + 10)
            fault_server.kill()
            time.sleep(0.2)  # dead for a while: refused connections, backoff
            fault_server.start(plan)
        assert fault_server.wait_for(len(fault_server.records()) + 10)  # the third life too
    finally:
        stop.set()
        producer.join(30)
    watched.ids.extend(published)
    finished = finish(watched)
    records = fault_server.records()
    assert_nothing_lost(watched, finished, records, caplog)
    assert finished.stats.success_sent == len(published)
    assert len({record["pid"] for record in records}) == 3


def test_a_request_the_server_died_in_is_retried_with_the_same_key(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    fault_server.start({"script": [reply(action="hang")]})
    watched = watch(make_client, fault_server.url, **PATIENT)
    watched.publish("e", 3)
    assert fault_server.wait_for(1)
    fault_server.kill()  # with e-0's request in its hands, unanswered
    fault_server.start()
    finished = finish(watched)
    records = fault_server.records()
    assert_nothing_lost(watched, finished, records, caplog)
    assert finished.stats.success_sent == 3
    first = [record for record in records if record["ids"] == ["e-0"]]
    assert [record["action"] for record in first] == ["hang", "answer"]
    assert first[0]["key"] == first[1]["key"] and first[0]["pid"] != first[1]["pid"]


def test_close_is_bounded_and_reports_dropped_while_the_server_stays_dead(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    watched = watch(make_client, f"http://127.0.0.1:{free_port()}/ingest", workers=2, **PATIENT)
    watched.publish("e", 50)
    assert wait_until(lambda: watched.client.stats.retry >= 4)
    finished = finish(watched, flush_timeout=0.2, close_timeout=0.5)
    assert_nothing_lost(watched, finished, [], caplog)
    assert finished.stats.dropped == 50


# -- broken connections and slow answers ----------------------------------------------------------


@pytest.mark.parametrize("action", ["reset", "close"])
def test_connections_dropped_mid_request_are_retried_with_the_same_key(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture, action: str
) -> None:
    fault_server.start({"cycle": [reply(action=action), reply(action=action), reply(200)]})
    watched = watch(make_client, fault_server.url, workers=2, **PATIENT)
    watched.publish("e", 20)
    finished = finish(watched)
    records = fault_server.records()
    assert_nothing_lost(watched, finished, records, caplog)
    assert finished.stats.success_sent == 20
    dropped_connections = sum(record["action"] == action for record in records)
    assert dropped_connections >= 20 and finished.stats.retry == dropped_connections
    assert {context.category for context in watched.contexts} == {"network"}


@pytest.mark.parametrize(("status", "outcome"), [(200, "success_sent"), (503, "retry")])
def test_a_body_cut_short_is_judged_by_its_status(
    fault_server: ServerProcess,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    status: int,
    outcome: str,
) -> None:
    """The status line arrived; a body that breaks off after it changes nothing."""
    fault_server.start({"script": [reply(status, body="partial", action="truncate")]})
    watched = watch(make_client, fault_server.url, **PATIENT)
    watched.publish("e", 3)
    finished = finish(watched)
    records = fault_server.records()
    assert_nothing_lost(watched, finished, records, caplog)
    first = watched.seen.reports[0]
    assert (first.event_name, first.response_status, first.events[0]["id"]) == (outcome, status, "e-0")
    assert finished.stats.success_sent == 3 and finished.stats.error == 0


def test_answers_slower_than_request_timeout_are_retried_with_the_same_key(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    fault_server.start({"script": [reply(200, delay=0.8)] * 3})
    watched = watch(make_client, fault_server.url, **(PATIENT | {"request_timeout": 0.2}))
    watched.publish("e", 3)
    finished = finish(watched)
    records = fault_server.records()
    assert_nothing_lost(watched, finished, records, caplog)
    assert finished.stats.success_sent == 3
    # e-0 timed out three times; under load, another request can time out too: each is a retry.
    assert finished.stats.retry == len(records) - 3 >= 3
    assert len(next(iter(by_key(records).values()))) >= 4
    assert all("Timeout" in context.error for context in watched.contexts)


def test_a_server_always_slower_than_request_timeout_ends_in_final_error(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    fault_server.start({"default": reply(200, delay=0.6)})
    watched = watch(make_client, fault_server.url, workers=2, max_attempts=2, request_timeout=0.15)
    watched.publish("e", 4)
    finished = finish(watched)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)
    assert finished.stats.final_error == 4
    [final] = {(c.category, c.severity.name) for c in watched.contexts if c.severity.name == "CRITICAL"}
    assert final == ("network", "CRITICAL")


def test_close_is_bounded_while_a_request_hangs(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    fault_server.start({"default": reply(action="hang")})
    watched = watch(make_client, fault_server.url, workers=2, request_timeout=30.0)
    watched.publish("e", 5)
    assert fault_server.wait_for(2)
    finished = finish(watched, flush_timeout=0.1, close_timeout=0.5, workers_end=False)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)
    assert finished.stats.dropped == 5
    fault_server.kill()  # the hung requests fail now; their workers end instead of reporting
    assert wait_until(lambda: not any(worker.is_alive() for worker in watched.client._workers))
    assert watched.client.stats == finished.stats


# -- error storms -----------------------------------------------------------------------------------


def test_a_5xx_storm_then_recovery_delivers_everything(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    storm = [reply(status, body="<html>down</html>") for status in (500, 502, 503, 504)] * 10
    fault_server.start({"script": storm})
    watched = watch(make_client, fault_server.url, workers=3, **PATIENT)
    watched.publish("e", 20)
    finished = finish(watched)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)
    assert (finished.stats.success_sent, finished.stats.retry) == (20, 40)
    assert {(context.category, context.severity.name) for context in watched.contexts} == {
        ("retryable", "WARN")
    }


def test_a_5xx_storm_that_outlasts_the_attempts_ends_in_final_error(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    fault_server.start({"default": reply(503)})
    watched = watch(make_client, fault_server.url, workers=2, batch_size=2, max_attempts=3)
    watched.publish("e", 10)
    finished = finish(watched)
    records = fault_server.records()
    assert_nothing_lost(watched, finished, records, caplog)
    assert finished.stats.final_error == 10
    assert {len(attempts) for attempts in by_key(records).values()} == {3}
    # One warning per failed batch would flood a log: at most the first is logged at once.
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len([record for record in warnings if "ended as final_error" in record.getMessage()]) == 1


def http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now), usegmt=True)


#: Retry-After values, and the least wait each must cause (max_delay is 0.25 s, backoff 0.05 s).
RETRY_AFTER: dict[str, tuple[Callable[[], str], float]] = {
    "seconds-0": (lambda: "0", 0.0),
    "seconds": (lambda: "1", 0.2),
    "http-date": (lambda: http_date(5), 0.2),
    "http-date-past": (lambda: http_date(-3600), 0.0),
    "malformed": (lambda: "soon", 0.04),
    "negative": (lambda: "-1", 0.04),
    "fraction": (lambda: "0.5", 0.04),
    "empty": (lambda: "", 0.04),
    "huge": (lambda: "9" * 30, 0.2),
    "huge-beyond-int-parsing": (lambda: "9" * 5000, 0.2),
}


@pytest.mark.parametrize("kind", RETRY_AFTER)
def test_a_429_storm_honours_or_ignores_retry_after_and_delivers_everything(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    header, least_wait = RETRY_AFTER[kind]
    fault_server.start({"script": [reply(429, headers={"Retry-After": header()})] * 6})
    watched = watch(
        make_client, fault_server.url, workers=2, max_attempts=20, initial_delay=0.05, max_delay=0.25
    )
    watched.publish("e", 4)
    finished = finish(watched)
    records = fault_server.records()
    assert_nothing_lost(watched, finished, records, caplog)
    stats = finished.stats
    assert (stats.success_sent, stats.rate_limited, stats.retry, stats.error) == (4, 6, 0, 0)
    assert watched.contexts == []  # rate limiting is LOW: no error callback
    limited = watched.seen.named("rate_limited")
    assert {(r.response_status, r.context and r.context.category) for r in limited} == {(429, "rate_limit")}
    assert min(gaps_between_retries(records)) >= least_wait


# -- hostile answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["", "<html><body>Bad Gateway</body></html>", "{not json", '{"ok": tru', "\x00\ufffd\x7f binary"],
    ids=["empty", "html", "broken-json", "cut-json", "binary"],
)
def test_response_bodies_are_never_parsed(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture, body: str
) -> None:
    plan = {
        "script": [reply(503, body=body), reply(429, headers={"Retry-After": "0"}, body=body)],
        "default": reply(200, headers={"Content-Type": "application/json"}, body=body),
    }
    fault_server.start(plan)
    watched = watch(make_client, fault_server.url, **PATIENT)
    watched.publish("e", 5)
    finished = finish(watched)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)
    assert (finished.stats.success_sent, finished.stats.retry, finished.stats.rate_limited) == (5, 1, 1)


def test_a_4xx_with_an_html_body_is_a_permanent_error(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    fault_server.start({"default": reply(400, body="<html>" + "no " * 2000 + "</html>")})
    watched = watch(make_client, fault_server.url, workers=2, **PATIENT)
    watched.publish("e", 6)
    finished = finish(watched)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)
    assert finished.stats.error == 6 and len(fault_server.records()) == 6
    assert {context.error for context in watched.contexts} == {"HTTP 400 Bad Request"}  # never the body


def test_short_bodies_keep_the_connection_and_long_ones_are_not_read(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A body is read and dropped only up to a limit, so a huge one cannot fill memory."""
    short, long = reply(200, body="ok" * 10), reply(200, body="x" * 1000, repeat=1000)  # 1 MB
    fault_server.start({"script": [short, short, short, long, long, short, short]})
    watched = watch(make_client, fault_server.url, **PATIENT)
    for n in range(7):  # one at a time: each request on the connection the last one left
        watched.client.publish({"id": f"e-{n}"})
        watched.ids.append(f"e-{n}")
        assert watched.client.flush(10)
    finished = finish(watched)
    records = fault_server.records()
    assert_nothing_lost(watched, finished, records, caplog)
    assert finished.stats.success_sent == 7
    ports = [record["client_port"] for record in records]
    assert len(set(ports[:4])) == 1  # short bodies: one pooled connection
    assert ports[4] != ports[3] and ports[5] != ports[4]  # closed after each unread long body
    assert ports[6] == ports[5]


def test_a_bug_in_delivery_is_reported_as_error_and_logged_once(
    fault_server: ServerProcess,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The safety net around delivery: the events end as reported errors, the workers live on."""

    def broken(*args: object, **kwargs: object) -> float:
        raise RuntimeError("a bug in the Retry-After parser")

    monkeypatch.setattr("activity_publisher.client.retry_after_delay", broken)
    fault_server.start({"default": reply(429, headers={"Retry-After": "1"})})
    watched = watch(make_client, fault_server.url, workers=2, **PATIENT)
    watched.publish("e", 6)
    finished = finish(watched)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)
    assert finished.stats.error == 6
    assert wait_until(lambda: len(watched.contexts) == 6)  # the callback runs on its own thread
    assert {(c.category, c.severity.name, c.error) for c in watched.contexts} == {
        ("permanent", "ERROR", "RuntimeError: a bug in the Retry-After parser")
    }
    tracebacks = [record for record in caplog.records if record.exc_info]
    assert len(tracebacks) == 1 and "unexpected error" in tracebacks[0].getMessage()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_count_as_sent_and_are_not_followed(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    fault_server.start({"default": reply(status, headers={"Location": "/elsewhere"})})
    watched = watch(make_client, fault_server.url, workers=2, **PATIENT)
    watched.publish("e", 6)
    finished = finish(watched)
    records = fault_server.records()
    assert_nothing_lost(watched, finished, records, caplog)
    assert finished.stats.success_sent == 6
    assert [(record["method"], record["path"]) for record in records] == [("POST", "/ingest")] * 6
    assert {report.response_status for report in watched.seen.named("success_sent")} == {status}


# -- concurrency --------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_queue_size", [20_000, 300], ids=["roomy-queue", "full-queue"])
def test_eight_producers_with_several_workers_and_batching_account_exactly(
    fault_server: ServerProcess,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    max_queue_size: int,
) -> None:
    caplog.set_level(logging.INFO)  # 16 000 events: DEBUG records would only slow this down
    cycle = [reply(200)] * 6 + [reply(503), reply(action="reset"), reply(429, headers={"Retry-After": "0"})]
    fault_server.start({"cycle": cycle})
    watched = watch(
        make_client,
        fault_server.url,
        workers=4,
        batch_size=25,
        max_queue_size=max_queue_size,
        max_attempts=50,
        initial_delay=0.001,
        max_delay=0.01,
    )
    producers, per_producer = 8, 2000
    accepted: list[list[str]] = [[] for _ in range(producers)]
    rejected = [0] * producers
    start = threading.Barrier(producers)

    def produce(producer: int) -> None:
        start.wait()
        for n in range(per_producer):
            event_id = f"{producer}-{n}"
            try:
                watched.client.publish({"id": event_id})
            except QueueFullError:
                rejected[producer] += 1
            else:
                accepted[producer].append(event_id)

    threads = [threading.Thread(target=produce, args=(producer,)) for producer in range(producers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    watched.ids.extend(itertools.chain.from_iterable(accepted))
    finished = finish(watched, flush_timeout=45.0)
    records = fault_server.records()
    assert_nothing_lost(watched, finished, records, caplog)
    stats = finished.stats
    assert stats.published + sum(rejected) == producers * per_producer
    assert stats.success_sent == stats.published > 0
    if max_queue_size > producers * per_producer:
        assert sum(rejected) == 0
    delivered = {event_id for record in records if answered_ok(record) for event_id in record["ids"]}
    assert delivered == set(watched.ids)
    assert stats.retry and stats.rate_limited


# -- TLS -------------------------------------------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[ServerProcess, Path]]:
    """An HTTPS server process with a certificate from a throwaway CA, and that CA's file."""
    authority = trustme.CA()
    pem = tmp_path / "server.pem"
    authority.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(pem))
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    process = ServerProcess(tmp_path / "requests.jsonl", cert=pem, key=pem)
    process.start()
    yield process, ca_file
    process.kill()


@pytest.mark.parametrize("env_bundle", [False, True], ids=["no-env-bundle", "REQUESTS_CA_BUNDLE-set"])
def test_tls_is_verified_by_default_and_trusted_once_the_ca_is_configured(
    tls_server: tuple[ServerProcess, Path],
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    env_bundle: bool,
) -> None:
    """The CA goes in through the session; an environment's CA bundle must not override it."""
    server, ca_file = tls_server
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    if env_bundle:  # as on many machines and CI images: the system bundle, which lacks our CA
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", ssl.get_default_verify_paths().openssl_cafile)
    else:
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)

    refused = watch(make_client, server.url, max_attempts=2)
    refused.publish("untrusted", 2)
    finished = finish(refused)
    assert_nothing_lost(refused, finished, server.records(), caplog)
    assert finished.stats.final_error == 2
    assert server.records() == []  # no request got past the handshake
    assert all("CERTIFICATE_VERIFY_FAILED" in context.error for context in refused.contexts)

    session = requests.Session()
    session.verify = str(ca_file)
    trusted = watch(make_client, server.url, session=session, **PATIENT)
    trusted.publish("trusted", 5)
    finished = finish(trusted)
    assert_nothing_lost(trusted, finished, server.records(), caplog)
    assert finished.stats.success_sent == 5
    session.close()


# -- error paths: user code that raises anything, absurd settings, hostile timing ------------------


def test_a_body_that_trickles_in_cannot_hold_a_worker_past_request_timeout(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """request_timeout bounds the whole attempt: the status decides it, the body is not waited for."""
    fault_server.start({"default": reply(200, body="x" * 100, delay=0.2, action="drip")})  # 20 s a body
    watched = watch(make_client, fault_server.url, **PATIENT | {"request_timeout": 0.5})
    watched.publish("e", 3)
    assert watched.client.flush(8), "a worker waited for a trickling body"
    finished = finish(watched)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)
    assert finished.stats.success_sent == 3


@pytest.mark.parametrize("raised", [SystemExit, KeyboardInterrupt, GeneratorExit, RuntimeError])
def test_an_on_handler_that_raises_anything_leaves_every_worker_alive(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture, raised: type
) -> None:
    fault_server.start({"cycle": [reply(503), reply(200)]})
    watched = watch(make_client, fault_server.url, workers=2, **PATIENT)

    def exits(report: object) -> None:
        raise raised()

    for name in ("success_sent", "retry"):
        watched.client.on(name, exits)
    watched.publish("e", 10)
    assert watched.client.flush(15), "a worker died"
    finished = finish(watched)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)
    assert finished.stats.success_sent == 10
    assert "an on('success_sent') handler raised" in caplog.text


def test_when_reporting_a_failure_fails_too_the_events_still_end_as_error(
    fault_server: ServerProcess,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker's last safety net: its own error reporting raising must not end it either."""

    def broken(self: object, context: ErrorContext) -> None:
        raise OverflowError("timeout value is too large")  # what a huge callback timeout once did

    monkeypatch.setattr("activity_publisher.callbacks.CallbackRunner.run", broken)
    fault_server.start({"default": reply(503)})
    watched = watch(make_client, fault_server.url, workers=2, **PATIENT)
    watched.publish("e", 6)
    assert watched.client.flush(15), "a worker died"
    finished = finish(watched)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)
    assert finished.stats.error == 6
    errors = watched.seen.named("error")
    assert {r.context.error for r in errors if r.context} == {"OverflowError: timeout value is too large"}


class RaisingMapping(dict[str, Any]):
    """A dict whose items() raises: json encodes it through items(), so its encoding raises."""

    def items(self) -> Any:
        raise RuntimeError("items() of user code raised")


@pytest.fixture(params=["json", "orjson"])
def encoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test that takes it runs with the standard library's encoder and with orjson (if installed)."""
    if request.param == "json":
        monkeypatch.setattr("activity_publisher.encoding._orjson", None)
    else:
        pytest.importorskip("orjson")
    return str(request.param)


@pytest.mark.parametrize("bad_value", [{1, 2}, object(), float("-inf")], ids=["set", "object", "-inf"])
def test_an_event_that_is_not_json_fails_alone_in_its_batch(
    fault_server: ServerProcess,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    encoder: str,
    bad_value: object,
) -> None:
    if encoder == "orjson" and bad_value == float("-inf"):
        pytest.skip("orjson sends NaN and infinities as null (README)")
    fault_server.start()
    watched = watch(make_client, fault_server.url, batch_size=50, **PATIENT)
    watched.client.flush(0)
    good = watched.publish("good", 3)
    watched.client.publish({"id": "bad", "value": bad_value})
    watched.ids.append("bad")
    good += watched.publish("more", 3)
    finished = finish(watched)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)
    assert (finished.stats.success_sent, finished.stats.error) == (6, 1)
    [error] = watched.seen.named("error")
    assert error.events[0]["id"] == "bad" and error.context and error.context.category == "validation"
    assert sorted(i for record in fault_server.records() for i in record["ids"]) == sorted(good)


def test_an_event_whose_encoding_raises_fails_alone_in_its_batch(
    fault_server: ServerProcess,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The standard library's encoder calls a dict subclass's items() (orjson reads the dict itself)."""
    monkeypatch.setattr("activity_publisher.encoding._orjson", None)
    fault_server.start()
    watched = watch(make_client, fault_server.url, batch_size=50, **PATIENT)
    watched.client.flush(0)
    good = watched.publish("good", 4)
    watched.client.publish({"id": "bad", "nested": RaisingMapping(a=1)})
    watched.ids.append("bad")
    good += watched.publish("more", 4)
    finished = finish(watched)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)
    assert (finished.stats.success_sent, finished.stats.error) == (8, 1)
    [error] = watched.seen.named("error")
    assert error.events[0]["id"] == "bad" and error.context is not None
    assert (error.context.category, error.context.error) == ("validation", "RuntimeError: items() of user code raised")
    sent = [event_id for record in fault_server.records() for event_id in record["ids"]]
    assert sorted(sent) == sorted(good)


def test_a_token_in_the_url_path_is_in_no_message(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A webhook URL carries its token in the path: messages keep scheme, host and port only."""
    port = free_port()
    watched = watch(make_client, f"http://127.0.0.1:{port}/hooks/s3cr3t-hook-t0ken", max_attempts=2)
    watched.publish("e", 2)
    finished = finish(watched)
    assert_nothing_lost(watched, finished, [], caplog)
    assert finished.stats.final_error == 2
    assert all(f"port={port}" in context.error for context in watched.contexts)


def test_a_token_in_the_callers_session_headers_is_in_no_message(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A token read from a file keeps its newline: requests refuses it and quotes it in its error."""
    fault_server.start()
    session = requests.Session()
    session.headers["X-Api-Key"] = "s3cr3t-from-a-token-file\n"
    watched = watch(make_client, fault_server.url, session=session, **PATIENT)
    watched.publish("e", 2)
    finished = finish(watched)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)
    assert finished.stats.error == 2 and fault_server.records() == []
    assert all("InvalidHeader" in context.error for context in watched.contexts)
    session.close()


def test_flush_waits_for_what_was_published_before_it_not_for_a_steady_stream(
    fault_server: ServerProcess, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    fault_server.start({"default": reply(200, delay=0.01)})
    watched = watch(make_client, fault_server.url, batch_size=1, **PATIENT)
    before = watched.publish("before", 20)
    stop = threading.Event()
    later: list[str] = []

    def stream() -> None:  # faster than one worker delivers one event per request
        for n in itertools.count():
            if stop.wait(0.002):
                return
            watched.client.publish({"id": f"later-{n}"})
            later.append(f"later-{n}")

    producer = threading.Thread(target=stream)
    producer.start()
    try:
        assert wait_until(lambda: len(later) >= 5)
        marked = list(later)  # published before flush() is called
        assert watched.client.flush(20), "flush() waited for events published after it"
        settled = {e["id"] for r in watched.seen.reports if r.event_name in TERMINAL for e in r.events}
    finally:
        stop.set()
        producer.join(10)
    assert set(before) | set(marked) <= settled
    watched.ids.extend(later)
    finished = finish(watched)
    assert_nothing_lost(watched, finished, fault_server.records(), caplog)


def test_an_environment_ca_bundle_is_trusted_by_the_default_session(
    tls_server: tuple[ServerProcess, Path],
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The environment is merged once per client, not per request: its CA bundle still applies."""
    server, ca_file = tls_server
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    watched = watch(make_client, server.url, **PATIENT)
    watched.publish("e", 5)
    finished = finish(watched)
    assert_nothing_lost(watched, finished, server.records(), caplog)
    assert finished.stats.success_sent == 5
