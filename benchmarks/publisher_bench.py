"""Publisher benchmark: our ActivityClient against the floor, a naive publisher, segment and posthog.

    python benchmarks/publisher_bench.py            # 50,000 events, 1 and 4 producers (~3-4 min)
    python benchmarks/publisher_bench.py --quick    # 10,000 events (~1 min)
    python benchmarks/publisher_bench.py --smoke    # 300 events, what the smoke test runs

Every scenario runs in a fresh interpreter (``--run-scenario``, started by this script) against a
fresh sink process (benchmarks/sink.py: 127.0.0.1, HTTP/1.1 keep-alive, TCP_NODELAY). For each
scenario and producer count it measures:

- the latency of the public enqueue call, ``time.perf_counter_ns()`` around every call
  (median, p99, p99.9);
- end to end: from the first call until the sink counted the last event (the sink stamps it
  with ``time.monotonic_ns()``, which is system-wide), and events/s over that time;
- peak RSS of the scenario process (``ru_maxrss``) and its growth over the set-up client.

Scenarios: ``floor`` (bare ``queue.Queue.put_nowait``, nobody consuming), ``ours-batch``
(``batch_size=100``, one worker), ``ours-spool`` (the same with the durable spool on: a SQLite
file in a fresh temporary folder, default commit settings), ``ours-b1-w4`` (``batch_size=1``, 4 workers), ``ours-b1-w1``,
``naive-b1`` (a hand-written queue + one thread doing one ``requests`` POST per event),
``segment`` (``Client.track``) and ``posthog`` (``Posthog.capture``), both pointed at the sink with
their host option, at their default settings (gzip off, 100 events per request, one thread).
Every client gets the same queue size, large enough to hold every event, so nothing is dropped
and end-to-end time covers every event. A scenario whose package is not installed is skipped.

``--sink-delay-ms D`` makes the sink answer each event-carrying POST D ms after counting it, as a
collector across a network would (the waits of concurrent requests overlap); the default, 0,
answers at once, which leaves the client's CPU per request as the only limit.

``--down`` (on by default, off with ``--no-down``) adds the sink-down memory run: our client
with ``max_queue_size=10,000`` publishing 20 rounds of 10,000 events at a closed port, RSS
sampled after every round, next to an unbounded ``queue.Queue`` taking the same events.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchutil import (
    CLOCK_TICKS,
    busy_cpu_s,
    facts_line,
    markdown_table,
    mib,
    peak_rss_self,
    percentile,
    rss_bytes,
    run_facts,
    wait_for_quiet,
)

HERE = Path(__file__).resolve().parent
SINK = HERE / "sink.py"
SCENARIOS = (
    "floor",
    "floor-consumed",
    "ours-batch",
    "ours-spool",
    "ours-b1-w4",
    "ours-b1-w1",
    "naive-b1",
    "segment",
    "posthog",
)
PEER_MODULES = {"segment": "segment.analytics", "posthog": "posthog"}
EVENT_PATH = "/events"


def make_event(index: int) -> dict[str, Any]:
    """One event, ~200 bytes of JSON; fresh objects every call, as an application would make."""
    return {
        "event": "order_completed",
        "user_id": f"user-{index % 1000}",
        "properties": {
            "order": index,
            "amount": 12.5,
            "currency": "EUR",
            "plan": "pro",
            "tags": ["web", "bench"],
        },
    }


# -- one scenario, in its own process ---------------------------------------------------------


@dataclass
class Target:
    """What a scenario times: ``call(event)``; ``refused(result)`` says the event was not queued."""

    call: Callable[[dict[str, Any]], Any]
    close: Callable[[], None]
    refused: Callable[[Any], bool] = lambda result: False
    delivers: bool = True


def _naive_target(url: str, queue_size: int) -> Target:
    """The simplest publisher that works: one thread, one POST per event, no retries."""
    import requests

    events: queue.Queue[dict[str, Any] | None] = queue.Queue(queue_size)
    session = requests.Session()

    def run() -> None:
        while True:
            event = events.get()
            if event is None:
                return
            try:
                session.post(
                    url,
                    data=json.dumps(event).encode(),
                    headers={"Content-Type": "application/json"},
                    timeout=10,
                ).close()
            except requests.RequestException:
                pass

    worker = threading.Thread(target=run, daemon=True)
    worker.start()

    def close() -> None:
        events.put(None)
        worker.join(5)

    return Target(events.put_nowait, close)


def make_target(name: str, url: str, queue_size: int) -> Target:
    if name == "floor":
        floor: queue.Queue[dict[str, Any]] = queue.Queue(queue_size)
        return Target(floor.put_nowait, lambda: None, delivers=False)
    if name == "floor-consumed":
        # The floor with one thread taking events off the queue (no I/O): the cost of having a
        # consumer at all (mutex contention, waking it), which every real publisher pays.
        consumed: queue.Queue[dict[str, Any]] = queue.Queue(queue_size)

        def consume() -> None:
            while True:
                consumed.get()
                consumed.task_done()

        threading.Thread(target=consume, name="consumer", daemon=True).start()
        return Target(consumed.put_nowait, lambda: None, delivers=False)
    if name == "ours-spool":
        from activity_publisher import ActivityClient

        folder = tempfile.mkdtemp(prefix="spool-bench-")
        spooled = ActivityClient(
            url, max_queue_size=queue_size, spool_path=os.path.join(folder, "events.db"), spool_max_events=queue_size
        )

        def close_spooled() -> None:
            spooled.close(10)
            shutil.rmtree(folder, ignore_errors=True)

        return Target(spooled.publish, close_spooled)
    if name.startswith("ours-"):
        from activity_publisher import ActivityClient

        batch_size, workers = {"ours-batch": (100, 1), "ours-b1-w4": (1, 4), "ours-b1-w1": (1, 1)}[name]
        client = ActivityClient(url, max_queue_size=queue_size, batch_size=batch_size, workers=workers)
        return Target(client.publish, lambda: client.close(10))
    if name == "naive-b1":
        return _naive_target(url, queue_size)
    if name == "segment":
        from segment.analytics import Client

        segment = Client(write_key="bench-write-key", host=url.rsplit("/", 1)[0], max_queue_size=queue_size)

        def track(event: dict[str, Any]) -> Any:
            return segment.track(event["user_id"], event["event"], event["properties"])

        return Target(track, segment.flush, refused=lambda result: not result[0])
    if name == "posthog":
        from posthog import Posthog

        posthog = Posthog("phc_bench", host=url.rsplit("/", 1)[0], max_queue_size=queue_size)

        def capture(event: dict[str, Any]) -> Any:
            return posthog.capture(
                event["event"], distinct_id=event["user_id"], properties=event["properties"]
            )

        return Target(capture, posthog.flush, refused=lambda result: result is None)
    raise ValueError(f"unknown scenario {name!r}")


def _sink_stats(port: int) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/_stats")
        stats: dict[str, Any] = json.loads(connection.getresponse().read())
        return stats
    finally:
        connection.close()


def _thread_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of every live thread of this process, by native thread id."""
    found: dict[int, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        found[int(tid)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return found


def run_scenario(
    name: str, producers: int, events: int, port: int, queue_size: int, wait_s: float
) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}{EVENT_PATH}"
    target = make_target(name, url, queue_size)
    gc.collect()
    rss_before = rss_bytes()
    per_thread = [events // producers + (1 if k < events % producers else 0) for k in range(producers)]
    latencies = [array("q", bytes(8 * n)) for n in per_thread]
    refused = [0] * producers
    starts = [0] * producers
    producer_cpu = [0.0] * producers
    barrier = threading.Barrier(producers + 1)

    def produce(slot: int) -> None:
        call, is_refused, lat = target.call, target.refused, latencies[slot]
        perf = time.perf_counter_ns
        offset = sum(per_thread[:slot])
        count = per_thread[slot]
        barrier.wait()
        starts[slot] = time.monotonic_ns()
        cpu_start = time.thread_time()
        for k in range(count):
            event = make_event(offset + k)
            t0 = perf()
            try:
                result = call(event)
            except queue.Full:
                t1 = perf()
                refused[slot] += 1
            else:
                t1 = perf()
                if is_refused(result):
                    refused[slot] += 1
            lat[k] = t1 - t0
        producer_cpu[slot] = time.thread_time() - cpu_start

    threads = [
        threading.Thread(target=produce, args=(slot,), name=f"producer-{slot}") for slot in range(producers)
    ]
    for thread in threads:
        thread.start()
    sink_cpu0 = _sink_stats(port)["cpu_s"] if target.delivers else 0.0
    threads_cpu0 = _thread_cpu()
    busy0, cpu0 = busy_cpu_s(), time.process_time()
    barrier.wait()
    for thread in threads:
        thread.join()
    enqueued_ns = time.monotonic_ns()
    start_ns = min(starts)
    delivered = 0
    e2e_s: float | None = None
    sink: dict[str, Any] = {}
    if target.delivers:
        deadline = time.monotonic() + wait_s
        while True:
            sink = _sink_stats(port)
            delivered = sink["events"]
            if delivered >= events - sum(refused) or time.monotonic() > deadline:
                break
            time.sleep(0.005)
        if delivered >= events - sum(refused) and delivered:
            e2e_s = (sink["last_event_ns"] - start_ns) / 1e9
    cpu_s = time.process_time() - cpu0
    # CPU of the client's own threads (workers, consumers), not the producers or this main thread
    skip = {threading.main_thread().native_id} | {thread.native_id for thread in threads}
    background = {tid: cpu - threads_cpu0.get(tid, 0.0) for tid, cpu in _thread_cpu().items() if tid not in skip}
    background_cpu_s = sum(background.values())
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    by_thread: dict[str, float] = {}
    for tid, cpu in background.items():  # e.g. "activity-publisher-worker-0": where the CPU goes
        by_thread[names.get(tid, "other")] = by_thread.get(names.get(tid, "other"), 0.0) + 1e6 * cpu / events
    sink_cpu_s = (sink["cpu_s"] - sink_cpu0) if sink else None
    other_cpu_s = max(0.0, busy_cpu_s() - busy0 - cpu_s - (sink_cpu_s or 0.0))
    measured_s = (time.monotonic_ns() - start_ns) / 1e9
    peak = peak_rss_self()
    merged = sorted(value for lat in latencies for value in lat)
    result = {
        "scenario": name,
        "producers": producers,
        "events": events,
        "refused": sum(refused),
        "p50_ns": percentile(merged, 0.50),
        "p90_ns": percentile(merged, 0.90),
        "p99_ns": percentile(merged, 0.99),
        "p999_ns": percentile(merged, 0.999),
        "max_ns": merged[-1] if merged else 0,
        "enqueue_s": (enqueued_ns - start_ns) / 1e9,
        "delivered": delivered,
        "e2e_s": e2e_s,
        "events_per_s": (events / e2e_s) if e2e_s else None,
        "requests": sink.get("requests"),
        "sink_paths": sink.get("paths"),
        "sink_cpu_s": sink_cpu_s,
        "other_load": other_cpu_s / measured_s if measured_s else 0.0,
        "cpu_s": cpu_s,
        "producer_cpu_us_per_event": 1e6 * sum(producer_cpu) / events,
        "background_cpu_us_per_event": 1e6 * background_cpu_s / events,
        "background_cpu_us_per_event_by_thread": by_thread,
        "rss_before": rss_before,
        "rss_peak": peak,
    }
    try:
        target.close()
    except Exception as exc:  # noqa: BLE001 - a peer's close failing must not lose the figures
        result["close_error"] = f"{type(exc).__name__}: {exc}"
    return result


def run_down(kind: str, queue_size: int, rounds: int, per_round: int) -> dict[str, Any]:
    """Publish rounds of events with nothing listening; RSS after every round."""
    import logging
    import socket

    logging.disable(logging.CRITICAL)  # thousands of "ended as final_error" lines are not the point
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: every POST is refused at once
    url = f"http://127.0.0.1:{port}{EVENT_PATH}"
    if kind == "ours":
        from activity_publisher import ActivityClient

        client = ActivityClient(url, max_queue_size=queue_size, batch_size=100, workers=1)
        call: Callable[[dict[str, Any]], None] = client.publish
    else:
        unbounded: queue.Queue[dict[str, Any]] = queue.Queue()
        call = unbounded.put_nowait
    gc.collect()
    samples = [rss_bytes()]
    accepted = refused = 0
    index = 0
    for _ in range(rounds):
        for _ in range(per_round):
            try:
                call(make_event(index))
                accepted += 1
            except queue.Full:
                refused += 1
            index += 1
        samples.append(rss_bytes())
        time.sleep(0.05)
    return {"kind": kind, "queue_size": queue_size, "accepted": accepted, "refused": refused, "rss": samples}


# -- the orchestrator -------------------------------------------------------------------------


@dataclass
class Plan:
    events: int
    producers: list[int]
    scenarios: list[str]
    queue_size: int
    down_rounds: int
    down_per_round: int
    down_queue: int
    wait_s: float
    quiet_wait: float
    repeat: int
    sink_delay_ms: float = 0.0
    skipped: dict[str, str] = field(default_factory=dict)


def _installed(module: str) -> bool:
    probe = [sys.executable, "-c", f"import {module}"]
    return subprocess.run(probe, check=False, capture_output=True, timeout=60).returncode == 0


def _start_sink(delay_ms: float) -> tuple[subprocess.Popen[bytes], int]:
    command = [sys.executable, str(SINK), "--port", "0", "--delay-ms", str(delay_ms)]
    sink = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert sink.stdout is not None
    line = sink.stdout.readline().decode()
    if not line.startswith("PORT "):
        sink.kill()
        raise RuntimeError(f"the sink did not start: {line!r}")
    return sink, int(line.split()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _child(args: list[str], timeout: float) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        check=False,
        capture_output=True,
        timeout=timeout,
    )
    lines = done.stdout.decode().strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One row from repeated runs: the median of every figure, with the spread of the key ones."""
    merged = dict(runs[-1])
    for key, value in runs[-1].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values = [run[key] for run in runs if run.get(key) is not None]
            middle = statistics.median_low if isinstance(value, int) else statistics.median
            merged[key] = middle(values) if len(values) == len(runs) else None
    merged["runs"] = len(runs)
    merged["p50_range_ns"] = [min(run["p50_ns"] for run in runs), max(run["p50_ns"] for run in runs)]
    rates = [run["events_per_s"] for run in runs if run["events_per_s"] is not None]
    merged["events_per_s_range"] = [min(rates), max(rates)] if len(rates) == len(runs) else None
    return merged


def orchestrate(plan: Plan, with_down: bool) -> dict[str, Any]:
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for name in plan.scenarios:
        if name in PEER_MODULES and not _installed(PEER_MODULES[name]):
            plan.skipped[name] = f"{PEER_MODULES[name]} is not installed (pip install -e '.[bench]')"
    scenarios = [name for name in plan.scenarios if name not in plan.skipped]
    # Repeats go round the whole list, so a burst of load elsewhere does not hit every run of one scenario.
    for repeat in range(plan.repeat):
        for name in scenarios:
            for producers in plan.producers:
                if plan.quiet_wait:
                    wait_for_quiet(plan.quiet_wait)
                sink = None
                port = 9  # the floors send nothing
                if not name.startswith("floor"):
                    sink, port = _start_sink(plan.sink_delay_ms)
                try:
                    args = [
                        "--run-scenario",
                        name,
                        "--producers",
                        str(producers),
                        "--events",
                        str(plan.events),
                    ]
                    args += [
                        "--port",
                        str(port),
                        "--queue-size",
                        str(plan.queue_size),
                        "--wait",
                        str(plan.wait_s),
                    ]
                    result = _child(args, timeout=plan.wait_s + 120)
                finally:
                    if sink is not None:
                        _stop(sink)
                runs.setdefault((name, producers), []).append(result)
                print(
                    f"  [{repeat + 1}/{plan.repeat}] {name:14} x{producers}: p50 {result['p50_ns'] / 1000:.2f} µs, "
                    f"{_rate(result['events_per_s'])} events/s, other load {result['other_load']:.2f} cores",
                    file=sys.stderr,
                    flush=True,
                )
    results = [_median_run(group) for group in runs.values()]
    down: list[dict[str, Any]] = []
    if with_down:
        for kind in ("ours", "unbounded"):
            args = ["--run-down", kind, "--queue-size", str(plan.down_queue)]
            args += ["--rounds", str(plan.down_rounds), "--per-round", str(plan.down_per_round)]
            down.append(_child(args, timeout=300))
    return {
        "plan": plan.__dict__,
        "results": results,
        "runs": {f"{k[0]} x{k[1]}": v for k, v in runs.items()},
        "down": down,
    }


def _spread(bounds: list[float] | None, show: Callable[[float], str]) -> str:
    """`` (low–high)`` over repeated runs; nothing for a single run."""
    if not bounds or bounds[0] == bounds[1]:
        return ""
    return f" ({show(bounds[0])}–{show(bounds[1])})"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _us(ns: float) -> str:
    return f"{ns / 1000:.2f}"


def _best_runs(ours: dict[str, Any], floor: dict[str, Any]) -> str:
    """With repeats, the same ratio between each one's fastest run (p50 is bimodal with 4 threads)."""
    if ours.get("runs", 1) < 2:
        return ""
    best, best_floor = ours["p50_range_ns"][0], floor["p50_range_ns"][0]
    return f"; best runs {_us(best)} vs {_us(best_floor)} µs = {best / best_floor:.2f}×"


def _find(results: list[dict[str, Any]], name: str, producers: int) -> dict[str, Any] | None:
    return next((r for r in results if r["scenario"] == name and r["producers"] == producers), None)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return numerator / denominator


def verdicts(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(target, figure, ratio, met?) rows for every producer count measured."""
    results = report["results"]
    rows: list[tuple[str, str, str, str]] = []

    def row(
        target: str, figure: str, ratio: float | None, ok: Callable[[float], bool], unit: str = "×"
    ) -> None:
        if ratio is None:
            rows.append((target, figure, "n/a", "not measured"))
        else:
            rows.append((target, figure, f"{ratio:.2f}{unit}", "met" if ok(ratio) else "**missed**"))

    for producers in report["plan"]["producers"]:
        floor = _find(results, "floor", producers)
        ours = _find(results, "ours-batch", producers)
        segment = _find(results, "segment", producers)
        spool = _find(results, "ours-spool", producers)
        b1w4 = _find(results, "ours-b1-w4", producers)
        b1w1 = _find(results, "ours-b1-w1", producers)
        naive = _find(results, "naive-b1", producers)
        tag = f"{producers} producer{'s' if producers > 1 else ''}"
        if floor and ours:
            row(
                f"publish() p50 ≤ 1.5× floor ({tag})",
                f"{_us(ours['p50_ns'])} vs {_us(floor['p50_ns'])} µs" + _best_runs(ours, floor),
                _ratio(ours["p50_ns"], floor["p50_ns"]),
                lambda r: r <= 1.5,
            )
        consumed = _find(results, "floor-consumed", producers)
        if consumed and ours:
            ratio = _ratio(ours["p50_ns"], consumed["p50_ns"])
            rows.append(
                (
                    f"(reference, no target) publish() p50 vs a floor with a consumer thread ({tag})",
                    f"{_us(ours['p50_ns'])} vs {_us(consumed['p50_ns'])} µs",
                    "n/a" if ratio is None else f"{ratio:.2f}×",
                    "—",
                )
            )
        if ours and segment:
            row(
                f"publish() p50 ≥ 10× faster than segment track ({tag})",
                f"{_us(ours['p50_ns'])} vs {_us(segment['p50_ns'])} µs",
                _ratio(segment["p50_ns"], ours["p50_ns"]),
                lambda r: r >= 10.0,
            )
            row(
                f"batching e2e events/s ≥ 4× segment ({tag})",
                f"{_rate(ours['events_per_s'])} vs {_rate(segment['events_per_s'])}",
                _ratio(ours["events_per_s"], segment["events_per_s"]),
                lambda r: r >= 4.0,
            )
        if floor and spool:
            row(
                f"spool on: publish() p50 ≤ 1.5× floor ({tag})",
                f"{_us(spool['p50_ns'])} vs {_us(floor['p50_ns'])} µs",
                _ratio(spool["p50_ns"], floor["p50_ns"]),
                lambda r: r <= 1.5,
            )
        if spool and segment:
            row(
                f"spool on: batching e2e events/s ≥ 2× segment ({tag})",
                f"{_rate(spool['events_per_s'])} vs {_rate(segment['events_per_s'])}",
                _ratio(spool["events_per_s"], segment["events_per_s"]),
                lambda r: r >= 2.0,
            )
        if b1w4 and naive:
            row(
                f"batch_size=1, 4 workers e2e ≥ 1.5× naive single worker ({tag})",
                f"{_rate(b1w4['events_per_s'])} vs {_rate(naive['events_per_s'])}",
                _ratio(b1w4["events_per_s"], naive["events_per_s"]),
                lambda r: r >= 1.5,
            )
        if b1w4 and b1w1:
            row(
                f"batch_size=1: 4 workers e2e beat one ({tag})",
                f"{_rate(b1w4['events_per_s'])} vs {_rate(b1w1['events_per_s'])}",
                _ratio(b1w4["events_per_s"], b1w1["events_per_s"]),
                lambda r: r > 1.0,
            )
    down = {d["kind"]: d for d in report["down"]}
    if "ours" in down:
        ours_down = down["ours"]
        samples = ours_down["rss"]
        full_at = next(
            (
                k
                for k in range(1, len(samples))
                if k * report["plan"]["down_per_round"] >= ours_down["queue_size"]
            ),
            1,
        )
        growth = max(samples[full_at:]) - samples[full_at]
        rows.append(
            (
                f"RSS bounded while the sink is down (max_queue_size={ours_down['queue_size']:,})",
                f"+{growth / 2**20:.1f} MiB after the queue filled, over {ours_down['refused']:,} refused events",
                "—",
                "met" if growth < 4 * 2**20 else "**missed**",
            )
        )
    return rows


def render(report: dict[str, Any], facts: dict[str, object]) -> str:
    header = [
        "scenario",
        "producers",
        "p50 µs",
        "p99 µs",
        "p99.9 µs",
        "enqueue s",
        "e2e s",
        "events/s",
        "requests",
        "refused",
        "client CPU s",
        "CPU µs/event: producer / background",
        "sink CPU s",
        "other load (cores)",
        "peak RSS MiB",
        "RSS growth MiB",
    ]
    rows = []
    for r in report["results"]:
        rows.append(
            [
                r["scenario"],
                str(r["producers"]),
                _us(r["p50_ns"]) + _spread(r.get("p50_range_ns"), _us),
                _us(r["p99_ns"]),
                _us(r["p999_ns"]),
                f"{r['enqueue_s']:.2f}",
                "—" if r["e2e_s"] is None else f"{r['e2e_s']:.2f}",
                _rate(r["events_per_s"]) + _spread(r.get("events_per_s_range"), _rate),
                "—" if r["requests"] is None else f"{r['requests']:,}",
                str(r["refused"]),
                f"{r['cpu_s']:.2f}",
                f"{r['producer_cpu_us_per_event']:.1f} / {r['background_cpu_us_per_event']:.1f}",
                "—" if r["sink_cpu_s"] is None else f"{r['sink_cpu_s']:.2f}",
                f"{r['other_load']:.2f}",
                mib(r["rss_peak"]),
                mib(r["rss_peak"] - r["rss_before"]),
            ]
        )
    parts = [
        f"Run: {facts_line(facts)}",
        "",
        (
            f"{report['plan']['events']:,} events per scenario, "
            f"queue size {report['plan']['queue_size']:,} for every client; "
            + (
                f"the sink answers each POST {report['plan']['sink_delay_ms']:g} ms after counting it; "
                if report["plan"]["sink_delay_ms"]
                else "the sink answers at once; "
            )
            + (
                f"medians of {report['plan']['repeat']} runs (range in brackets)."
                if report["plan"]["repeat"] > 1
                else "one run each."
            )
        ),
        "",
        markdown_table(header, rows),
    ]
    for name, reason in report["plan"]["skipped"].items():
        parts.append(f"\nskipped {name}: {reason}")
    if report["down"]:
        down_rows = []
        for d in report["down"]:
            samples = d["rss"]
            down_rows.append(
                [
                    d["kind"],
                    f"{d['queue_size']:,}" if d["kind"] == "ours" else "unbounded",
                    f"{d['accepted']:,}",
                    f"{d['refused']:,}",
                    mib(samples[0]),
                    " ".join(mib(s) for s in samples[1:]),
                ]
            )
        parts += [
            "",
            "Sink down (nothing listening), RSS MiB after each round:",
            "",
            markdown_table(
                ["client", "queue", "accepted", "refused", "RSS before", "RSS after each round"], down_rows
            ),
        ]
    parts += ["", "Targets:", "", markdown_table(["target", "figures", "ratio", "verdict"], verdicts(report))]
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 events per scenario")
    parser.add_argument(
        "--smoke", action="store_true", help="300 events, tiny sink-down run (for the smoke test)"
    )
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--producers", default="1,4", help="comma-separated producer thread counts")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--no-down", action="store_true", help="skip the sink-down memory run")
    parser.add_argument(
        "--sink-delay-ms",
        type=float,
        default=0.0,
        help="the sink answers each event-carrying POST this many ms after counting it (network latency)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write every figure as JSON here")
    parser.add_argument(
        "--wait", type=float, default=None, help="seconds to wait for the sink to count every event"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="run every scenario this many times; the table shows medians"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="before each scenario, wait up to this many seconds for the machine to be idle",
    )
    # internal: one scenario in this (fresh) process
    parser.add_argument("--run-scenario", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--run-down", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--queue-size", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=20, help=argparse.SUPPRESS)
    parser.add_argument("--per-round", type=int, default=10_000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    events = args.events or (300 if args.smoke else 10_000 if args.quick else 50_000)
    if args.run_scenario:
        result = run_scenario(
            args.run_scenario,
            int(args.producers),
            events,
            args.port,
            args.queue_size or events,
            args.wait or 120.0,
        )
        print(json.dumps(result), flush=True)
        os._exit(0)  # peers' atexit hooks (flush/join) have nothing left to do; never let them hang
    if args.run_down:
        print(json.dumps(run_down(args.run_down, args.queue_size, args.rounds, args.per_round)), flush=True)
        os._exit(0)

    plan = Plan(
        events=events,
        producers=[int(p) for p in args.producers.split(",")],
        scenarios=[s for s in args.scenarios.split(",") if s],
        queue_size=events,
        down_rounds=4 if args.smoke else 20,
        down_per_round=500 if args.smoke else 10_000,
        down_queue=1_000 if args.smoke else 10_000,
        wait_s=args.wait or (30.0 if args.smoke else 180.0),
        quiet_wait=args.quiet_wait,
        repeat=max(1, args.repeat),
        sink_delay_ms=args.sink_delay_ms,
    )
    if plan.sink_delay_ms < 0:
        parser.error(f"--sink-delay-ms must be 0 or more, not {plan.sink_delay_ms}")
    unknown = set(plan.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))} (known: {', '.join(SCENARIOS)})")
    facts = run_facts()
    from activity_publisher.encoding import ENCODER

    facts["json_encoder"] = ENCODER  # orjson with the fast extra installed, else json
    print(f"publisher benchmark: {events:,} events, producers {plan.producers}", file=sys.stderr, flush=True)
    report = orchestrate(plan, with_down=not args.no_down)
    report["facts"] = facts
    print(render(report, facts), end="")
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
