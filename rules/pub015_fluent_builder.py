"""PUB015 — the builder is fluent.

What it checks: a builder exists for the client (a class named ``*Builder``, or a class
whose ``build()`` constructs the client) and each of its public setters returns ``self``
on every path. A setter that returns nothing or something else is reported at its
``def``; a client with no builder at all is reported at the client class, unless the client
itself is configured fluently (a public method that returns ``self``, as in ``client.add(plugin)``). A ``logging.Handler`` subclass without a builder is not reported: logging configuration
(``dictConfig``, ``fileConfig``) builds it.

Why it matters: a fluent builder keeps a client's many settings readable
(``Client.builder().endpoint(url).retry(max_attempts=3).build()``) and validates them all
in one place, in ``build()``. A setter that returns ``None`` breaks the chain at run time.

Fix (safe): in a setter that returns nothing (no ``return``, or only bare ``return`` /
``return None``), each such return becomes ``return self`` and ``return self`` is appended
unless the body already ends with a return or raise; a ``-> None`` annotation becomes the
builder's name (``-> "ClientBuilder"``). Not fixed: setters returning a value (what the
value means is the author's call), generators, setters annotated with another type, and a
client without any builder (designing one is not a fix).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from publisher_check.analysis.parts import builders, is_fluent_return, is_setter
from publisher_check.analysis.project import Func, Klass, Publisher, is_logging_handler
from publisher_check.fixes.codemods import (
    FixTarget,
    body_statements,
    dotted,
    is_literal,
    own_scope,
    returns_nothing,
    with_body,
)
from publisher_check.ftypes import Finding, Severity, Violation
from publisher_check.rule import Example, Rule


class _ReturnSelf(cst.CSTTransformer):
    """``return`` / ``return None`` -> ``return self`` for the given (own-scope) return nodes."""

    def __init__(self, returns: list[cst.Return]) -> None:
        super().__init__()
        self.returns = returns

    def leave_Return(self, original_node: cst.Return, updated_node: cst.Return) -> cst.Return:
        if any(original_node is r for r in self.returns):
            return updated_node.with_changes(value=cst.Name("self"), whitespace_after_return=cst.SimpleWhitespace(" "))
        return updated_node


def _chains(annotation: cst.Annotation | None, builder: str) -> bool | None:
    """True if the return annotation already names the builder, False if it is ``None``
    (to be replaced), None if it names something else (not ours to change)."""
    if annotation is None:
        return True
    value = annotation.annotation
    if is_literal(value, "None"):
        return False
    if isinstance(value, cst.SimpleString) and value.evaluated_value in (builder, "Self"):
        return True
    name = dotted(value)
    if name is not None and name.rsplit(".", 1)[-1] in (builder, "Self"):
        return True
    return None


def _fluent_methods(publisher: Publisher, klass: Klass) -> list[Func]:
    """Public methods of ``klass`` that return ``self`` on every path: a fluent API without a builder."""
    return [
        method
        for method in publisher.project.methods(klass).values()
        if not method.fact.name.startswith("_")
        and method.fact.return_stmts
        and all(r.kind == "self" for r in method.fact.return_stmts)
    ]


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
                if is_logging_handler(publisher.project, client.klass):
                    continue  # built by logging configuration (dictConfig, fileConfig), not by user code
                if _fluent_methods(publisher, client.klass):
                    continue  # configured through chained calls on the client itself (client.add(p).add(q))
                yield self.at_client(
                    client, f"no builder found for {client.name} (looked for a *Builder class or a class whose build() makes the client)"
                )
            return
        for builder in found:
            for setter in publisher.project.own_methods(builder):
                if not is_setter(setter) or setter.fact.parent is not None:
                    continue
                returns = setter.fact.return_stmts
                if not returns or not all(is_fluent_return(builder, r.value, r.kind) for r in returns):
                    yield self.at_function(
                        setter, f"builder setter {builder.fact.name}.{setter.fact.name}() does not return self, which breaks chaining"
                    )

    def fix(self, violation: Violation, target: FixTarget) -> cst.Module | None:
        setter = target.node_at(violation, cst.FunctionDef)
        builder = target.owning_class(setter) if setter is not None else None
        if setter is None or builder is None or not body_statements(setter) or setter.asynchronous is not None:
            return None
        scope = own_scope(setter)
        chains = _chains(setter.returns, builder.name.value)
        if scope.yields or chains is None or not all(returns_nothing(r) for r in scope.returns):
            return None
        fixed = setter.visit(_ReturnSelf(scope.returns))
        assert isinstance(fixed, cst.FunctionDef)
        statements = list(body_statements(fixed))
        last = statements[-1]
        ends = isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], (cst.Return, cst.Raise))
        if not ends:
            statements.append(target.statement("return self\n"))
        fixed = with_body(fixed, statements)
        if chains is False and fixed.returns is not None:  # -> None
            named = fixed.returns.with_changes(annotation=cst.SimpleString(f'"{builder.name.value}"'))
            fixed = fixed.with_changes(returns=named)
        return target.replace(setter, fixed)

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
