"""PUB003 — the queue is bounded.

What it checks: the queue ``publish()`` fills is created with a ``maxsize`` greater than
zero. ``Queue()``, ``Queue(0)``, ``Queue(maxsize=-1)``, ``SimpleQueue()`` and a
``deque`` without ``maxlen`` are unbounded and reported at the constructor call. A size
taken from a variable is trusted (the client's constructor validates it).

Why it matters: when the collector is down, an unbounded queue grows until the process
runs out of memory. A bound turns the outage into counted, reported drops.

Fix (safe): ``Queue()`` becomes ``Queue(maxsize=10000)`` — the reference's default, set with
``default-queue-size`` in ``[tool.publisher-check]``; an explicit ``0``, negative or ``None``
size is replaced. ``SimpleQueue`` and ``deque`` are not rewritten: the first cannot be
bounded, and a bounded deque silently drops events (PUB004).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from publisher_check.analysis.parts import buffer_of, enqueue_sites
from publisher_check.analysis.project import QUEUE_TYPES, Publisher
from publisher_check.fixes.codemods import FixTarget, keyword, set_keyword
from publisher_check.ftypes import Finding, Severity, Violation
from publisher_check.rule import Example, Rule


def _unbounded_size(args: tuple[str, ...], size: str | None) -> bool:
    value = size if size is not None else (args[0] if args else None)
    if value is None:
        return True
    if value.lstrip("-").isdigit():
        return int(value) <= 0
    return value == "None"


class BoundedQueue(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB003"
    check: ClassVar[str] = "Bounded queue"
    severity: ClassVar[Severity] = Severity.CRITICAL
    fixable: ClassVar[bool] = True

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        reported: set[tuple[str, int]] = set()
        for site in enqueue_sites(publisher):
            buffer = buffer_of(publisher, site)
            call = buffer.construction
            if call is None or buffer.owner is None:
                continue
            key = (str(buffer.owner.module.path), call.line)
            if key in reported:
                continue
            if buffer.kind == "queue" and _unbounded_size(call.args, call.keyword("maxsize")):
                message = f"{call.callee}() is unbounded: pass maxsize > 0 so an outage cannot exhaust memory"
            elif buffer.kind == "simple":
                message = f"{call.callee}() cannot be bounded: use queue.Queue(maxsize=…)"
            elif buffer.kind == "deque" and call.keyword("maxlen") is None and len(call.args) < 2:
                message = f"{call.callee}() without maxlen is unbounded"
            else:
                continue
            reported.add(key)
            yield Finding(buffer.owner.module.path, call.line, call.column, message)

    def fix(self, violation: Violation, target: FixTarget) -> cst.Module | None:
        call = next((c for c in target.nodes_at(violation, cst.Call) if target.resolve(c.func) in QUEUE_TYPES), None)
        if call is None:
            return None
        size = cst.Integer(str(target.config.default_queue_size))
        positional = [a for a in call.args if a.keyword is None]
        if keyword(call, "maxsize") is None and positional and not positional[0].star:
            first = positional[0]  # Queue(0): the size is the first positional argument
            return target.replace(call, call.with_changes(args=[a.with_changes(value=size) if a is first else a for a in call.args]))
        if any(a.star for a in call.args):
            return None
        return target.replace(call, set_keyword(call, "maxsize", size))

    VALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue

            class Client:
                def __init__(self, max_queue_size: int = 10_000) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(max_queue_size)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """
        ),
        Example.of(
            """
            from queue import Queue

            class Client:
                def __init__(self) -> None:
                    self._queue: Queue[dict] = Queue(maxsize=256)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue()  # expect: PUB003

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """,
            fixed="""
            import queue

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=10000)  # expect: PUB003

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """,
        ),
        Example.of(
            """
            from queue import Queue as Q

            class Client:
                def __init__(self) -> None:
                    self._queue: Q[dict] = Q(maxsize=0)  # expect: PUB003

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """,
            fixed="""
            from queue import Queue as Q

            class Client:
                def __init__(self) -> None:
                    self._queue: Q[dict] = Q(maxsize=10000)  # expect: PUB003

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """,
        ),
    )
