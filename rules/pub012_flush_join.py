"""PUB012 — ``flush()`` waits with ``queue.join()``.

What it checks: the client has a flush method (``flush`` or the names configured in
``flush-methods``) and it reaches ``queue.join()`` — directly or through helpers — or waits
on the queue's ``all_tasks_done`` condition / ``unfinished_tasks`` (the bounded-time form
of ``join``). Reported at the flush ``def``, or at the client class when there is no flush.

Why it matters: ``join()`` returns when every queued event has been *processed*
(``task_done``), not merely dequeued. Flushes that poll ``qsize()`` or sleep a fixed time
return while the last batch is still in flight, and the process exits without it.

Fix (unsafe): ``self.<queue>.join()`` is appended to ``flush()`` (before a final ``return``),
when flush takes no arguments and the class puts into exactly one ``self.<queue>``. Unsafe
because ``join()`` waits forever unless the worker calls ``task_done()`` for every event it
takes, and without a bound: review the worker loop before accepting it. A flush with a
timeout parameter is not fixed: honouring the timeout needs the ``all_tasks_done`` loop
(see the second valid example), which is the author's to write.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from publisher_check.analysis.parts import client_method
from publisher_check.analysis.project import QUEUE_TYPES, Func, Publisher
from publisher_check.fixes.codemods import FixTarget, all_params, body_statements, dotted, with_body
from publisher_check.ftypes import Finding, Severity, Violation
from publisher_check.rule import Example, FixSafety, Rule


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


class _QueueAttributes(cst.CSTVisitor):
    """``self.X`` receivers of ``put``/``put_nowait`` calls and ``self.X = queue.Queue(...)`` targets."""

    def __init__(self, target: FixTarget) -> None:
        super().__init__()
        self.target = target
        self.found: set[str] = set()

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("put", "put_nowait"):
            self._add(node.func.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call) and self.target.resolve(node.value.func) in QUEUE_TYPES:
            for target in node.targets:
                self._add(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.value, cst.Call) and self.target.resolve(node.value.func) in QUEUE_TYPES:
            self._add(node.target)

    def _add(self, expr: cst.BaseExpression) -> None:
        name = dotted(expr)
        if name is not None and name.startswith("self.") and name.count(".") == 1:
            self.found.add(name)


class FlushJoins(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB012"
    check: ClassVar[str] = "flush() uses queue.join()"
    severity: ClassVar[Severity] = Severity.ERROR
    fixable: ClassVar[bool] = True
    fix_safety: ClassVar[FixSafety] = "unsafe"

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

    def fix(self, violation: Violation, target: FixTarget) -> cst.Module | None:
        flush = target.node_at(violation, cst.FunctionDef)
        klass = target.owning_class(flush) if flush is not None else None
        statements = body_statements(flush) if flush is not None else ()
        if flush is None or klass is None or not statements or flush.asynchronous is not None:
            return None
        if len(list(all_params(flush))) != 1:
            return None  # only flush(self): a timeout or other parameter must keep its meaning
        scan = _QueueAttributes(target)
        klass.visit(scan)
        if len(scan.found) != 1:
            return None
        join = target.statement(f"{scan.found.pop()}.join()\n")
        last = statements[-1]
        if isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], cst.Return):
            if len(last.body) != 1:
                return None  # "x = 1; return x" on one line: leave it to a person
            updated = [*statements[:-1], join, last]
        else:
            updated = [*statements, join]
        return target.replace(flush, with_body(flush, updated))

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
