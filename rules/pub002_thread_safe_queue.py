"""PUB002 — a thread-safe ``queue.Queue`` is the buffer.

What it checks: the buffer that ``publish()`` puts events into is a ``queue.Queue``
(or ``LifoQueue``/``PriorityQueue``/``multiprocessing.Queue``, or a subclass), however it
is imported or aliased. A list, a ``collections.deque`` or an ``asyncio.Queue`` is
reported at the line that creates it; a ``publish()`` that reaches no buffer at all (it
sends directly) is reported at its ``def``.

Why it matters: ``queue.Queue`` gives producers and workers one lock, ``maxsize``
back-pressure, ``task_done``/``join`` for ``flush()``, and ``queue.Full`` on overflow. A
list needs hand-written locking and cannot be joined; a deque with ``maxlen`` silently
discards the oldest events; ``asyncio.Queue`` is not thread-safe.

Fix: none automatic — swapping the container changes how workers consume it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from publisher_check.analysis.parts import buffer_of, enqueue_sites, send_functions
from publisher_check.analysis.project import Publisher
from publisher_check.ftypes import Finding, Severity
from publisher_check.rule import Example, Rule

_WHY = {
    "list": "a list is not a thread-safe queue: no bound, no queue.Full, no join() for flush()",
    "deque": "a collections.deque has no join() for flush() and with maxlen silently discards events",
    "asyncio": "asyncio.Queue is not thread-safe; worker threads need queue.Queue",
}


class ThreadSafeQueue(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB002"
    check: ClassVar[str] = "Thread-safe queue"
    severity: ClassVar[Severity] = Severity.CRITICAL

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        reported: set[tuple[str, int]] = set()
        for site in enqueue_sites(publisher):
            buffer = buffer_of(publisher, site)
            if buffer.kind not in _WHY:
                continue
            owner = buffer.owner or site.func
            line = buffer.line or site.call.line
            column = buffer.construction.column if buffer.construction else (
                buffer.assignment.column if buffer.assignment else site.call.column
            )
            if (str(owner.module.path), line) in reported:
                continue
            reported.add((str(owner.module.path), line))
            yield Finding(owner.module.path, line, column, f"event buffer {site.call.receiver}: {_WHY[buffer.kind]}")
        sites_by_client = {site.client.name for site in enqueue_sites(publisher)}
        senders = {func.key for func, _ in send_functions(publisher)}
        for client in publisher.clients:
            if client.name in sites_by_client:
                continue
            for publish in client.publish_methods:
                if any(f.key in senders for f, _ in publisher.project.walk(publish, same_thread=True)):
                    yield self.at_function(
                        publish, f"{publish.fact.name}() sends directly: there is no queue between the caller and the network"
                    )

    VALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            from queue import Queue as EventQueue

            class Client:
                def __init__(self) -> None:
                    self._events: EventQueue[dict] = EventQueue(maxsize=500)

                def publish(self, event: dict) -> None:
                    self._events.put_nowait(event)
            """
        ),
        Example.of(
            """
            import queue

            class Client:
                def __init__(self, events: "queue.Queue[dict]") -> None:
                    self._events = events

                def publish(self, event: dict) -> None:
                    self._events.put_nowait(event)
            """
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import threading

            class Client:
                def __init__(self) -> None:
                    self._lock = threading.Lock()
                    self._buffer: list[dict] = []  # expect: PUB002
                    self._worker = threading.Thread(target=self._run, daemon=True)

                def publish(self, event: dict) -> None:
                    with self._lock:
                        self._buffer.append(event)

                def _run(self) -> None:
                    with self._lock:
                        batch = self._buffer.copy()
                        self._buffer.clear()
            """
        ),
        Example.of(
            """
            import collections
            import threading

            class Client:
                def __init__(self) -> None:
                    self._buffer = collections.deque(maxlen=1000)  # expect: PUB002, PUB004
                    self._worker = threading.Thread(target=self._run, daemon=True)

                def publish(self, event: dict) -> None:
                    self._buffer.append(event)

                def _run(self) -> None:
                    while self._buffer:
                        self._buffer.popleft()
            """
        ),
    )
