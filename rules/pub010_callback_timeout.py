"""PUB010 — error callbacks are timeout-protected.

What it checks: a user-supplied error callback (an attribute whose name contains
``callback``, or ``on_error``/``error_handler``/``on_failure``) is not called directly on the
delivery thread: it runs in a function handed to ``Thread(target=…)`` or
``executor.submit(…)``, and the thread that starts it does not wait for it without a
timeout (``join()``/``result()``/``wait()`` with no timeout, or ``concurrent.futures.wait([f])`` /
``asyncio.wait`` without one). The user's callable itself handed to ``submit()`` or
``Thread(target=…)`` counts, whatever it is called. A publisher without any error
callback is reported at the client class.

Why it matters: callbacks are user code — they page people, write to databases, call
Slack. A slow or hanging callback called inline stalls the worker, the queue fills, and
events are dropped because of an alerting hiccup.

Fix (safe): an untimed ``join()`` on the callback's thread becomes
``join(timeout=5.0)`` (``callback-timeout`` in ``[tool.publisher-check]``): the wait ends
after the timeout and the callback finishes on its own. Not fixed: ``future.result()``
(with a timeout it raises ``TimeoutError`` where it used to wait — the caller must handle
that), a callback called directly on the delivery thread (moving it into a helper run on a
daemon thread and waiting with ``join(timeout)``, as the reference's ``callbacks.py`` does,
restructures the code) and a publisher without an error callback (a design decision).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from publisher_check.analysis.parts import callback_calls, has_error_callback, untimed_callback_waits
from publisher_check.analysis.project import Publisher
from publisher_check.fixes.codemods import FixTarget, keyword_arg
from publisher_check.ftypes import Finding, Severity, Violation
from publisher_check.rule import Example, Rule


class CallbackTimeout(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB010"
    check: ClassVar[str] = "Error callbacks timeout-protected"
    severity: ClassVar[Severity] = Severity.WARN
    fixable: ClassVar[bool] = True

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        for found in callback_calls(publisher):
            yield Finding(
                found.func.module.path,
                found.call.line,
                found.call.column,
                f"{found.call.callee}() runs on the delivery thread with no timeout: a slow callback stalls delivery",
            )
        for func, call in untimed_callback_waits(publisher):
            yield Finding(func.module.path, call.line, call.column, f"{call.callee}() waits for the error callback without a timeout")
        if not has_error_callback(publisher):
            for client in publisher.clients:
                yield self.at_client(client, f"{client.name} offers no error callback (looked for parameters or attributes named *callback*, on_error)")

    def fix(self, violation: Violation, target: FixTarget) -> cst.Module | None:
        for call in target.nodes_at(violation, cst.Call):
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "join" and not call.args:
                timeout = cst.Float(repr(float(target.config.callback_timeout)))
                return target.replace(call, call.with_changes(args=[keyword_arg("timeout", timeout)]))
        return None

    VALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue
            import threading
            from collections.abc import Callable

            class Client:
                def __init__(self, error_callback: Callable[[Exception], None] | None = None) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._error_callback = error_callback

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def _report(self, error: Exception) -> None:
                    runner = threading.Thread(target=self._invoke, args=(error,), daemon=True)
                    runner.start()
                    runner.join(timeout=5.0)

                def _invoke(self, error: Exception) -> None:
                    if self._error_callback is not None:
                        self._error_callback(error)
            """
        ),
        Example.of(
            """
            import queue
            from collections.abc import Callable
            from concurrent.futures import Future, ThreadPoolExecutor

            class Client:
                def __init__(self, on_error: Callable[[Exception], None], pool: ThreadPoolExecutor) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self.on_error = on_error
                    self._pool = pool

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def _report(self, error: Exception) -> None:
                    future: Future[None] = self._pool.submit(lambda: self.on_error(error))
                    future.result(timeout=5.0)
            """
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue
            from collections.abc import Callable

            class Client:
                def __init__(self, error_callback: Callable[[Exception], None]) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._error_callback = error_callback

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def _report(self, error: Exception) -> None:
                    self._error_callback(error)  # expect: PUB010
            """
        ),
        Example.of(
            """
            import queue

            class Client:  # expect: PUB010
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """
        ),
        Example.of(
            """
            import queue
            import threading
            from collections.abc import Callable

            class Client:
                def __init__(self, error_callback: Callable[[Exception], None]) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._error_callback = error_callback

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def _report(self, error: Exception) -> None:
                    runner = threading.Thread(target=self._invoke, args=(error,), daemon=True)
                    runner.start()
                    runner.join()  # expect: PUB010

                def _invoke(self, error: Exception) -> None:
                    self._error_callback(error)
            """,
            fixed="""
            import queue
            import threading
            from collections.abc import Callable

            class Client:
                def __init__(self, error_callback: Callable[[Exception], None]) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._error_callback = error_callback

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def _report(self, error: Exception) -> None:
                    runner = threading.Thread(target=self._invoke, args=(error,), daemon=True)
                    runner.start()
                    runner.join(timeout=5.0)  # expect: PUB010

                def _invoke(self, error: Exception) -> None:
                    self._error_callback(error)
            """,
        ),
    )
