"""PUB004 — a full queue raises ``queue.Full`` to the caller.

What it checks: on the enqueue path of ``publish()``: the put is non-blocking
(``put_nowait`` or ``put(..., block=False)``); no ``except queue.Full`` (or a broad
``except Exception``) around it swallows the error without re-raising; and the buffer is
not a ``deque(maxlen=…)``, which discards the oldest event without telling anyone.

Why it matters: a full queue means events are being lost. A blocking put stalls the
caller instead; a swallowed ``Full`` or a silently rotating deque loses events with no
trace. Raising lets the caller decide (count, shed load, fall back).

Fix (safe): a blocking ``put(item)`` (or ``put(item, block=True)``) becomes
``put_nowait(item)``. A put with a timeout is left alone (the author chose to wait that long),
and so are swallowing handlers and deques: the right reaction (re-raise, count, report) is
the author's call.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import libcst as cst

from publisher_check.analysis.parts import EnqueueSite, buffer_of, enqueue_sites, non_blocking_put
from publisher_check.analysis.project import Publisher
from publisher_check.fixes.codemods import FixTarget, is_literal
from publisher_check.ftypes import Finding, Severity, Violation
from publisher_check.rule import Example, Rule

_BROAD = ("Exception", "BaseException", "builtins.Exception", "builtins.BaseException")


class QueueFullRaises(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB004"
    check: ClassVar[str] = "Queue full raises"
    severity: ClassVar[Severity] = Severity.ERROR
    fixable: ClassVar[bool] = True

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        reported: set[tuple[str, int]] = set()

        def once(path: str, line: int) -> bool:
            if (path, line) in reported:
                return False
            reported.add((path, line))
            return True

        for site in enqueue_sites(publisher):
            buffer = buffer_of(publisher, site)
            call = site.call
            path = site.func.module.path
            if buffer.kind == "deque" and buffer.construction is not None and buffer.owner is not None:
                if (buffer.construction.keyword("maxlen") or len(buffer.construction.args) >= 2) and once(
                    str(buffer.owner.module.path), buffer.construction.line
                ):
                    yield Finding(
                        buffer.owner.module.path,
                        buffer.construction.line,
                        buffer.construction.column,
                        "deque(maxlen=…) silently discards the oldest event when full; raise queue.Full instead",
                    )
                continue
            if call.method == "put" and buffer.kind != "simple":  # SimpleQueue.put never waits
                if not non_blocking_put(call) and once(str(path), call.line):
                    yield Finding(path, call.line, call.column, f"{call.callee}() blocks when the queue is full; use put_nowait() so queue.Full reaches the caller")
                    continue
            if call.method not in ("put", "put_nowait"):
                continue
            for handler in site.handlers:
                catches_full = any(name.endswith(("Full", "FullError")) for name in handler.caught)  # a vendored queue's FullError too
                broad = any(name in _BROAD for name in handler.caught)
                if (catches_full or broad) and not handler.reraises:
                    what = "queue.Full" if catches_full else f"except {handler.caught[0]} (which includes queue.Full)"
                    handler_path = self._handler_path(site, handler.line)
                    if once(str(handler_path), handler.line):
                        yield Finding(handler_path, handler.line, handler.column, f"{what} is swallowed: a full queue must raise to the caller, not drop the event silently")
                    break

    def fix(self, violation: Violation, target: FixTarget) -> cst.Module | None:
        for call in target.nodes_at(violation, cst.Call):
            if not isinstance(call.func, cst.Attribute) or call.func.attr.value != "put":
                continue
            positional = [a for a in call.args if a.keyword is None]
            keywords = [a for a in call.args if a.keyword is not None]
            blocking = all(a.keyword is not None and a.keyword.value == "block" and is_literal(a.value, "True") for a in keywords)
            if len(positional) != 1 or positional[0].star or not blocking:
                return None
            item = positional[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            nowait = call.with_changes(func=call.func.with_changes(attr=cst.Name("put_nowait")), args=[item])
            return target.replace(call, nowait)
        return None

    @staticmethod
    def _handler_path(site: EnqueueSite, line: int) -> Path:
        """The file holding the except clause: the enqueue's own function or a caller up the chain."""
        if any(h.line == line for h in site.call.handlers):
            return site.func.module.path
        for hop in site.chain:
            if any(h.line == line for h in hop.call.handlers):
                return hop.caller.module.path
        return site.func.module.path

    VALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """
        ),
        Example.of(
            """
            import logging
            import queue

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    try:
                        self._queue.put(event, block=False)
                    except queue.Full:
                        logging.getLogger(__name__).warning("queue full")
                        raise
            """
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put(event)  # expect: PUB001, PUB004
            """,
            fixed="""
            import queue

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)  # expect: PUB001, PUB004
            """,
        ),
        Example.of(
            """
            import queue

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> bool:
                    try:
                        self._queue.put_nowait(event)
                    except queue.Full:  # expect: PUB004
                        return False
                    return True
            """
        ),
    )
