"""PUB013 — ``close()`` flushes before it stops the workers.

What it checks: the client's close method (``close``, ``shutdown`` or the names configured
in ``close-methods``) calls a flush method before its first stopping action — setting a
shutdown event, joining or stopping threads, cancelling, pausing, posting a sentinel or
closing the session — looking through the helpers it calls. Reported at the close ``def``,
or at the client class when there is no close method.

Why it matters: stopping the workers first abandons everything still queued. Those events
were accepted by ``publish()`` and are lost without a trace.

Fix (safe): ``self.flush()`` is inserted as the first statement of ``close()`` (after the
docstring) when the class has a ``flush()`` method.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from publisher_check.facts import CallFact
from publisher_check.ftypes import Finding, Severity
from publisher_check.parts import client_method
from publisher_check.project import Func, Publisher, matches
from publisher_check.rule import Example, Rule

_STOPPING = frozenset({"set", "join", "cancel", "shutdown", "pause", "stop", "terminate", "kill", "close"})


def _sequence(publisher: Publisher, func: Func, flush_names: tuple[str, ...], depth: int = 3) -> list[CallFact]:
    """The calls ``func`` makes in source order, with project helpers expanded in place."""
    calls: list[CallFact] = []
    for call in sorted(func.fact.calls, key=lambda c: (c.line, c.column)):
        calls.append(call)
        if depth and not matches(call.method.lstrip("_"), flush_names):
            target = publisher.project.resolve_call(func, call)
            if target is not None and target.key != func.key:
                calls.extend(_sequence(publisher, target, flush_names, depth - 1))
    return calls


def _is_stop(call: CallFact) -> bool:
    if call.method == "close" and call.receiver in ("self", ""):
        return False
    if call.method in ("put", "put_nowait") and call.args[:1] == ("None",):
        return True
    return call.method in _STOPPING and bool(call.receiver) and call.receiver != "self"


class CloseFlushes(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB013"
    check: ClassVar[str] = "close() calls flush() first"
    severity: ClassVar[Severity] = Severity.CRITICAL
    fixable: ClassVar[bool] = True

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        flush_names = publisher.config.flush_methods
        for client in publisher.clients:
            closes = client_method(publisher, client, publisher.config.close_methods)
            if not closes:
                names = ", ".join(publisher.config.close_methods)
                yield self.at_client(client, f"{client.name} has no close method (looked for: {names})")
                continue
            for close in closes:
                sequence = _sequence(publisher, close, flush_names)
                flush_at = next((i for i, c in enumerate(sequence) if matches(c.method.lstrip("_"), flush_names)), None)
                stop_at = next((i for i, c in enumerate(sequence) if _is_stop(c)), None)
                if flush_at is None:
                    yield self.at_function(close, f"{close.fact.name}() never flushes: queued events are abandoned")
                elif stop_at is not None and stop_at < flush_at:
                    stop = sequence[stop_at]
                    yield self.at_function(
                        close, f"{close.fact.name}() stops workers ({stop.callee}() on line {stop.line}) before flushing"
                    )

    VALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue
            import threading

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._stop = threading.Event()

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def flush(self) -> None:
                    self._queue.join()

                def close(self) -> None:
                    self.flush()
                    self._stop.set()
            """
        ),
        Example.of(
            """
            import queue
            import threading

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._stop = threading.Event()

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def flush(self) -> None:
                    self._queue.join()

                def shutdown(self) -> None:
                    self._drain_then_stop()

                def _drain_then_stop(self) -> None:
                    self.flush()
                    self._stop.set()
            """
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue
            import threading

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._stop = threading.Event()

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def flush(self) -> None:
                    self._queue.join()

                def close(self) -> None:  # expect: PUB013
                    self._stop.set()
            """,
            fixed='''
            import queue
            import threading

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._stop = threading.Event()

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def flush(self) -> None:
                    self._queue.join()

                def close(self) -> None:  # expect: PUB013
                    self.flush()
                    self._stop.set()
            ''',
        ),
        Example.of(
            """
            import queue
            import threading

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._stop = threading.Event()

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def flush(self) -> None:
                    self._queue.join()

                def close(self) -> None:  # expect: PUB013
                    self._stop.set()
                    self.flush()
            """
        ),
    )
