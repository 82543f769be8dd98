"""The durable spool (issue 14): committed events survive a SIGKILL and are delivered by the next
client on the same file; failures of the file are clear errors or counted outcomes."""

import fcntl
import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from activity_publisher import (
    ActivityClient,
    DeliveryReport,
    SpoolCorruptError,
    SpoolError,
    SpoolFullError,
    SpoolLockedError,
)

from .conftest import MakeClient
from .server import Recorded, Reply, ScriptedServer

#: The child of the kill test: publishes events 0..N-1 on a spool and prints every event number
#: whose commit has happened (its "persisted" report), until it is killed.
CHILD = """
import sys, time
from activity_publisher import ActivityClient
client = ActivityClient(sys.argv[1], spool_path=sys.argv[2], batch_size=20, initial_delay=0.01,
                        max_delay=0.05, max_attempts=1000, spool_commit_interval=0.005)
def persisted(report):
    sys.stdout.write("".join(f"{event['n']}\\n" for event in report.events))
    sys.stdout.flush()
client.on("persisted", persisted)
print("ready", flush=True)
for n in range(int(sys.argv[3]), int(sys.argv[3]) + 400):
    client.publish({"n": n})
    if n % 20 == 0:
        time.sleep(0.002)
time.sleep(60)
"""


def _event_numbers(requests: list[Recorded]) -> list[int]:
    numbers: list[int] = []
    for request in requests:
        try:
            body = request.json()
        except ValueError:  # cut off by the SIGKILL: never accepted
            continue
        events = body["batch"] if "batch" in body else [body]
        numbers.extend(event["n"] for event in events)
    return numbers


def _wait_until(condition: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return bool(condition())


@pytest.mark.slow
def test_every_committed_event_is_delivered_after_sigkill(server: ScriptedServer, tmp_path: Path) -> None:
    server.set_default(Reply(delay=0.01))  # slow enough that events pile up in the spool
    spool = tmp_path / "events.db"
    rng = random.Random(14)
    committed: set[int] = set()
    for round_number in range(8):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, server.url, str(spool), str(round_number * 1000)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.3))
        child.send_signal(signal.SIGKILL)
        output, _ = child.communicate(timeout=10)
        committed.update(int(line) for line in output.split() if line.isdigit())
    with ActivityClient(server.url, spool_path=spool, batch_size=50, initial_delay=0.01) as client:
        assert client.flush(timeout=20)
        replayed = client.stats.replayed
    delivered = Counter(_event_numbers(server.requests))
    assert committed, "no round got to a commit: the test proves nothing"
    assert committed <= set(delivered), f"lost: {sorted(committed - set(delivered))[:10]}"
    assert replayed > 0
    assert sum(delivered.values()) >= len(delivered)  # duplicates are allowed (at least once), and countable
    with ActivityClient(server.url, spool_path=spool) as after:  # the spool is empty now
        assert after.stats.replayed == 0


def test_restart_with_a_dead_collector_keeps_and_replays(
    dead_url: str, server: ScriptedServer, tmp_path: Path, make_client: MakeClient
) -> None:
    spool = tmp_path / "events.db"
    first = ActivityClient(dead_url, spool_path=spool, batch_size=1, max_attempts=10_000, initial_delay=0.05)
    persisted = threading.Event()
    seen: list[int] = []

    def on_persisted(report: DeliveryReport) -> None:
        seen.extend(event["n"] for event in report.events)
        if len(seen) == 5:
            persisted.set()

    first.on("persisted", on_persisted)
    for n in range(5):
        first.publish({"n": n})
    assert persisted.wait(10)
    first.close(timeout=0.2)
    assert first.stats.dropped == 5 and first.stats.persisted == 5  # dropped, but kept in the spool

    replays: list[DeliveryReport] = []
    second = make_client(server.url, spool_path=spool, spool_commit_interval=60.0)
    second.on("replayed", replays.append)
    # At once, on this thread: not after a commit interval.
    assert [sorted(event["n"] for event in report.events) for report in replays] == [[0, 1, 2, 3, 4]]
    assert second.stats.replayed == 5 and second.stats.published == 0
    assert second.flush(timeout=10)
    assert sorted(_event_numbers(server.requests)) == [0, 1, 2, 3, 4]
    keys = [request.header("Idempotency-Key") for request in server.requests]
    assert len(set(keys)) == 5  # each event's own id
    stats = second.stats
    assert stats.success_sent == stats.published + stats.replayed


def test_a_builders_replayed_handler_gets_the_report_once(dead_url: str, server: ScriptedServer, tmp_path: Path) -> None:
    spool = tmp_path / "events.db"
    first = ActivityClient(dead_url, spool_path=spool, batch_size=1, max_attempts=10_000, initial_delay=0.05)
    persisted = threading.Event()
    first.on("persisted", lambda report: persisted.set())
    first.publish({"n": 0})
    assert persisted.wait(10)
    first.close(timeout=0.5)

    replays: list[DeliveryReport] = []
    second = ActivityClient.builder().endpoint(server.url).spool(spool).on("replayed", replays.append).build()
    try:
        assert [report.events for report in replays] == [({"n": 0},)]
        assert second.flush(timeout=10)
    finally:
        second.close()
    assert len(replays) == 1


def test_close_keeps_to_its_timeout_while_the_last_commit_hangs(server: ScriptedServer, tmp_path: Path) -> None:
    """close(timeout) gives the spool writer what is left of the caller's time, no more; the
    writer then finishes its commit and releases the lock on its own."""
    path = tmp_path / "s.db"
    client = ActivityClient(server.url, spool_path=path, spool_commit_interval=60.0)
    spool = client._spool
    assert spool is not None
    real = spool.connection
    release = threading.Event()

    class HangingCommit:
        def execute(self, sql: str, *args: Any) -> Any:
            if sql.startswith("BEGIN"):
                release.wait(30)
            return real.execute(sql, *args)

        def executemany(self, sql: str, *args: Any) -> Any:
            return real.executemany(sql, *args)

        def close(self) -> None:
            real.close()

    spool.connection = HangingCommit()  # type: ignore[assignment]
    server.set_default(Reply(delay=5.0))  # still in flight at close(): it stays in the spool
    client.publish({"n": 0})
    started = time.monotonic()
    client.close(timeout=0.1)
    elapsed = time.monotonic() - started
    release.set()
    assert elapsed < 0.9  # the old floor of 1 s for the last commit is gone
    assert client.stats.dropped == 1
    assert _wait_until(lambda: _opens(path))  # the writer committed and let go of the lock


def _opens(path: Path) -> bool:
    try:
        ActivityClient("http://127.0.0.1:9/", spool_path=path).close(timeout=0.1)
    except SpoolLockedError:
        return False
    return True


def test_ids_are_sent_per_event_in_a_batch(server: ScriptedServer, tmp_path: Path, make_client: MakeClient) -> None:
    client = make_client(server.url, spool_path=tmp_path / "s.db", batch_size=10, spool_commit_interval=1.0)
    server.set_default(Reply(delay=0.2))
    for n in range(4):
        client.publish({"n": n})
    assert client.flush(timeout=10)
    ids = [event_id for request in server.requests for event_id in request.json()["ids"]]
    events = [event for request in server.requests for event in request.json()["batch"]]
    assert len(ids) == len(events) == 4 and len(set(ids)) == 4


def test_a_commit_that_fails_is_counted_and_the_events_still_delivered(
    server: ScriptedServer, tmp_path: Path, make_client: MakeClient
) -> None:
    client = make_client(server.url, spool_path=tmp_path / "s.db")
    spool = client._spool
    assert spool is not None
    real = spool.connection

    class DiskFull:
        def execute(self, sql: str, *args: Any) -> Any:
            if sql.startswith("BEGIN"):
                raise sqlite3.OperationalError("database or disk is full")
            return real.execute(sql, *args)

        def close(self) -> None:
            real.close()

    spool.connection = DiskFull()  # type: ignore[assignment]
    failures: list[DeliveryReport] = []
    client.on("persist_failed", failures.append)
    server.set_default(Reply(delay=0.3))  # the worker is busy, so the events reach the writer first
    for n in range(3):
        client.publish({"n": n})
    assert client.flush(timeout=10)
    assert _wait_until(lambda: client.stats.persist_failed >= 1)
    assert failures and failures[0].context is not None and "disk is full" in failures[0].context.error
    assert client.stats.success_sent == 3


def test_a_corrupt_file_is_moved_aside_and_named(server: ScriptedServer, tmp_path: Path) -> None:
    spool = tmp_path / "events.db"
    spool.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SpoolCorruptError) as raised:
        ActivityClient(server.url, spool_path=spool)
    moved = Path(raised.value.moved_to)
    assert str(moved) in str(raised.value) and str(spool) in str(raised.value)
    assert moved.read_bytes().startswith(b"this is not a database") and not spool.exists()
    with ActivityClient(server.url, spool_path=spool) as fresh:  # a new, empty spool
        assert fresh.stats.replayed == 0


def test_a_full_spool_refuses_with_queue_full(dead_url: str, tmp_path: Path, make_client: MakeClient) -> None:
    client = make_client(dead_url, spool_path=tmp_path / "s.db", spool_max_events=3, max_attempts=10_000)
    for n in range(3):
        client.publish({"n": n})
    with pytest.raises(queue.Full) as raised:
        client.publish({"n": 3})
    assert isinstance(raised.value, SpoolFullError)
    assert "spool" in str(raised.value) and "full (3 events" in str(raised.value)
    assert client.stats.refused == 1 and client.stats.published == 3


def test_a_spool_held_by_another_process_is_a_clear_error(server: ScriptedServer, tmp_path: Path) -> None:
    spool = tmp_path / "events.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            "f = open(sys.argv[1], 'ab'); fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)",
            f"{spool}.lock",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(SpoolLockedError, match="in use by another client"):
            ActivityClient(server.url, spool_path=spool)
    finally:
        holder.kill()
        holder.wait()


def test_two_clients_in_one_process_cannot_share_a_spool(
    server: ScriptedServer, tmp_path: Path, make_client: MakeClient
) -> None:
    make_client(server.url, spool_path=tmp_path / "s.db")
    with pytest.raises(SpoolLockedError):
        ActivityClient(server.url, spool_path=tmp_path / "s.db")


def test_a_spool_that_cannot_be_opened_fails_at_construction(server: ScriptedServer, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(SpoolError, match="a-file"):
        ActivityClient(server.url, spool_path=tmp_path / "a-file" / "events.db")


def test_the_lock_is_released_by_close(server: ScriptedServer, tmp_path: Path) -> None:
    ActivityClient(server.url, spool_path=tmp_path / "s.db").close()
    with open(f"{tmp_path / 's.db'}.lock", "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held


def test_builder_spool_and_settings_are_validated(server: ScriptedServer, tmp_path: Path) -> None:
    client = ActivityClient.builder().endpoint(server.url).spool(tmp_path / "b.db", commit_interval=0.01).build()
    with client:
        client.publish({"n": 1})
        assert client.flush(timeout=10)
    assert json.loads(server.requests[0].body)["ids"]
    with pytest.raises(ValueError, match="spool_commit_interval"):
        ActivityClient(server.url, spool_path=tmp_path / "c.db", spool_commit_interval=0)
    with pytest.raises(ValueError, match="spool_max_events"):
        ActivityClient(server.url, spool_path=tmp_path / "c.db", spool_max_events=0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_a_forked_child_publishes_from_memory(server: ScriptedServer, tmp_path: Path) -> None:
    code = f"""
import os, sys
from activity_publisher import ActivityClient
client = ActivityClient({server.url!r}, spool_path={str(tmp_path / "f.db")!r}, batch_size=1)
pid = os.fork()
if pid == 0:
    client.publish({{"n": 1}})
    ok = client.flush(timeout=10) and client._spool is None and client.stats.success_sent == 1
    os._exit(0 if ok else 1)
_, status = os.waitpid(pid, 0)
client.close()
sys.exit(os.waitstatus_to_exitcode(status))
"""
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_a_row_that_is_not_json_moves_the_spool_aside(server: ScriptedServer, tmp_path: Path) -> None:
    spool = tmp_path / "events.db"
    ActivityClient(server.url, spool_path=spool).close()
    with sqlite3.connect(spool) as connection:
        connection.execute("INSERT INTO events (id, body) VALUES ('x', 'not json')")
    connection.close()
    with pytest.raises(SpoolCorruptError) as raised:
        ActivityClient(server.url, spool_path=spool)
    assert Path(raised.value.moved_to).exists() and not spool.exists()
    ActivityClient(server.url, spool_path=spool).close()  # the lock was released, a new spool opens
