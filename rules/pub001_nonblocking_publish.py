"""PUB001 — publish() is non-blocking.

What it checks: every publish method of the client (``publish``, ``track``, ``capture`` …)
and everything it calls, several calls deep through helper methods and module functions,
is searched for work that can block the caller's thread: ``time.sleep``, HTTP calls,
``.join()`` on a thread or queue, a blocking ``queue.put`` (without ``block=False``),
``Event.wait``, ``future.result()``, file ``open`` and ``subprocess`` calls. The finding
is reported at the blocking call and names the chain from ``publish()``.

Why it matters: a publisher is called on request paths. One slow DNS lookup or a full
queue inside ``publish()`` turns telemetry into an outage of the service it observes.
``publish()`` should validate (CPU only) and ``put_nowait`` — nothing else.

Fix: none automatic in general; move the work to the worker thread. A blocking
``put(item)`` is handled by PUB004's fix (``put_nowait``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from publisher_check.analysis.parts import blocking_calls, chain_text
from publisher_check.analysis.project import Publisher
from publisher_check.ftypes import Finding, Severity
from publisher_check.rule import Example, Rule


class NonBlockingPublish(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB001"
    check: ClassVar[str] = "Non-blocking design"
    severity: ClassVar[Severity] = Severity.CRITICAL

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        for found in blocking_calls(publisher):
            via = chain_text(found.publish, found.chain)
            conditions = [c for c in (*(hop.call.condition for hop in found.chain), found.call.condition) if c]
            when = f" when {conditions[0]} is set" if conditions else ""
            yield Finding(
                found.func.module.path,
                found.call.line,
                found.call.column,
                f"{found.publish.fact.name}() blocks on {found.reason}{when} (via {via})",
            )

    VALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    if not isinstance(event, dict):
                        raise TypeError("event must be a dict")
                    self._queue.put_nowait(event)
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
                    self._queue.put(self._stamp(event), block=False)

                def _stamp(self, event: dict) -> dict:
                    return {**event, "at": time.time()}
            """
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue
            import requests

            class Client:
                def __init__(self, url: str) -> None:
                    self._url = url
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    requests.post(self._url, json=event, timeout=5)  # expect: PUB001
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
                    self._enqueue(event)

                def _enqueue(self, event: dict) -> None:
                    _throttle()
                    self._queue.put_nowait(event)

            def _throttle() -> None:
                time.sleep(0.01)  # expect: PUB001
            """
        ),
    )
