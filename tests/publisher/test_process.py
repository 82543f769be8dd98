"""Process lifecycle: flushing at interpreter exit, and a fresh client in a forked child."""

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
        client = ActivityClient({server.url!r}, shutdown_timeout=10.0)
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
