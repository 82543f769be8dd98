"""The facts of one module: plain data that ``extraction.py`` reads off its syntax tree.

Rules never see syntax trees. They judge the combined facts of the project (see
``project.py``), which lets a classifier in one module and a retry loop in another be
seen together, and lets files be processed in parallel (facts are picklable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def _pickled_as_arguments(cls: type[T]) -> type[T]:
    """Pickle as the constructor's arguments: facts cross from the workers by the ten thousand,
    and this loads about twice as fast as the per-field ``__setstate__`` of slotted dataclasses.
    Fields the constructor does not take (lookups filled on first use) are left behind."""
    names = tuple(f.name for f in fields(cls) if f.init)  # type: ignore[arg-type]

    def __reduce__(self: Any) -> tuple[Callable[..., T], tuple[object, ...]]:
        return cls, tuple(getattr(self, name) for name in names)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls

# ---------------------------------------------------------------------------
# The facts


@_pickled_as_arguments
@dataclass(frozen=True, slots=True)
class ExceptFact:
    """An ``except`` clause around a call: what it catches and whether it re-raises."""

    caught: tuple[str, ...]
    line: int
    column: int
    reraises: bool


@_pickled_as_arguments
@dataclass(frozen=True, slots=True)
class CallFact:
    callee: str  # dotted source text ("self._queue.put"), "" when not a dotted name
    resolved: str  # callee with its root resolved through imports ("queue.Queue")
    args: tuple[str, ...]  # short source of positional arguments
    keywords: tuple[tuple[str, str], ...]
    line: int
    column: int
    in_loop: bool
    offthread: bool  # inside a lambda handed to Thread(...) / submit(...)
    assigned_to: str | None  # "worker" / "self._thread" when the result is assigned
    handlers: tuple[ExceptFact, ...]
    star_kwargs: bool = False  # "**options" passed: keywords are not all known
    condition: str = ""  # the innermost enclosing "if" test when it is a plain name ("self.sync_mode")

    def keyword(self, name: str) -> str | None:
        for key, value in self.keywords:
            if key == name:
                return value
        return None

    # Split off the callee once: discovery asks for them a million times on a large project.
    method: str = field(init=False, repr=False, compare=False)  # "put" of "self._queue.put"
    receiver: str = field(init=False, repr=False, compare=False)  # "self._queue" of it; "" for a bare name

    def __post_init__(self) -> None:
        receiver, _, method = self.callee.rpartition(".")
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "receiver", receiver)


@_pickled_as_arguments
@dataclass(frozen=True, slots=True)
class AttrAssignFact:
    target: str  # "self.daemon", "worker.daemon", "self._queue"
    value: str  # short source of the value
    value_call: str | None  # resolved callee when the value is a call
    line: int
    column: int
    in_loop: bool
    elements: tuple[str, ...] = ()  # "[self._main, self._ai]": the items, for loop-variable types


@_pickled_as_arguments
@dataclass(frozen=True, slots=True)
class StatusCompareFact:
    """A comparison of something status-like with an HTTP status literal.

    ``op`` is normalised so that the literal is on the right: ``==``, ``!=``, ``<``, ``<=``,
    ``>``, ``>=``, ``in``, ``not in``; a ``status // 100 == 5`` test has op ``class``.
    """

    op: str
    value: int
    subject: str
    line: int
    column: int
    constant: str = ""  # "pkg.policy.RETRYABLE": an imported constant; the project resolves its value



@_pickled_as_arguments
@dataclass(frozen=True, slots=True)
class ParamFact:
    name: str
    annotation: str | None  # resolved dotted annotation (generics stripped), "" if complex
    star: str  # "", "*", "**"


@_pickled_as_arguments
@dataclass(frozen=True, slots=True)
class DecoratorFact:
    name: str  # resolved dotted name of the decorator or of its call
    keywords: tuple[tuple[str, str], ...]
    args: tuple[str, ...]
    line: int
    column: int

    def keyword(self, name: str) -> str | None:
        for key, value in self.keywords:
            if key == name:
                return value
        return None


@_pickled_as_arguments
@dataclass(frozen=True, slots=True)
class ReturnFact:
    kind: str  # "none", "self", "value"
    line: int
    value: str = ""  # short source of the returned expression ("Builder(...)")


@_pickled_as_arguments
@dataclass(frozen=True, slots=True)
class FunctionFact:
    name: str
    qualname: str  # "Client.publish", "outer.<locals>.inner"
    class_name: str | None  # owning class qualname for methods
    parent: str | None  # enclosing function qualname for nested functions
    line: int
    column: int
    params: tuple[ParamFact, ...]
    returns: str | None  # resolved return annotation, None when absent
    decorators: tuple[DecoratorFact, ...]
    calls: tuple[CallFact, ...]
    attr_assigns: tuple[AttrAssignFact, ...]
    local_types: tuple[tuple[str, str], ...]  # local name -> resolved constructor
    loop_variables: tuple[tuple[str, str], ...]  # "for lane in self._lanes": ("lane", "self._lanes")
    status_compares: tuple[StatusCompareFact, ...]
    strings: frozenset[str]  # short string literals, lower-cased
    attributes: frozenset[str]  # attribute names read anywhere ("ok", "all_tasks_done")
    names: frozenset[str]  # resolved dotted names referenced ("backoff.expo")
    return_stmts: tuple[ReturnFact, ...]
    has_exponential_math: bool  # "**", "<<", pow(), "*=" or "x = x * y" in a loop
    has_loop: bool
    is_abstract: bool

    @property
    def is_static(self) -> bool:
        return any(d.name in ("staticmethod", "classmethod") for d in self.decorators)


@_pickled_as_arguments
@dataclass(frozen=True, slots=True)
class ClassFact:
    name: str
    qualname: str
    line: int
    column: int
    bases: tuple[str, ...]  # resolved
    decorators: tuple[DecoratorFact, ...]
    methods: tuple[str, ...]  # method names defined in the body
    class_attrs: tuple[tuple[str, str], ...]  # class-level name -> short value
    annotated_attrs: tuple[tuple[str, str], ...]  # class-level name -> resolved annotation
    # The methods of its body that take items from a queue and call them (``job = q.get(); job()``).
    runs_what_it_takes: tuple[str, ...] = ()


@_pickled_as_arguments
@dataclass(frozen=True, slots=True)
class ModuleFacts:
    path: Path
    module: str
    imports: tuple[tuple[str, str], ...]  # local name -> qualified
    classes: tuple[ClassFact, ...]
    functions: tuple[FunctionFact, ...]  # every def, methods and nested ones included
    module_calls: tuple[CallFact, ...]  # calls at module level
    module_types: tuple[tuple[str, str], ...]  # module variable -> resolved constructor
    suppressions: tuple[tuple[int, tuple[str, ...]], ...] = field(default=())  # () = all rules
    # Lookups by name, filled on first use: a client module can hold thousands of functions.
    _by_qualname: dict[str, FunctionFact] = field(default_factory=dict, init=False, repr=False, compare=False)
    _by_parent: dict[str, list[FunctionFact]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def function(self, qualname: str) -> FunctionFact | None:
        """The first def named ``qualname`` (a conditional redefinition keeps the first)."""
        if not self._by_qualname and self.functions:
            for fn in self.functions:
                self._by_qualname.setdefault(fn.qualname, fn)
        return self._by_qualname.get(qualname)

    def nested_in(self, qualname: str) -> list[FunctionFact]:
        """The functions defined directly inside function ``qualname``, in file order."""
        if not self._by_parent and self.functions:
            for fn in self.functions:
                self._by_parent.setdefault(fn.parent or "", []).append(fn)
        return self._by_parent.get(qualname, [])
