"""Soak: the publisher against a server that is dead for most of the run. Run by hand, not in CI.

    python benchmarks/soak.py                    # 150 s: up 10 %, dead 75 %, up 10 %, dead 5 %
    python benchmarks/soak.py --duration 600 --rate 5000

The server is tests/publisher/fault_server.py in a child process on 127.0.0.1 (SIGKILLed for the
dead phases, restarted on the same port); close() is called in the last dead phase, with a
full queue. Producer threads publish at a fixed rate the whole time; a full queue raises
``QueueFullError`` to them, which they count. The run shows that:

- memory stays bounded by the queue: VmRSS (from /proc/self/status) is sampled every second,
  and its growth over the dead phase is printed next to the rough size of a full queue;
- every loss is reported: ``published == success_sent + error + final_error + dropped`` from
  ``stats`` after close(), the on() reports and error callbacks add up to the same counts, and
  ``published + rejected == attempted``;
- log lines are rate-limited: every record of the ``activity_publisher`` loggers is counted
  by level, next to the number of events that failed;
- threads stay bounded (error callbacks run on threads of their own), and close() keeps its
  deadline.

It prints one line per phase and a summary, and exits 1 if an invariant does not hold.
"""

import argparse
import json
import logging
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "publisher"))

from fault_server import ServerProcess  # noqa: E402 - a standard-library-only script next to the tests

from activity_publisher import ActivityClient, DeliveryReport, ErrorContext, QueueFullError  # noqa: E402

SECRET = "soak-s3cr3t"
EVENT_NAMES = ("success_sent", "retry", "rate_limited", "error", "final_error", "dropped")


def payload(sequence: int) -> str:
    """200 characters, a new string for every event, as real events have (a constant is shared)."""
    return f"{sequence:010d}".ljust(200, "x")


def event_bytes() -> int:
    """Roughly what one queued soak event holds in memory: the dict, its strings, the entry."""
    event = {"id": "0-000000", "type": "soak", "payload": payload(0)}
    return sys.getsizeof(event) + sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in event.items()) + 64


def rss_kib() -> int:
    """This process's resident set size in KiB (Linux: /proc/self/status VmRSS)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


class CountingHandler(logging.Handler):
    """Counts log records by level; keeps the first few messages to show."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.by_level: Counter[str] = Counter()
        self.samples: list[str] = []
        self.secret_seen = False
        self._lock_counts = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (
            logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        )
        with self._lock_counts:
            self.secret_seen = self.secret_seen or SECRET in text
            self.by_level[record.levelname] += 1
            if record.levelno >= logging.WARNING and len(self.samples) < 8:
                self.samples.append(f"{record.levelname} {record.getMessage()[:150]}")


@dataclass
class Tally:
    """What the client told us, through on() reports and the error callback."""

    reported: Counter[str] = field(default_factory=Counter)  # events per report name
    callbacks: Counter[str] = field(default_factory=Counter)  # calls per severity
    lock: threading.Lock = field(default_factory=threading.Lock)

    def report(self, report: DeliveryReport) -> None:
        with self.lock:
            self.reported[report.event_name] += len(report.events)

    def callback(self, context: ErrorContext) -> None:
        with self.lock:
            self.callbacks[context.severity.name] += 1


@dataclass
class Producers:
    """Threads publishing ``rate`` events per second in total until stopped."""

    client: ActivityClient
    rate: int
    threads: int
    attempted: int = 0
    rejected: int = 0
    slowest_publish: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, number: int) -> None:
        per_tick = max(1, self.rate // self.threads // 100)  # 100 ticks a second
        sequence = 0
        next_tick = time.monotonic()
        while not self.stop.is_set():
            attempted = rejected = 0
            slowest = 0.0
            for _ in range(per_tick):
                event = {"id": f"{number}-{sequence}", "type": "soak", "payload": payload(sequence)}
                sequence += 1
                started = time.perf_counter()
                try:
                    self.client.publish(event)
                except QueueFullError:
                    rejected += 1
                slowest = max(slowest, time.perf_counter() - started)
                attempted += 1
            with self.lock:
                self.attempted += attempted
                self.rejected += rejected
                self.slowest_publish = max(self.slowest_publish, slowest)
            next_tick += 0.01
            self.stop.wait(max(0.0, next_tick - time.monotonic()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=150.0, help="seconds (at most 3600)")
    parser.add_argument("--rate", type=int, default=2000, help="events per second, all producers")
    parser.add_argument("--producers", type=int, default=2)
    parser.add_argument("--queue-size", type=int, default=10_000, help="the client's default")
    parser.add_argument("--json", type=Path, help="also write the summary there")
    options = parser.parse_args()
    duration = min(options.duration, 3600.0)  # bounded, whatever is asked
    up_first, dead, up_again = 0.1 * duration, 0.75 * duration, 0.1 * duration

    log_counter = CountingHandler()
    publisher_logger = logging.getLogger("activity_publisher")
    publisher_logger.addHandler(log_counter)
    publisher_logger.setLevel(logging.DEBUG)  # count every record; none is printed
    publisher_logger.propagate = False

    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    server = ServerProcess(workdir / "requests.jsonl")
    server.start()
    tally = Tally()
    client = ActivityClient(
        server.url,
        max_queue_size=options.queue_size,
        workers=2,
        batch_size=50,
        max_attempts=5,
        initial_delay=0.2,
        max_delay=2.0,
        request_timeout=2.0,
        error_callback=tally.callback,
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    for name in EVENT_NAMES:
        client.on(name, tally.report)

    baseline = rss_kib()
    samples: list[tuple[float, int, int]] = []  # (seconds, VmRSS KiB, threads)
    producers = Producers(client, options.rate, options.producers)
    threads = [
        threading.Thread(target=producers.run, args=(n,), daemon=True) for n in range(options.producers)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()

    def phase(name: str, until: float) -> None:
        while (now := time.monotonic() - started) < until:
            samples.append((now, rss_kib(), threading.active_count()))
            time.sleep(min(1.0, max(0.0, until - now)))
        stats = client.stats
        print(
            f"[{time.monotonic() - started:6.1f} s] end of {name:<9} VmRSS {rss_kib():>7} KiB  "
            f"threads {threading.active_count():>3}  attempted {producers.attempted:>8}  "
            f"rejected {producers.rejected:>8}  {stats}",
            flush=True,
        )

    phase("up", up_first)
    server.kill()
    phase("dead", up_first + dead)
    server.start()
    phase("up again", up_first + dead + up_again)
    server.kill()
    phase("dead", duration)
    producers.stop.set()
    for thread in threads:
        thread.join(5)
    close_started = time.monotonic()
    client.close(5.0)  # against a dead server and a full queue: what is left is dropped
    close_seconds = time.monotonic() - close_started

    stats = client.stats
    confirmed = {
        event_id
        for record in server.records()
        if record["status"] is not None and 200 <= record["status"] <= 399
        for event_id in record["ids"] or ()
    }
    dead_samples = [rss for at, rss, _ in samples if up_first + 0.1 * dead <= at <= up_first + dead]
    failed = stats.error + stats.final_error + stats.dropped
    summary: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "duration_s": duration,
        "rate_per_s": options.rate,
        "queue_size": options.queue_size,
        "attempted": producers.attempted,
        "rejected_queue_full": producers.rejected,
        "stats": asdict(stats),
        "reported_events": dict(tally.reported),
        "error_callbacks": dict(tally.callbacks),
        "server_confirmed_events": len(confirmed),
        "rss_kib": {
            "before_producers": baseline,
            "max": max(rss for _, rss, _ in samples),
            "dead_phase_min": min(dead_samples),
            "dead_phase_max": max(dead_samples),
            "dead_phase_growth": dead_samples[-1] - dead_samples[0],
            "end": samples[-1][1],
        },
        "full_queue_kib_estimate": options.queue_size * event_bytes() // 1024,
        "rss_timeline_kib": " ".join(
            f"{at:.0f}s:{rss}" for at, rss, _ in samples[:: max(1, len(samples) // 15)] + samples[-1:]
        ),
        "threads_max": max(count for _, _, count in samples),
        "log_records": dict(log_counter.by_level),
        "log_samples": log_counter.samples,
        "events_failed": failed,
        "slowest_publish_ms": round(producers.slowest_publish * 1000, 3),
        "close_seconds": round(close_seconds, 3),
    }
    problems = []
    if stats.published != stats.success_sent + stats.error + stats.final_error + stats.dropped:
        problems.append("published != success_sent + error + final_error + dropped")
    if stats.published + producers.rejected != producers.attempted:
        problems.append("published + rejected != attempted")
    if any(tally.reported[name] != getattr(stats, name) for name in EVENT_NAMES):
        problems.append("on() reports do not add up to stats")
    if stats.success_sent > len(confirmed):
        problems.append("more successes than the server confirmed")
    if close_seconds > 5.0 + 2.0:
        problems.append("close(5) overran its deadline")
    warnings = sum(count for level, count in log_counter.by_level.items() if level in ("WARNING", "ERROR"))
    if failed and warnings * 100 > failed:
        problems.append("more than one warning per 100 failed events: the log is not rate-limited")
    if log_counter.secret_seen:
        problems.append("the Authorization header value is in a log record")
    summary["problems"] = problems
    print(json.dumps(summary, indent=2))
    if options.json:
        options.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
