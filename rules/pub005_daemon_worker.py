"""PUB005 — worker threads are daemon threads.

What it checks: every thread the publisher starts is a daemon: ``Thread(..., daemon=True)``,
``t.daemon = True`` or ``t.setDaemon(True)`` after construction, or for a ``Thread``
subclass ``super().__init__(daemon=True)``, ``Thread.__init__(self, daemon=True)``,
``self.daemon = True`` or ``daemon = True`` on the class. ``ThreadPoolExecutor`` threads
are reported too when they are the worker (the interpreter joins them at exit); an executor
beside a daemon worker thread (for callbacks, or fanning out sends) is not judged. A publisher with no worker thread at
all is reported at the client class.

Why it matters: the interpreter waits for every non-daemon thread before it exits. A worker
stuck in a retry against a dead collector then hangs deploys, CLI tools and test runs. The
publisher should flush for a bounded time at exit (atexit) and let daemon workers die.

Fix (safe): ``daemon=True`` is added to the ``threading.Thread(...)`` call, or to the
``super().__init__(...)`` / ``Thread.__init__(self, ...)`` call in a subclass's ``__init__``
(an explicit ``daemon=False``/``None`` becomes ``True``). Not fixed: calls passing
``**kwargs`` (they may already carry ``daemon``), a ``daemon=`` computed at run time,
``threading.Timer`` (its constructor takes no ``daemon``), subclasses without such an
``__init__`` call or deriving from ``Thread`` through another class, ``ThreadPoolExecutor``
(its threads cannot be made daemon) and a publisher without any worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from publisher_check.analysis.parts import thread_sites
from publisher_check.analysis.project import Publisher
from publisher_check.fixes.codemods import FixTarget, has_double_star, is_literal, keyword, set_keyword
from publisher_check.ftypes import Finding, Severity, Violation
from publisher_check.rule import Example, Rule


def _made_daemon(call: cst.Call, target: FixTarget) -> cst.Module | None:
    """The module with ``daemon=True`` in ``call``, unless the call hides or computes it."""
    existing = keyword(call, "daemon")
    if has_double_star(call) or (existing is not None and not is_literal(existing.value, "False", "None")):
        return None
    return target.replace(call, set_keyword(call, "daemon", cst.Name("True")))


def _thread_init_call(klass: cst.ClassDef, target: FixTarget) -> cst.Call | None:
    """The one ``super().__init__(...)`` / ``Thread.__init__(self, ...)`` statement of ``__init__``."""
    init = next((m for m in target.class_methods(klass) if m.name.value == "__init__"), None)
    if init is None or not isinstance(init.body, cst.IndentedBlock):
        return None
    found: list[cst.Call] = []
    for statement in init.body.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            call = small.value if isinstance(small, cst.Expr) else None
            if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute) or call.func.attr.value != "__init__":
                continue
            receiver = call.func.value
            is_super = isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Name) and receiver.func.value == "super"
            if is_super or target.resolve(receiver) == "threading.Thread":
                found.append(call)
    return found[0] if len(found) == 1 else None


class DaemonWorker(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB005"
    check: ClassVar[str] = "Daemon worker thread"
    severity: ClassVar[Severity] = Severity.ERROR
    fixable: ClassVar[bool] = True

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        sites = thread_sites(publisher)
        # Executor threads beside a daemon worker (callbacks, fan-out of sends) are not the worker:
        # whether they can hold up exit depends on what runs there, which is not decided here.
        daemon_worker = any(site.daemon and site.kind in ("thread", "subclass") for site in sites)
        for site in sites:
            if site.daemon or (site.kind == "executor" and daemon_worker):
                continue
            if site.kind == "subclass" and site.klass is not None:
                yield self.at_class(
                    site.klass,
                    f"thread class {site.klass.fact.name} is not a daemon: interpreter exit waits for it "
                    "(pass daemon=True to super().__init__ or set self.daemon = True)",
                )
            elif site.func is not None and site.call is not None:
                what = "ThreadPoolExecutor threads are joined at interpreter exit" if site.kind == "executor" else (
                    f"{site.call.callee}() is not a daemon thread: interpreter exit waits for it (pass daemon=True)"
                )
                yield Finding(site.func.module.path, site.call.line, site.call.column, what)
        if not any(site.kind in ("thread", "subclass") for site in sites):
            for client in publisher.clients:
                yield self.at_client(
                    client,
                    f"no worker thread found for {client.name} (looked for threading.Thread(...) calls and Thread subclasses)",
                )

    def fix(self, violation: Violation, target: FixTarget) -> cst.Module | None:
        call = next((c for c in target.nodes_at(violation, cst.Call) if target.resolve(c.func) == "threading.Thread"), None)
        if call is not None:
            return _made_daemon(call, target)
        klass = target.node_at(violation, cst.ClassDef)
        # Only a direct Thread subclass: a client class reported for having no worker must not be touched.
        if klass is None or not any(target.resolve(base.value) == "threading.Thread" for base in klass.bases):
            return None
        init_call = _thread_init_call(klass, target)
        return _made_daemon(init_call, target) if init_call is not None else None

    VALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue
            import threading

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._worker = threading.Thread(target=self._run, name="publisher", daemon=True)
                    self._worker.start()

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def _run(self) -> None:
                    while True:
                        self._queue.get()
                        self._queue.task_done()
            """
        ),
        Example.of(
            """
            import queue
            from threading import Thread

            class Worker(Thread):
                def __init__(self, events: "queue.Queue[dict]") -> None:
                    super().__init__(name="worker")
                    self.daemon = True
                    self.events = events

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._worker = Worker(self._queue)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
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
                    self._worker = threading.Thread(target=self._run)  # expect: PUB005
                    self._worker.start()

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def _run(self) -> None:
                    pass
            """,
            fixed="""
            import queue
            import threading

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._worker = threading.Thread(target=self._run, daemon=True)  # expect: PUB005
                    self._worker.start()

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def _run(self) -> None:
                    pass
            """,
        ),
        Example.of(
            """
            import queue
            from threading import Thread

            class Worker(Thread):  # expect: PUB005
                def __init__(self, events: "queue.Queue[dict]") -> None:
                    super().__init__(name="worker")
                    self.events = events

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._worker = Worker(self._queue)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """,
            fixed="""
            import queue
            from threading import Thread

            class Worker(Thread):  # expect: PUB005
                def __init__(self, events: "queue.Queue[dict]") -> None:
                    super().__init__(name="worker", daemon=True)
                    self.events = events

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._worker = Worker(self._queue)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """,
        ),
    )
