"""PUB017 — type hints throughout.

What it checks: every function in a module that holds publisher parts (and every method of
the data models they use) annotates each parameter — ``self``/``cls`` excepted, ``*args`` and
``**kwargs`` included — and its return type (as with mypy, an ``__init__`` whose parameters are
all annotated may leave out ``-> None``; one without parameters may not). One
finding per function, at its ``def``, naming what is missing.

Why it matters: publishers are copied between projects and called from everywhere; the
signatures are their contract. Type checkers catch a wrong event type or a ``None``
callback before production does, and an agent extending the code reads intent from them.

Fix (safe): ``-> None`` is added when the return type is the only hint missing and the
function never returns a value, is not a generator and is not a stub (a body of only
``...``/``pass``/``raise NotImplementedError`` is an interface whose overrides may return
something). Parameter annotations need a human: a default value does not tell the intended
type (``timeout=5`` may well mean ``float``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from publisher_check.analysis.facts import FunctionFact
from publisher_check.analysis.parts import model_classes, part_modules
from publisher_check.analysis.project import Func, Publisher
from publisher_check.fixes.codemods import FixTarget, all_params, is_static, is_stub, own_scope, returns_nothing
from publisher_check.ftypes import Finding, Severity, Violation
from publisher_check.rule import Example, Rule


def missing_hints(fn: FunctionFact) -> list[str]:
    params = list(fn.params)
    if fn.class_name is not None and fn.parent is None and params and "staticmethod" not in {d.name for d in fn.decorators}:
        params = params[1:]
    missing = [f"parameter {p.star}{p.name}" for p in params if p.annotation is None]
    # Like mypy: an __init__ whose parameters are all annotated is typed; its "-> None" is implied.
    implied_none = fn.name == "__init__" and bool(params) and not missing
    if fn.returns is None and not implied_none:
        missing.append("return type")
    return missing


class TypeHints(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB017"
    check: ClassVar[str] = "Type hints throughout"
    severity: ClassVar[Severity] = Severity.LOW
    fixable: ClassVar[bool] = True

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        seen: set[tuple[str, str]] = set()
        functions: list[Func] = [Func(m, fn) for m in part_modules(publisher).values() for fn in m.functions]
        for model in model_classes(publisher):
            functions.extend(publisher.project.own_methods(model))
        for func in functions:
            if func.key in seen:
                continue
            seen.add(func.key)
            missing = missing_hints(func.fact)
            if missing:
                yield self.at_function(func, f"{func.fact.qualname}() lacks type hints: {', '.join(missing)}")

    def fix(self, violation: Violation, target: FixTarget) -> cst.Module | None:
        func = target.node_at(violation, cst.FunctionDef)
        if func is None or func.returns is not None or is_stub(func):
            return None
        params = list(all_params(func))
        if target.owning_class(func) is not None and not is_static(func):
            params = params[1:]  # self / cls
        if any(p.annotation is None for p in params):
            return None  # checked before the body is walked: most unhinted functions stop here
        scope = own_scope(func)
        if scope.yields or not all(returns_nothing(r) for r in scope.returns):
            return None
        return target.replace(func, func.with_changes(returns=cst.Annotation(cst.Name("None"))))

    VALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue
            from typing import Any

            class Client:
                def __init__(self, size: int = 100) -> None:
                    self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=size)

                def publish(self, event: dict[str, Any], *tags: str, **extra: Any) -> None:
                    self._queue.put_nowait({**event, **extra})

                @staticmethod
                def describe(size: int) -> str:
                    return f"queue of {size}"
            """
        ),
        Example(
            {
                "client.py": (
                    "import queue\n\n\nclass Client:\n    def __init__(self) -> None:\n"
                    "        self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)\n\n"
                    "    def publish(self, event: dict) -> None:\n        self._queue.put_nowait(event)\n"
                ),
                "unrelated.py": "def helper(x, y):\n    return x + y\n",
            }
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue

            class Client:
                def __init__(self):  # expect: PUB017
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """,
            fixed="""
            import queue

            class Client:
                def __init__(self) -> None:  # expect: PUB017
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """,
        ),
        Example.of(
            """
            import queue

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

                def publish(self, event, *tags):  # expect: PUB017
                    self._queue.put_nowait(_stamp(event))

            def _stamp(event):  # expect: PUB017
                return dict(event)
            """
        ),
    )
