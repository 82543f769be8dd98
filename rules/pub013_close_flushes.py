"""PUB013 — ``close()`` flushes before it stops the workers.

What it checks: the client's close method (``close``, ``shutdown``, ``stop``, ``terminate`` or the names configured
in ``close-methods``) calls a flush method before its first stopping action — setting a
shutdown event, joining or stopping threads, cancelling, pausing, posting a sentinel or
closing the session — looking through the helpers it calls. Reported at the close ``def``,
or at the client class when there is no close method.

Why it matters: stopping the workers first abandons everything still queued. Those events
were accepted by ``publish()`` and are lost without a trace.

Fix (safe): ``self.flush()`` is inserted as the first statement of ``close()`` — after the
docstring and after leading ``if …: return`` guards — when the class itself defines a flush
method (``flush`` or ``flush-methods``). Parameters of close that flush also takes are passed
on by name (``close(timeout)`` calls ``self.flush(timeout=timeout)``), so a bounded close
stays bounded. A close that flushes too late keeps its later call too (flushing an empty
queue again returns at once). Not fixed: a client without a close method (what it must
stop is the author's call), a flush needing arguments close cannot supply, async methods.

A close that signals the worker and joins it, where the worker sends what is left after its
loop, passes: the join waits for that drain. So does posting a ``None`` sentinel on the queue
and joining the worker that stops at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from publisher_check.analysis.facts import CallFact
from publisher_check.analysis.parts import client_method
from publisher_check.analysis.project import Func, Publisher, matches
from publisher_check.fixes.codemods import (
    FixTarget,
    all_params,
    body_statements,
    docstring_length,
    returns_nothing,
    with_body,
)
from publisher_check.ftypes import Finding, Severity, Violation
from publisher_check.rule import Example, Rule

_STOPPING = frozenset({"set", "join", "cancel", "shutdown", "pause", "stop", "terminate", "kill", "close"})


def _sequence(publisher: Publisher, func: Func, flush_names: tuple[str, ...], depth: int = 6) -> list[CallFact]:
    """The calls ``func`` makes in source order, with project helpers expanded in place."""
    calls: list[CallFact] = []
    for call in sorted(func.fact.calls, key=lambda c: (c.line, c.column)):
        calls.append(call)
        if _is_timer(call):
            continue  # what stopping a periodic flush timer does inside is not the worker's stop
        if depth and not matches(call.method.lstrip("_"), flush_names):
            target = publisher.project.resolve_call(func, call)
            if target is not None and target.key != func.key:
                calls.extend(_sequence(publisher, target, flush_names, depth - 1))
    return calls


def _is_timer(call: CallFact) -> bool:
    """A call on the periodic flush timer: stopping it leaves the worker and the queue as they are."""
    return "timer" in call.receiver.rsplit(".", 1)[-1].lower()


def _is_stop(call: CallFact) -> bool:
    if call.method == "close" and call.receiver in ("self", ""):
        return False
    if _is_timer(call):
        return False
    if call.method in ("put", "put_nowait") and call.args[:1] == ("None",):
        return True
    # super().close() is expanded like any helper: the base class's own calls are judged.
    return call.method in _STOPPING and bool(call.receiver) and call.receiver not in ("self", "super()")


def _joins_a_draining_worker(publisher: Publisher, close: Func, sequence: list[CallFact]) -> bool:
    """``self._stop.set(); self._worker.join()`` where the worker sends what is left after its loop.

    That is a flush too (OpenTelemetry's BatchProcessor shuts down this way): the join
    waits for the drain.
    """
    project = publisher.project
    klass = project.class_of(close)
    if klass is None:
        return False
    joined = {c.receiver for c in sequence if c.method == "join" and c.receiver}
    for method in project.methods(klass).values():
        for call in method.fact.calls:
            target_text = call.keyword("target")
            if call.assigned_to not in joined or not target_text:
                continue
            worker = project.reference(method, target_text)
            loops = [c.line for c in worker.fact.calls if c.in_loop] if worker is not None else []
            if worker is not None and loops and any(
                not c.in_loop and c.line > min(loops) and project.resolve_call(worker, c) is not None
                for c in worker.fact.calls
            ):
                return True
    return False


def _sentinel_then_join(sequence: list[CallFact]) -> bool:
    """``queue.put(None)`` then ``worker.join()``: the worker handles every event queued before
    the sentinel, so the join waits for them (libhoney, ThreadPoolExecutor.shutdown)."""
    sentinel = next((i for i, c in enumerate(sequence) if c.method in ("put", "put_nowait") and c.args[:1] == ("None",)), None)
    return sentinel is not None and any(c.method == "join" and c.receiver for c in sequence[sentinel + 1 :])


def _is_guard(statement: cst.BaseStatement) -> bool:
    """``if self._closed: return`` — an early exit that tests state without calling anything."""
    if not isinstance(statement, cst.If) or statement.orelse is not None or _calls_anything(statement.test):
        return False
    body = statement.body
    if isinstance(body, cst.SimpleStatementSuite):
        smalls = list(body.body)
    elif len(body.body) == 1 and isinstance(body.body[0], cst.SimpleStatementLine):
        smalls = list(body.body[0].body)
    else:
        return False
    return len(smalls) == 1 and isinstance(smalls[0], cst.Return) and returns_nothing(smalls[0])


def _calls_anything(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Call) or any(_calls_anything(child) for child in node.children)


def _flush_call(close: cst.FunctionDef, flush: cst.FunctionDef) -> str | None:
    """``self.flush(timeout=timeout)``: close's same-named parameters passed on; None if flush needs more."""
    stars = (flush.params.star_arg, flush.params.star_kwarg)
    given = {p.name.value for p in all_params(close) if p not in (close.params.star_arg, close.params.star_kwarg)}
    passed: list[str] = []
    for param in list(all_params(flush))[1:]:
        name = param.name.value
        if param in stars:
            continue
        if param in flush.params.posonly_params:  # cannot be passed by name
            if param.default is None:
                return None
        elif name in given:
            passed.append(f"{name}={name}")
        elif param.default is None:
            return None
    return f"self.{flush.name.value}({', '.join(passed)})"


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
                    if not (_joins_a_draining_worker(publisher, close, sequence) or _sentinel_then_join(sequence)):
                        yield self.at_function(close, f"{close.fact.name}() never flushes: queued events are abandoned")
                elif stop_at is not None and stop_at < flush_at:
                    stop = sequence[stop_at]
                    yield self.at_function(
                        close, f"{close.fact.name}() stops workers ({stop.callee}() on line {stop.line}) before flushing"
                    )

    def fix(self, violation: Violation, target: FixTarget) -> cst.Module | None:
        close = target.node_at(violation, cst.FunctionDef)
        klass = target.owning_class(close) if close is not None else None
        if close is None or klass is None or close.asynchronous is not None or not body_statements(close):
            return None
        flush = next(
            (m for m in target.class_methods(klass) if matches(m.name.value.lstrip("_"), target.config.flush_methods)), None
        )
        call = _flush_call(close, flush) if flush is not None and flush.asynchronous is None else None
        if call is None:
            return None
        statements = list(body_statements(close))
        at = docstring_length(statements)
        while at < len(statements) and _is_guard(statements[at]):
            at += 1
        statements.insert(at, target.statement(call + "\n"))
        return target.replace(close, with_body(close, statements))

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
            """,
            fixed="""
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
                    self.flush()
            """,
        ),
    )
