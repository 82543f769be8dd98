"""PUB016 — data models are immutable dataclasses.

What it checks: every dataclass (``@dataclass``, ``@dataclasses.dataclass``, attrs
``@attr.s``/``@define``) in a module that holds publisher parts, and every one such a
module imports from the project, is frozen (``frozen=True``, or attrs ``@frozen``).
Reported at the decorator. A plain class (no dataclass, no library base) whose instances are the
events — what the buffer receives from the caller, what a publish method takes and hands on,
or an object built on the way and handed to the transport — is reported at its ``class`` line
when its own code (a method other than ``__init__``, of it, a base or a subclass) changes an
instance; a private, never-changed holder passes. A client with no publish method taking a frozen model whose publish method
puts the caller's own objects into the dict literal it hands on (``msg = {"traits": traits};
self._enqueue(msg)``) is reported at that literal; a dict of copies is private and passes.

Why it matters: an event object is shared between the caller's thread and the worker. If the
caller mutates it after ``publish()``, the worker sends something nobody published — a
data race that shows up as corrupted audit records. Frozen models make that impossible.

Fix (unsafe): ``frozen=True`` is added to the decorator (``@dataclass`` becomes
``@dataclass(frozen=True)``, ``frozen=False`` becomes ``frozen=True``). Unsafe because code
elsewhere may assign to fields (``FrozenInstanceError`` at run time) and a frozen dataclass
cannot inherit from, or be inherited by, a non-frozen one (``TypeError`` at import) — none
of which ``compile()`` can see; review it and run the tests. Not fixed: classes whose own
methods assign ``self.<attr>`` (they would fail at once).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from publisher_check.analysis.parts import (
    changes_after_construction,
    dict_events,
    model_classes,
    model_decorator,
    mutable_event_classes,
)
from publisher_check.analysis.project import Publisher
from publisher_check.fixes.codemods import FixTarget, own_scope, set_keyword
from publisher_check.ftypes import Finding, Severity, Violation
from publisher_check.rule import Example, FixSafety, Rule


class FrozenModels(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB016"
    check: ClassVar[str] = "Immutable data models"
    severity: ClassVar[Severity] = Severity.LOW
    fixable: ClassVar[bool] = True
    fix_safety: ClassVar[FixSafety] = "unsafe"

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        models = model_classes(publisher)
        for klass in models:
            decorator = model_decorator(klass)
            if decorator is None or decorator.keyword("frozen") == "True":
                continue
            yield Finding(
                klass.module.path,
                decorator.line,
                decorator.column,
                f"data model {klass.fact.name} is mutable: declare it with frozen=True",
            )
        for klass in mutable_event_classes(publisher):
            changer = changes_after_construction(publisher.project, klass)
            where = f"{changer.fact.qualname}() at {changer.module.path.name}:{changer.fact.line}" if changer else "its methods"
            yield Finding(
                klass.module.path,
                klass.fact.line,
                klass.fact.column,
                f"event class {klass.fact.name} is mutable ({where} changes an instance): a change after it is handed to"
                " the publisher races the worker that sends it (make it a @dataclass(frozen=True))",
            )
        for func, line, column, name in dict_events(publisher):
            yield Finding(
                func.module.path,
                line,
                column,
                f"{func.fact.name}() puts the caller's objects into the plain dict {name} it queues: the caller and the"
                " worker share them, so a later change by the caller alters what is sent (use a frozen dataclass)",
            )
            return

    def fix(self, violation: Violation, target: FixTarget) -> cst.Module | None:
        decorator = target.node_at(violation, cst.Decorator)
        klass = target.parent(decorator) if decorator is not None else None
        if decorator is None or not isinstance(klass, cst.ClassDef):
            return None
        if any(own_scope(method).self_assignments for method in target.class_methods(klass)):
            return None
        expr = decorator.decorator
        call = expr if isinstance(expr, cst.Call) else cst.Call(func=expr)
        return target.replace(decorator, decorator.with_changes(decorator=set_keyword(call, "frozen", cst.Name("True"))))

    VALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue
            from dataclasses import dataclass

            @dataclass(frozen=True)
            class Event:
                name: str

            class Entry:  # a private holder the client builds and never changes
                __slots__ = ("event",)

                def __init__(self, event: Event) -> None:
                    self.event = event

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[Entry] = queue.Queue(maxsize=100)

                def publish(self, event: Event) -> None:
                    self._queue.put_nowait(Entry(event))
            """
        ),
        Example.of(
            """
            import queue
            from dataclasses import dataclass

            @dataclass(frozen=True, slots=True)
            class Event:
                name: str

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[Event] = queue.Queue(maxsize=100)

                def publish(self, event: Event) -> None:
                    self._queue.put_nowait(event)
            """
        ),
        Example(
            {
                "models.py": "import dataclasses\n\n\n@dataclasses.dataclass(frozen=True)\nclass Event:\n    name: str\n",
                "client.py": (
                    "import queue\n\nfrom models import Event\n\n\nclass Client:\n"
                    "    def __init__(self) -> None:\n        self._queue: queue.Queue[Event] = queue.Queue(maxsize=100)\n\n"
                    "    def publish(self, event: Event) -> None:\n        self._queue.put_nowait(event)\n"
                ),
            }
        ),
        Example.of(
            """
            import queue
            from typing import Any

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=100)

                def track(self, name: str, properties: dict[str, Any] | None = None) -> None:
                    properties = dict(properties or {})  # a copy: the caller keeps its own
                    event = {"name": name, "properties": properties}
                    self._queue.put_nowait(event)
            """
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        Example.of(
            """
            import queue

            class Event:  # expect: PUB016
                def __init__(self, name: str) -> None:
                    self.name = name
                    self.fields: dict[str, str] = {}

                def add_field(self, key: str, value: str) -> None:
                    self.fields.update({key: value})

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[Event] = queue.Queue(maxsize=100)

                def publish(self, event: Event) -> None:
                    self._queue.put_nowait(event)
            """
        ),
        Example.of(
            """
            import queue
            from typing import Any

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=100)

                def track(self, name: str, properties: dict[str, Any] | None = None) -> None:
                    properties = properties or {}
                    event = {"name": name, "properties": properties}  # expect: PUB016
                    self._queue.put_nowait(event)
            """
        ),
        Example.of(
            """
            import queue
            from dataclasses import dataclass

            @dataclass  # expect: PUB016
            class Event:
                name: str

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[Event] = queue.Queue(maxsize=100)

                def publish(self, event: Event) -> None:
                    self._queue.put_nowait(event)
            """,
            fixed="""
            import queue
            from dataclasses import dataclass

            @dataclass(frozen=True)  # expect: PUB016
            class Event:
                name: str

            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[Event] = queue.Queue(maxsize=100)

                def publish(self, event: Event) -> None:
                    self._queue.put_nowait(event)
            """,
        ),
        Example(
            {
                "models.py": "import dataclasses\n\n\n@dataclasses.dataclass(slots=True, frozen=False)  # expect: PUB016\nclass Event:\n    name: str\n",
                "client.py": (
                    "import queue\n\nfrom models import Event\n\n\nclass Client:\n"
                    "    def __init__(self) -> None:\n        self._queue: queue.Queue[Event] = queue.Queue(maxsize=100)\n\n"
                    "    def publish(self, event: Event) -> None:\n        self._queue.put_nowait(event)\n"
                ),
            },
            fixed={
                "models.py": "import dataclasses\n\n\n@dataclasses.dataclass(slots=True, frozen=True)  # expect: PUB016\nclass Event:\n    name: str\n",
            },
        ),
    )
