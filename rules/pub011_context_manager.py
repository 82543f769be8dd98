"""PUB011 — the client is a context manager.

What it checks: the client class (or a project base class) defines both ``__enter__`` and
``__exit__``. Reported at the client class. A ``logging.Handler`` subclass is not asked: the logging module drives its lifecycle
(``logging.shutdown`` flushes and closes every handler at exit).

Why it matters: ``with Client(...) as client:`` guarantees flush and close on every exit
path, exceptions included — the most common way events get lost is a script that ends
before the worker sent them.

Fix (safe): the missing ones of ``__enter__`` (returning ``self``) and ``__exit__`` (calling
``self.close()``) are added at the end of the class, when the class itself defines a close
method (``close``, ``shutdown`` or ``close-methods``) that can be called without arguments
and is not ``async``. Otherwise what ``__exit__`` should call is the author's decision.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from publisher_check.analysis.project import Publisher, is_logging_handler, matches
from publisher_check.fixes.codemods import (
    FixTarget,
    blank_line_before,
    body_statements,
    callable_without_arguments,
    with_body,
)
from publisher_check.ftypes import Finding, Severity, Violation
from publisher_check.rule import Example, Rule

_MISSING = re.compile(r"not a context manager: (.+) missing")


class ContextManager(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB011"
    check: ClassVar[str] = "Context manager"
    severity: ClassVar[Severity] = Severity.WARN
    fixable: ClassVar[bool] = True

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        for client in publisher.clients:
            if is_logging_handler(publisher.project, client.klass):
                continue  # logging.shutdown() flushes and closes it; nobody writes "with handler:"
            methods = publisher.project.methods(client.klass)
            missing = [name for name in ("__enter__", "__exit__") if name not in methods]
            if missing:
                yield self.at_client(
                    client, f"{client.name} is not a context manager: {' and '.join(missing)} missing (exit should flush and close)"
                )

    def fix(self, violation: Violation, target: FixTarget) -> cst.Module | None:
        klass = target.node_at(violation, cst.ClassDef)
        named = _MISSING.search(violation.message)
        if klass is None or named is None or not isinstance(klass.body, cst.IndentedBlock):
            return None
        # The message names what neither the class nor its project bases define.
        missing = named.group(1).split(" and ")
        methods = target.class_methods(klass)
        close = next(
            (m for m in methods if matches(m.name.value, target.config.close_methods) and m.asynchronous is None), None
        )
        if close is None or not callable_without_arguments(close):
            return None
        added: list[cst.BaseStatement] = []
        if "__enter__" in missing:
            added.append(target.statement(f'def __enter__(self) -> "{klass.name.value}":\n    return self\n'))
        if "__exit__" in missing:
            added.append(target.statement(f"def __exit__(self, *exc: object) -> None:\n    self.{close.name.value}()\n"))
        return target.replace(klass, with_body(klass, [*body_statements(klass), *map(blank_line_before, added)]))

    VALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue
            from typing import Self

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def close(self) -> None:
                    self._queue.join()

                def __enter__(self) -> Self:
                    return self

                def __exit__(self, *exc: object) -> None:
                    self.close()
            """
        ),
        Example.of(
            """
            import queue
            from typing import Self

            class Closing:
                def __enter__(self) -> Self:
                    return self

                def __exit__(self, *exc: object) -> None:
                    pass

            class Client(Closing):
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

            class Client:  # expect: PUB011
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def close(self) -> None:
                    self._queue.join()
            """,
            fixed="""
            import queue

            class Client:  # expect: PUB011
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def close(self) -> None:
                    self._queue.join()

                def __enter__(self) -> "Client":
                    return self

                def __exit__(self, *exc: object) -> None:
                    self.close()
            """,
        ),
        Example.of(
            """
            import queue

            class Client:  # expect: PUB011
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def __enter__(self) -> "Client":
                    return self
            """
        ),
    )
