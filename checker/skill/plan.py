"""The planning step: Phase 1 answers in, a publisher plan with a reason for every value out.

Pure: the answers (volume, reliability, destinations, framework, example events) are values,
and so is the plan. Reading example files is the only I/O, in ``load_example``; the CLI
(``commands.py``) prints the plan and the scaffold (``scaffold.py``) builds it.

How each value is derived (the skill documents the same rules):

- volume class: low < 10 events/s, medium 10–1000, high > 1000.
- batch_size: one worker is assumed to make ~20 requests/s (a 50 ms POST). Up to that rate
  every event is its own request; above it, batches of ``ceil(volume / 20)`` (at most 100).
- workers: twice the throughput the volume needs, at most 8 per process.
- retry policy: from the reliability answer (best-effort gives up within seconds, guaranteed
  and exactly-once ride out minutes of collector outage).
- max_queue_size: the events produced while the collector is down for the outage the
  reliability answer must survive (10 s best-effort, 60 s otherwise), at least 1,000.
- spool_path: guaranteed and exactly-once switch the durable spool on (``SPOOL_PATH``, a SQLite
  file), so a crash or a kill loses no committed event; best-effort keeps the in-memory queue.

Answers that cannot hold together raise ``PlanError`` naming the option (see ``check``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from genson import SchemaBuilder

RELIABILITIES: Final = ("best-effort", "guaranteed", "exactly-once")
DESTINATIONS: Final = ("single", "multiple", "fan-out")
FRAMEWORKS: Final = ("fastapi", "flask", "standalone")

LOW_VOLUME: Final = 10.0  # events/s: below is "low"
HIGH_VOLUME: Final = 1000.0  # events/s: above is "high"
REQUESTS_PER_WORKER: Final = 20  # one POST taking ~50 ms
MAX_BATCH: Final = 100
MAX_WORKERS: Final = 8
MIN_QUEUE: Final = 1_000
MAX_QUEUE: Final = 1_000_000  # events held in memory by one client
SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
#: The planned spool file for guaranteed and exactly-once, relative to the working directory.
SPOOL_PATH: Final = "activity-spool.db"


class PlanError(ValueError):
    """An answer that is invalid, or contradicts another; the message starts with the option."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    initial_delay: float
    backoff_factor: float
    max_delay: float
    jitter: float
    request_timeout: float
    shutdown_timeout: float
    outage_seconds: int  # how long the queue must absorb events while the collector is down
    why: str

    def delays(self) -> list[float]:
        """The waits before retries 1 .. max_attempts - 1 (without jitter)."""
        return [
            min(self.max_delay, self.initial_delay * self.backoff_factor ** (n - 1))
            for n in range(1, self.max_attempts)
        ]


_GUARANTEED: Final = RetryPolicy(
    max_attempts=10,
    initial_delay=1.0,
    backoff_factor=2.0,
    max_delay=60.0,
    jitter=0.2,
    request_timeout=10.0,
    shutdown_timeout=10.0,
    outage_seconds=60,
    why="guaranteed: every event must arrive, so retries ride out minutes of collector outage",
)

POLICIES: Final[Mapping[str, RetryPolicy]] = {
    "best-effort": RetryPolicy(
        max_attempts=3,
        initial_delay=0.5,
        backoff_factor=2.0,
        max_delay=5.0,
        jitter=0.1,
        request_timeout=5.0,
        shutdown_timeout=2.0,
        outage_seconds=10,
        why="best-effort: losing an event is acceptable, holding memory and threads for it is not",
    ),
    "guaranteed": _GUARANTEED,
    # Exactly-once is the guaranteed policy plus de-duplication on the collector's side.
    "exactly-once": replace(
        _GUARANTEED,
        why=(
            "exactly-once: delivered at least once with the guaranteed policy; the collector "
            "de-duplicates on each event's id, which stays the same across retries and restarts"
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class Example:
    """One example event and the file it came from."""

    source: str
    event: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Answers:
    """The Phase 1 answers, as options give them (``check`` validates them)."""

    volume: float
    reliability: str
    destinations: str = "single"
    framework: str = "standalone"
    examples: tuple[Example, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    """One planned value and why it has that value."""

    name: str
    value: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Plan:
    answers: Answers
    volume_class: str
    #: ActivityClient keyword arguments: the scaffold writes them as the copy's defaults.
    parameters: tuple[Decision, ...]
    #: Choices that are not a single client setting: clients, validation, alerting, framework.
    design: tuple[Decision, ...]
    #: What the collector (the HTTP endpoint) must do for this plan to hold.
    collector: tuple[str, ...]
    testing: tuple[str, ...]
    schema: dict[str, Any]

    @property
    def defaults(self) -> dict[str, Any]:
        return {decision.name: decision.value for decision in self.parameters}

    def to_dict(self) -> dict[str, Any]:
        return {
            "answers": {
                "volume": self.answers.volume,
                "reliability": self.answers.reliability,
                "destinations": self.answers.destinations,
                "framework": self.answers.framework,
                "examples": [example.source for example in self.answers.examples],
            },
            "volumeClass": self.volume_class,
            "parameters": [decision.to_dict() for decision in self.parameters],
            "design": [decision.to_dict() for decision in self.design],
            "collector": list(self.collector),
            "testing": list(self.testing),
            "schema": self.schema,
        }


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def load_example(path: Path) -> Example:
    """Read one example event: a file holding one JSON object. PlanError names ``--examples``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError("--examples", f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        event = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise PlanError(
            "--examples", f"{path} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise PlanError("--examples", f"{path} is not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise PlanError(
            "--examples", f"{path} must hold one JSON object (an example event), not a JSON {_json_type(event)}"
        )
    return Example(str(path), event)


def _json_type(value: object) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def reliability_answer(reliability: str | None, sla: str | None) -> str:
    """``--sla`` and ``--reliability`` are one answer under two names: they must agree."""
    if reliability is not None and sla is not None and reliability != sla:
        raise PlanError(
            "--sla",
            f"{sla} contradicts --reliability {reliability}: both name the delivery guarantee; give one",
        )
    answer = reliability or sla
    if answer is None:
        raise PlanError("--reliability", f"required (or --sla): one of {', '.join(RELIABILITIES)}")
    return answer


def volume_class(volume: float) -> str:
    if volume < LOW_VOLUME:
        return "low"
    if volume <= HIGH_VOLUME:
        return "medium"
    return "high"


def check(answers: Answers) -> None:
    """Raise PlanError for an invalid answer or a combination that cannot hold.

    Rejected combinations:
    - ``--sla`` and ``--reliability`` with different values (``reliability_answer``).
    - guaranteed or exactly-once at a volume whose outage buffer (volume x 60 s) exceeds the
      1,000,000 events one in-memory queue may hold: a collector outage would fill the queue
      and ``publish()`` would raise ``queue.Full``, so nothing can be guaranteed. Best-effort
      at that volume is accepted: the queue is capped and overflow is the accepted loss.
    """
    volume = answers.volume
    if isinstance(volume, bool) or not isinstance(volume, (int, float)) or not math.isfinite(volume) or volume <= 0:
        raise PlanError("--volume", f"must be a number of events per second > 0, got {volume!r}")
    if answers.reliability not in RELIABILITIES:
        raise PlanError("--reliability", f"must be one of {', '.join(RELIABILITIES)}, got {answers.reliability!r}")
    if answers.destinations not in DESTINATIONS:
        raise PlanError("--destinations", f"must be one of {', '.join(DESTINATIONS)}, got {answers.destinations!r}")
    if answers.framework not in FRAMEWORKS:
        raise PlanError("--framework", f"must be one of {', '.join(FRAMEWORKS)}, got {answers.framework!r}")
    policy = POLICIES[answers.reliability]
    needed = volume * policy.outage_seconds
    if answers.reliability != "best-effort" and needed > MAX_QUEUE:
        raise PlanError(
            "--volume",
            f"{_count(volume)} events/s with --reliability {answers.reliability}: riding out a "
            f"{policy.outage_seconds} s collector outage needs a {_count(needed)}-event queue, more than the "
            f"{_count(MAX_QUEUE)} one in-memory client may hold; split the volume across processes "
            f"(at most {math.floor(MAX_QUEUE / policy.outage_seconds):,} events/s each), use a durable outbox, "
            "or accept --reliability best-effort",
        )


def _count(value: float) -> str:
    return f"{math.ceil(value):,}" if value >= 1 else f"{value:g}"


def _round_up(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step)


def _seconds(value: float) -> str:
    return f"{value:g} s" if value < 120 else f"{value / 60:.1f} min"


def infer_schema(examples: Sequence[Example]) -> dict[str, Any]:
    """A JSON Schema (2020-12) that every example matches, inferred with genson.

    Fields present in every example are required; types are what the examples hold. With no
    examples the schema only asks for a JSON object.
    """
    builder = SchemaBuilder(schema_uri=SCHEMA_DIALECT)
    builder.add_schema({"type": "object"})
    for example in examples:
        builder.add_object(example.event)
    inferred = builder.to_schema()
    title = {"title": "Event", "description": _schema_description(examples)}
    return {"$schema": inferred.pop("$schema", SCHEMA_DIALECT), **title, **inferred}


def _schema_description(examples: Sequence[Example]) -> str:
    if not examples:
        return "No example events were given: any JSON object is accepted."
    names = ", ".join(Path(example.source).name for example in examples)
    return f"Inferred with genson from {len(examples)} example event(s): {names}."


def _batch_and_workers(volume: float) -> tuple[Decision, Decision]:
    if volume <= REQUESTS_PER_WORKER:
        batch = 1
        batch_reason = (
            f"{_count(volume)} events/s is within one worker's ~{REQUESTS_PER_WORKER} requests/s: every event "
            "is its own request (the body is the event itself), for the lowest latency"
        )
    else:
        batch = min(MAX_BATCH, math.ceil(volume / REQUESTS_PER_WORKER))
        batch_reason = (
            f"{_count(volume)} events/s is more than one worker's ~{REQUESTS_PER_WORKER} requests/s: a worker "
            f'posts up to {batch} queued events as one {{"batch": [...]}} request; it never waits to fill a '
            "batch, so latency does not grow"
        )
        if batch == MAX_BATCH:
            batch_reason += f" (capped at {MAX_BATCH} to keep request bodies small)"
    throughput = REQUESTS_PER_WORKER * batch
    workers = max(1, min(MAX_WORKERS, math.ceil(2 * volume / throughput)))
    workers_reason = (
        f"each worker sends ~{_count(throughput)} events/s at batch_size {batch}; {workers} give "
        f"~{_count(workers * throughput)} events/s, at least twice the {_count(volume)} events/s needed, "
        "so a slow collector does not let the queue grow"
    )
    if workers == MAX_WORKERS and 2 * volume / throughput > MAX_WORKERS:
        processes = math.ceil(2 * volume / (MAX_WORKERS * throughput))
        workers_reason = (
            f"each worker sends ~{_count(throughput)} events/s at batch_size {batch}; {workers} give "
            f"~{_count(workers * throughput)} events/s, less than twice the {_count(volume)} events/s needed: "
            f"capped at {MAX_WORKERS} per process; for that headroom run {processes} processes (more processes, "
            "not more threads)"
        )
    elif workers == 1:
        workers_reason = (
            f"one worker sends ~{_count(throughput)} events/s at batch_size {batch}, more than twice the "
            f"{_count(volume)} events/s needed"
        )
    return Decision("batch_size", batch, batch_reason), Decision("workers", workers, workers_reason)


def _queue_size(answers: Answers, policy: RetryPolicy) -> Decision:
    needed = answers.volume * policy.outage_seconds
    size = min(MAX_QUEUE, max(MIN_QUEUE, _round_up(needed, 1_000)))
    reason = (
        f"holds {policy.outage_seconds} s of events at {_count(answers.volume)} events/s (the outage "
        f"{answers.reliability} must survive without publish() raising queue.Full)"
    )
    if size == MIN_QUEUE and needed < MIN_QUEUE:
        reason += f"; at least {_count(MIN_QUEUE)} so bursts fit"
    if size == MAX_QUEUE and needed > MAX_QUEUE:
        reason += f"; capped at {_count(MAX_QUEUE)} to bound memory (best-effort accepts the overflow)"
    if answers.examples:
        average = sum(len(json.dumps(e.event, separators=(",", ":"))) for e in answers.examples) / len(answers.examples)
        reason += (
            f"; full, it holds ≈ {size * average / 1e6:.1f} MB of JSON at the examples' average of "
            f"{average:.0f} bytes (Python objects take several times that)"
        )
    return Decision("max_queue_size", size, reason)


def _retry_parameters(policy: RetryPolicy) -> list[Decision]:
    delays = policy.delays()
    window = sum(delays)
    shown = ", ".join(f"{d:g}" for d in delays[:6]) + (", …" if len(delays) > 6 else "")
    return [
        Decision(
            "max_attempts",
            policy.max_attempts,
            f"{policy.why}; {policy.max_attempts} attempts wait {shown} s between them, "
            f"≈ {_seconds(window)} in all before final_error",
        ),
        Decision("initial_delay", policy.initial_delay, "the first retry comes soon: most failures are brief"),
        Decision("backoff_factor", policy.backoff_factor, "each wait doubles, so a struggling collector gets room"),
        Decision("max_delay", policy.max_delay, f"no single wait is longer than {_seconds(policy.max_delay)}"),
        Decision(
            "jitter",
            policy.jitter,
            f"waits vary by ±{policy.jitter:.0%} so clients that failed together do not retry together",
        ),
        Decision(
            "request_timeout",
            policy.request_timeout,
            f"a hung request frees its worker after {_seconds(policy.request_timeout)} and counts as a retryable "
            "network failure",
        ),
        Decision(
            "shutdown_timeout",
            policy.shutdown_timeout,
            f"close() and the exit hook flush for at most {_seconds(policy.shutdown_timeout)}"
            + ("" if policy.shutdown_timeout <= 2 else " (longer than the usual 2 s: every event must arrive)")
            + "; what is left is reported as dropped, never lost silently",
        ),
    ]


def _spool(answers: Answers) -> list[Decision]:
    if answers.reliability == "best-effort":
        return []
    return [
        Decision(
            "spool_path",
            SPOOL_PATH,
            f"{answers.reliability} must survive a crash, a kill -9 or a deploy: published events are "
            "group-committed to this SQLite file and replayed by the next client, so an event is durable "
            "once its commit happened (on('persisted')); give each process its own file, on a persistent volume",
        )
    ]


def _design(answers: Answers, schema: dict[str, Any]) -> list[Decision]:
    clients = {
        "single": ("one ActivityClient", "one destination: one client, one queue, one HTTP session"),
        "multiple": (
            "one ActivityClient per destination",
            "each event goes to the client of its destination; separate queues and workers, so a slow or "
            "failing destination never holds up the others",
        ),
        "fan-out": (
            "one ActivityClient per destination; publish every event to each",
            "each destination retries, fails and drops on its own, and reports its own outcomes; memory is "
            "max_queue_size per destination",
        ),
    }[answers.destinations]
    required = schema.get("required", [])
    if answers.examples:
        validation = (
            "schemas/event.json + publish_event()",
            f"inferred with genson from {len(answers.examples)} example event(s); required: "
            f"{', '.join(required) or 'nothing'}. publish_event() validates on the caller's thread with a "
            "pre-compiled validator (CPU only) and raises naming the bad field; nothing is queued then",
        )
    else:
        validation = (
            "schemas/event.json (any JSON object) + publish_event()",
            "no example events were given, so only 'is a JSON object' is checked; re-plan with --examples "
            "to validate fields",
        )
    alerting = {
        "best-effort": (
            "error_callback logs WARN and above; stats exported",
            "losses are accepted but visible: final_error, error and dropped are counted in stats",
        ),
        "guaranteed": (
            "error_callback pages on CRITICAL (final_error) and ERROR (permanent 4xx); on('dropped') pages",
            "every lost event is an incident: exhausted retries, a rejected event (a bug) or events still "
            "unconfirmed at shutdown",
        ),
        "exactly-once": (
            "error_callback pages on CRITICAL and ERROR; on('dropped') pages; the collector's duplicate "
            "count is watched",
            "as guaranteed, plus duplicates must be caught by the collector, so its de-duplication is monitored",
        ),
    }[answers.reliability]
    framework = {
        "fastapi": (
            "integrations/fastapi.py: publisher_lifespan() + ActivityClientDep",
            "the lifespan creates the client at start-up and closes (flushes) it at shutdown; routes get it "
            "with a dependency and call publish_event(), which never blocks the event loop",
        ),
        "flask": (
            "integrations/flask.py: ActivityPublisher extension",
            "init_app() creates the client per app (app.extensions); it is closed (flushed) when the app is "
            "torn down: close(app), the app being garbage-collected, or interpreter exit",
        ),
        "standalone": (
            "one client for the process, closed at shutdown",
            "create it at start-up and use it as a context manager or call close(); at interpreter exit an "
            "open client flushes for shutdown_timeout",
        ),
    }[answers.framework]
    return [
        Decision("clients", clients[0], clients[1]),
        Decision("validation", validation[0], validation[1]),
        Decision("alerting", alerting[0], alerting[1]),
        Decision("framework", framework[0], framework[1]),
    ]


def _collector(answers: Answers, batch_size: int) -> list[str]:
    needs = [
        "answers 2xx for an accepted event, 429 with Retry-After to slow clients down, and other 4xx only "
        "for events it will never accept"
    ]
    if batch_size > 1:
        needs.append('accepts {"batch": [event, ...]} bodies (batch_size > 1)')
    if answers.reliability == "exactly-once":
        needs.append(
            "de-duplicates by event id: the Idempotency-Key header of a single-event request, the "
            '"ids" list of a batch body (one per event, the same across retries and restarts)'
        )
    elif answers.reliability == "guaranteed":
        needs.append(
            'tolerates duplicates, or de-duplicates by event id (Idempotency-Key, or a batch\'s "ids"): '
            "delivery is at-least-once, and a restart replays what was not confirmed"
        )
    return needs


def _testing(answers: Answers) -> list[str]:
    tests = [
        "publish_event() of each example reaches a local collector (http.server on 127.0.0.1) unchanged",
        "an event missing a required field raises at the call site and is not queued",
        "a 503 is retried and then delivered; a 400 is dropped at once as error",
        "the client's defaults are the planned values",
        "publisher-check passes with zero violations",
    ]
    if answers.framework == "fastapi":
        tests.append("FastAPI TestClient: a route publishes, the lifespan closes the client and the event arrives")
    elif answers.framework == "flask":
        tests.append("Flask app.test_client(): a view publishes, app teardown closes the client and the event arrives")
    return tests


def make_plan(answers: Answers) -> Plan:
    """The plan for ``answers``; PlanError if they are invalid or contradict each other."""
    check(answers)
    policy = POLICIES[answers.reliability]
    batch, workers = _batch_and_workers(answers.volume)
    schema = infer_schema(answers.examples)
    parameters = (
        _queue_size(answers, policy),
        workers,
        batch,
        *_retry_parameters(policy),
        Decision("error_callback_timeout", 5.0, "a hung alert hook is abandoned after 5 s and never stalls delivery"),
        Decision("include_event_data", False, "events can hold personal data: error contexts carry no payload"),
        *_spool(answers),
    )
    return Plan(
        answers=answers,
        volume_class=volume_class(answers.volume),
        parameters=parameters,
        design=tuple(_design(answers, schema)),
        collector=tuple(_collector(answers, batch.value)),
        testing=tuple(_testing(answers)),
        schema=schema,
    )


def render_text(plan: Plan) -> str:
    answers = plan.answers
    examples = len(answers.examples)
    lines = [
        f"Plan: {plan.volume_class}-volume publisher ({_count(answers.volume)} events/s), {answers.reliability}, "
        f"{answers.destinations} destination{'' if answers.destinations == 'single' else 's'}, {answers.framework}, "
        f"{examples} example event{'' if examples == 1 else 's'}",
        "",
        "Client settings (scaffold writes them as ActivityClient's defaults):",
    ]
    for decision in plan.parameters:
        lines.append(f"  {decision.name} = {decision.value!r}")
        lines.append(f"      {decision.reason}")
    lines += ["", "Design:"]
    for decision in plan.design:
        lines.append(f"  {decision.name}: {decision.value}")
        lines.append(f"      {decision.reason}")
    lines += ["", "The collector must:"]
    lines += [f"  - {need}" for need in plan.collector]
    lines += ["", "Tests:"]
    lines += [f"  - {test}" for test in plan.testing]
    lines += ["", "Validation schema (schemas/event.json):"]
    lines += ["  " + line for line in json.dumps(plan.schema, indent=2).splitlines()]
    return "\n".join(lines) + "\n"
