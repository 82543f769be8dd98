"""PUB011 — the client is a context manager.

What it checks: the client class (or a project base class) defines both ``__enter__`` and
``__exit__``. Reported at the client class.

Why it matters: ``with Client(...) as client:`` guarantees flush and close on every exit
path, exceptions included — the most common way events get lost is a script that ends
before the worker sent them.

Fix (safe): ``__enter__`` returning ``self`` and ``__exit__`` calling ``self.close()`` are
added to the class when it has a ``close()`` method.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from publisher_check.ftypes import Finding, Severity
from publisher_check.project import Publisher
from publisher_check.rule import Example, Rule


class ContextManager(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB011"
    check: ClassVar[str] = "Context manager"
    severity: ClassVar[Severity] = Severity.WARN
    fixable: ClassVar[bool] = True

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        for client in publisher.clients:
            methods = publisher.project.methods(client.klass)
            missing = [name for name in ("__enter__", "__exit__") if name not in methods]
            if missing:
                yield self.at_client(
                    client, f"{client.name} is not a context manager: {' and '.join(missing)} missing (exit should flush and close)"
                )

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
