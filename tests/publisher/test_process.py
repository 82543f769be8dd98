"""Process lifecycle: flushing at interpreter exit, and a fresh client in a forked child."""

import multiprocessing
import os
import subprocess
import sys
import textwrap
import time

import pytest

from activity_publisher import DeliveryStats

from .conftest import MakeClient
from .server import Reply, ScriptedServer

# Runs first in the child and so its exit hook runs last (atexit is LIFO): it prints how long
# the publisher's exit flush took, measured from the end of the script.
EXIT_TIMER = """
import atexit, time
marks = {}
atexit.register(lambda: print("exit-hook-seconds", round(time.monotonic() - marks["end"], 3), flush=True))
"""


def run_child(body: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    code = EXIT_TIMER + textwrap.dedent(body) + '\nmarks["end"] = time.monotonic()\n'
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    return result, time.monotonic() - started


def exit_hook_seconds(stdout: str) -> float:
    [line] = [line for line in stdout.splitlines() if line.startswith("exit-hook-seconds")]
    return float(line.split()[1])


@pytest.mark.slow
def test_events_are_delivered_at_exit_without_close(server: ScriptedServer) -> None:
    server.set_default(Reply(200, delay=0.05))
    result, _ = run_child(f"""
        from activity_publisher import ActivityClient
        client = ActivityClient({server.url!r}, batch_size=1, shutdown_timeout=10.0)
        for n in range(5):
            client.publish({{"n": n}})
    """)
    assert result.returncode == 0, result.stderr
    assert sorted(r.json()["n"] for r in server.requests) == [0, 1, 2, 3, 4]
    assert exit_hook_seconds(result.stdout) < 10.0


@pytest.mark.slow
def test_exit_against_a_dead_server_is_bounded_and_reports_dropped(dead_url: str) -> None:
    result, _ = run_child(f"""
        from activity_publisher import ActivityClient
        for name in ("a", "b"):
            client = ActivityClient({dead_url!r}, shutdown_timeout=1.5, max_attempts=1000, initial_delay=0.05,
                                    max_delay=0.1, error_callback=lambda context: None)
            client.on("dropped", lambda report, name=name: print("dropped", name, len(report.events), flush=True))
            for n in range(3):
                client.publish({{"n": n}})
    """)
    assert result.returncode == 0, result.stderr
    dropped = [line.split() for line in result.stdout.splitlines() if line.startswith("dropped")]
    assert {name: sum(int(n) for _, who, n in dropped if who == name) for name in "ab"} == {"a": 3, "b": 3}
    # Both clients flush at once: max(shutdown_timeout), not the sum, plus a loaded machine's margin.
    assert exit_hook_seconds(result.stdout) < 1.5 + 1.2
    assert "error callback skipped: the interpreter is exiting" in result.stderr
    assert result.stderr.count("3 event(s) not confirmed") == 2


@pytest.mark.slow
def test_exit_never_hangs_on_a_hung_server_or_callback(server: ScriptedServer) -> None:
    server.set_default(Reply(hang=True))
    result, _ = run_child(f"""
        import threading
        from activity_publisher import ActivityClient
        forever = threading.Event()
        client = ActivityClient({server.url!r}, shutdown_timeout=0.3, request_timeout=60.0,
                                error_callback=lambda context: forever.wait())
        client.publish({{"n": 1}})
        client.publish({{"n": 2}})
    """)
    server.release()
    assert result.returncode == 0, result.stderr
    assert exit_hook_seconds(result.stdout) < 0.3 + 1.5


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_gets_a_fresh_client(server: ScriptedServer, make_client: MakeClient) -> None:
    server.respond_with(lambda request: Reply(hang=True) if b'"parent"' in request.body else Reply(200))
    client = make_client(server.url, request_timeout=30.0)
    client.publish({"from": "parent", "n": 0})
    assert server.wait_for(1)  # the parent's worker is stuck with n=0
    client.publish({"from": "parent", "n": 1})
    client.publish({"from": "parent", "n": 2})

    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        try:
            fresh = client.stats == DeliveryStats()
            client.publish({"from": "child", "n": 9})
            delivered = client.flush(10) and client.stats == DeliveryStats(published=1, success_sent=1)
            os._exit(0 if fresh and delivered else 1)
        except BaseException:
            os._exit(2)

    deadline = time.monotonic() + 30
    while (waited := os.waitpid(pid, os.WNOHANG)) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.02)
    if waited == (0, 0):
        os.kill(pid, 9)
        pytest.fail("the forked child did not finish")
    assert os.waitstatus_to_exitcode(waited[1]) == 0
    bodies = [r.json() for r in server.requests]
    assert bodies == [{"from": "parent", "n": 0}, {"from": "child", "n": 9}]  # nothing re-sent

    server.respond_with(lambda request: Reply(200))
    server.release()  # the parent's hung request fails and is retried; its queue is intact
    assert client.flush(10)
    assert client.stats.published == client.stats.success_sent == 3
    parent_events = [r.json()["n"] for r in server.requests if r.json()["from"] == "parent"]
    assert sorted(set(parent_events)) == [0, 1, 2] and parent_events.count(1) == parent_events.count(2) == 1


# -- error paths of the process lifecycle -----------------------------------------------------------


@pytest.mark.slow
def test_ctrl_c_in_close_still_gives_every_event_its_outcome(server: ScriptedServer) -> None:
    """A KeyboardInterrupt while close() waits on a hung server ends the waiting, not the accounting."""
    server.set_default(Reply(hang=True))
    code = textwrap.dedent(f"""
        import os, signal, threading, time
        from activity_publisher import ActivityClient
        client = ActivityClient({server.url!r}, request_timeout=60.0, batch_size=1)
        dropped = []
        client.on("dropped", lambda report: dropped.extend(report.events))
        for n in range(5):
            client.publish({{"n": n}})
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        started = time.monotonic()
        try:
            client.close(20)
        except KeyboardInterrupt:
            print("interrupted-after", round(time.monotonic() - started, 1), flush=True)
        client.close(1)  # a second close (the exit hook's too) has nothing left to do
        print("stats", client.stats.published, client.stats.dropped, len(dropped), flush=True)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    server.release()
    assert result.returncode == 0, result.stderr
    assert "interrupted-after" in result.stdout
    assert "stats 5 5 5" in result.stdout, result.stdout + result.stderr


@pytest.mark.slow
def test_absurd_close_timeouts_wait_without_bound_instead_of_overflowing(server: ScriptedServer) -> None:
    server.set_default(Reply(200, delay=0.05))
    result, _ = run_child(f"""
        import sys
        from activity_publisher import ActivityClient
        for timeout in (float("inf"), sys.maxsize, 1e300):
            client = ActivityClient({server.url!r}, batch_size=1)
            for n in range(3):
                client.publish({{"n": n}})
            client.close(timeout)
            print("delivered", client.stats.success_sent, flush=True)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("delivered 3") == 3, result.stdout + result.stderr


@pytest.mark.slow
def test_one_client_failing_to_close_at_exit_does_not_stop_the_others(server: ScriptedServer) -> None:
    server.set_default(Reply(200, delay=0.2))  # the script ends long before its events are sent
    result, _ = run_child(f"""
        from activity_publisher import ActivityClient
        clients = [ActivityClient({server.url!r}, batch_size=1, shutdown_timeout=10.0) for _ in range(3)]
        def broken(timeout=None):
            raise OverflowError("timeout value is too large")
        clients[0].close = broken
        for number, client in enumerate(clients):
            for n in range(3):
                client.publish({{"client": number, "n": n}})
    """)
    assert result.returncode == 0, result.stderr
    delivered = [(r.json()["client"], r.json()["n"]) for r in server.requests]
    assert {(client, n) for client in (1, 2) for n in range(3)} <= set(delivered)
    assert "a client failed to close at exit; closing the others" in result.stderr


@pytest.mark.slow
def test_a_blocking_dropped_handler_cannot_hang_the_exit(dead_url: str) -> None:
    result, _ = run_child(f"""
        import threading
        from activity_publisher import ActivityClient
        client = ActivityClient({dead_url!r}, shutdown_timeout=0.3, initial_delay=0.05, max_delay=0.1)
        client.on("dropped", lambda report: threading.Event().wait())
        for n in range(3):
            client.publish({{"n": n}})
    """, timeout=30)
    assert result.returncode == 0, result.stderr
    assert exit_hook_seconds(result.stdout) < 0.3 + 1.0 + 1.5  # shutdown_timeout, handlers, slack
    assert "a dropped handler still runs after 1 s at exit" in result.stderr


def publish_from_a_child(url: str, count: int) -> None:
    """A multiprocessing target: publish and return, without close() (module level, for pickling)."""
    from activity_publisher import ActivityClient

    client = ActivityClient(url, batch_size=10, shutdown_timeout=10.0)
    for n in range(count):
        client.publish({"n": n})


@pytest.mark.slow
@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_a_multiprocessing_child_delivers_its_events_before_it_ends(server: ScriptedServer, method: str) -> None:
    """fork and forkserver children end with os._exit(): atexit never runs there."""
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    server.set_default(Reply(200, delay=0.02))
    child = multiprocessing.get_context(method).Process(target=publish_from_a_child, args=(server.url, 50))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert sorted(n for r in server.requests for n in (e["n"] for e in r.json()["batch"])) == list(range(50))


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_client_inherited_by_a_forked_multiprocessing_child_is_flushed_there(server: ScriptedServer) -> None:
    server.set_default(Reply(200))
    result, _ = run_child(f"""
        import multiprocessing
        from activity_publisher import ActivityClient
        client = ActivityClient({server.url!r}, batch_size=1, shutdown_timeout=10.0)
        def child():
            for n in range(20):
                client.publish({{"from": "child", "n": n}})
        process = multiprocessing.get_context("fork").Process(target=child)
        process.start()
        process.join(60)
        print("child-exit", process.exitcode, flush=True)
    """)
    assert result.returncode == 0, result.stderr
    assert "child-exit 0" in result.stdout
    assert sorted(r.json()["n"] for r in server.requests) == list(range(20))
