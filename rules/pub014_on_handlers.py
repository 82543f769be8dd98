"""PUB014 — delivery events are observable through ``on()``.

What it checks: the client (or a project base class) has an ``on(event_name, handler)``
method (or one of the names configured in ``handler-methods``). Reported at the client
class.

Why it matters: operators need to see outcomes — sent, retried, rate limited, dropped —
to build metrics and alerts. Without a registration point every team patches the client
or parses its logs.

Fix: none automatic — the set of events and where they are emitted is a design decision.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from publisher_check.analysis.parts import client_method
from publisher_check.analysis.project import Publisher
from publisher_check.ftypes import Finding, Severity
from publisher_check.rule import Example, Rule


class EventHandlers(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB014"
    check: ClassVar[str] = "Event handlers via on()"
    severity: ClassVar[Severity] = Severity.LOW

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        for client in publisher.clients:
            if not client_method(publisher, client, publisher.config.handler_methods):
                names = ", ".join(publisher.config.handler_methods)
                yield self.at_client(client, f"{client.name} has no handler registration method (looked for: {names})")

    VALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue
            from collections.abc import Callable

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._handlers: dict[str, list[Callable[[dict], None]]] = {}

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def on(self, event_name: str, handler: Callable[[dict], None]) -> None:
                    self._handlers.setdefault(event_name, []).append(handler)
            """
        ),
        Example.of(
            """
            import queue
            from collections.abc import Callable

            class Observable:
                def on(self, event_name: str, handler: Callable[[dict], None]) -> None:
                    pass

            class Client(Observable):
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue

            class Client:  # expect: PUB014
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """
        ),
        Example.of(
            """
            import queue
            from collections.abc import Callable

            class Client:  # expect: PUB014
                def __init__(self, on_sent: Callable[[dict], None]) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._on_sent = on_sent

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """
        ),
    )
