"""PUB012 — ``flush()`` waits with ``queue.join()``.

What it checks: the client has a flush method (``flush`` or the names configured in
``flush-methods``) and it reaches ``queue.join()`` — directly or through helpers — or waits
on the queue's ``all_tasks_done`` condition / ``unfinished_tasks`` (the bounded-time form
of ``join``). Reported at the flush ``def``, or at the client class when there is no flush.

Why it matters: ``join()`` returns when every queued event has been *processed*
(``task_done``), not merely dequeued. Flushes that poll ``qsize()`` or sleep a fixed time
return while the last batch is still in flight, and the process exits without it.

Fix (safe): when ``flush()`` has no ``join``, ``self.<queue>.join()`` is appended to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from publisher_check.ftypes import Finding, Severity
from publisher_check.parts import client_method
from publisher_check.project import QUEUE_TYPES, Func, Publisher
from publisher_check.rule import Example, Rule


def waits_on_queue(publisher: Publisher, flush: Func) -> bool:
    project = publisher.project
    for func, _chain in project.walk(flush, max_depth=5):
        if func.fact.attributes & {"all_tasks_done", "unfinished_tasks"}:
            return True
        for call in func.fact.calls:
            if call.method != "join" or not call.receiver or call.args:
                continue
            kind = project.receiver_type(func, call.receiver)
            if kind in QUEUE_TYPES or "queue" in call.receiver.lower():
                return True
    return False


class FlushJoins(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB012"
    check: ClassVar[str] = "flush() uses queue.join()"
    severity: ClassVar[Severity] = Severity.ERROR
    fixable: ClassVar[bool] = True

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        for client in publisher.clients:
            flushes = client_method(publisher, client, publisher.config.flush_methods)
            if not flushes:
                names = ", ".join(publisher.config.flush_methods)
                yield self.at_client(client, f"{client.name} has no flush method (looked for: {names})")
                continue
            for flush in flushes:
                if not waits_on_queue(publisher, flush):
                    yield self.at_function(
                        flush, f"{flush.fact.name}() does not wait with queue.join(): it can return before events are delivered"
                    )

    VALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def flush(self) -> None:
                    self._queue.join()
            """
        ),
        Example.of(
            """
            import queue
            import time

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def flush(self, timeout: float) -> bool:
                    deadline = time.monotonic() + timeout
                    with self._queue.all_tasks_done:
                        while self._queue.unfinished_tasks:
                            remaining = deadline - time.monotonic()
                            if remaining <= 0:
                                return False
                            self._queue.all_tasks_done.wait(remaining)
                    return True
            """
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue
            import time

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def flush(self) -> None:  # expect: PUB012
                    while not self._queue.empty():
                        time.sleep(0.1)
            """,
            fixed="""
            import queue
            import time

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def flush(self) -> None:  # expect: PUB012
                    while not self._queue.empty():
                        time.sleep(0.1)
                    self._queue.join()
            """,
        ),
        Example.of(
            """
            import queue

            class Client:  # expect: PUB012
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """
        ),
    )
