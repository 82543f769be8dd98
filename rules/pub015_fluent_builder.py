"""PUB015 — the builder is fluent.

What it checks: a builder exists for the client (a class named ``*Builder``, or a class
whose ``build()`` constructs the client) and each of its public setters returns ``self``
on every path. A setter that returns nothing or something else is reported at its
``def``; a client with no builder at all is reported at the client class.

Why it matters: a fluent builder keeps a client's many settings readable
(``Client.builder().endpoint(url).retry(max_attempts=3).build()``) and validates them all
in one place, in ``build()``. A setter that returns ``None`` breaks the chain at run time.

Fix (safe): ``return self`` is appended to setters that have no ``return`` at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from publisher_check.ftypes import Finding, Severity
from publisher_check.parts import builders, is_setter
from publisher_check.project import Publisher
from publisher_check.rule import Example, Rule


class FluentBuilder(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB015"
    check: ClassVar[str] = "Fluent builder"
    severity: ClassVar[Severity] = Severity.LOW
    fixable: ClassVar[bool] = True

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        found = builders(publisher)
        if not found:
            for client in publisher.clients:
                yield self.at_client(
                    client, f"no builder found for {client.name} (looked for a *Builder class or a class whose build() makes the client)"
                )
            return
        for builder in found:
            for setter in publisher.project.own_methods(builder):
                if not is_setter(setter) or setter.fact.parent is not None:
                    continue
                returns = setter.fact.return_stmts
                if not returns or any(r.kind != "self" for r in returns):
                    yield self.at_function(
                        setter, f"builder setter {builder.fact.name}.{setter.fact.name}() does not return self, which breaks chaining"
                    )

    VALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue

            class Client:
                def __init__(self, endpoint: str, workers: int = 1) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

            class ClientBuilder:
                def __init__(self) -> None:
                    self._endpoint = ""
                    self._workers = 1

                def endpoint(self, url: str) -> "ClientBuilder":
                    self._endpoint = url
                    return self

                def workers(self, count: int) -> "ClientBuilder":
                    self._workers = count
                    return self

                def build(self) -> Client:
                    return Client(self._endpoint, workers=self._workers)
            """
        ),
        Example.of(
            """
            import queue

            class Client:
                def __init__(self, endpoint: str) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

            class Settings:
                def __init__(self) -> None:
                    self._endpoint = ""

                def endpoint(self, url: str) -> "Settings":
                    if not url:
                        raise ValueError("endpoint is empty")
                    self._endpoint = url
                    return self

                def build(self) -> Client:
                    return Client(self._endpoint)
            """
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue

            class Client:
                def __init__(self, endpoint: str) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

            class ClientBuilder:
                def __init__(self) -> None:
                    self._endpoint = ""

                def endpoint(self, url: str) -> None:  # expect: PUB015
                    self._endpoint = url

                def build(self) -> Client:
                    return Client(self._endpoint)
            """,
            fixed="""
            import queue

            class Client:
                def __init__(self, endpoint: str) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

            class ClientBuilder:
                def __init__(self) -> None:
                    self._endpoint = ""

                def endpoint(self, url: str) -> "ClientBuilder":  # expect: PUB015
                    self._endpoint = url
                    return self

                def build(self) -> Client:
                    return Client(self._endpoint)
            """,
        ),
        Example.of(
            """
            import queue

            class Client:  # expect: PUB015
                def __init__(self, endpoint: str) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """
        ),
    )
