"""The rule base class: identity, documentation, examples and the check itself.

A rule's docstring is its documentation (``--explain``): what it checks, why it matters and
what the fix does. ``VALID`` and ``INVALID`` hold code examples; the test suite is generated
from them. Invalid examples mark each expected finding inline with ``# expect: PUBnnn``; an
invalid example of a fixable rule shows the file after executive mode in ``fixed``.

A fixable rule overrides ``fix``: it returns the repaired module for one violation, or None
when that occurrence has no sound repair. ``fix_safety`` says whether executive mode applies
it by default ("safe") or only with ``--unsafe-fixes`` ("unsafe": it can break code the
rule does not look at, so a person should review it).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from .analysis.project import Client, Func, Klass, Publisher
from .ftypes import Finding, FixSafety, Severity, Violation

if TYPE_CHECKING:
    import libcst as cst

    from .fixes.codemods import FixTarget

__all__ = ["Example", "FixSafety", "Rule"]  # what a rule module imports from here


@dataclass(frozen=True, slots=True)
class Example:
    """A small target project: relative file path -> source."""

    files: Mapping[str, str]
    fixed: Mapping[str, str] = field(default_factory=dict)  # expected result of the fix, if any

    @classmethod
    def of(cls, source: str, fixed: str | None = None) -> Example:
        files = {"client.py": inspect.cleandoc(source) + "\n"}
        expected = {"client.py": inspect.cleandoc(fixed) + "\n"} if fixed is not None else {}
        return cls(files, expected)


class Rule:
    id: ClassVar[str]
    check: ClassVar[str]
    severity: ClassVar[Severity]
    fixable: ClassVar[bool] = False
    fix_safety: ClassVar[FixSafety] = "safe"
    VALID: ClassVar[tuple[Example, ...]] = ()
    INVALID: ClassVar[tuple[Example, ...]] = ()

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        raise NotImplementedError

    def fix(self, violation: Violation, target: FixTarget) -> cst.Module | None:
        """The module with ``violation`` repaired, or None when it cannot be repaired soundly."""
        return None

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    # Helpers for findings ----------------------------------------------------

    @staticmethod
    def at_function(func: Func, message: str) -> Finding:
        return Finding(func.module.path, func.fact.line, func.fact.column, message)

    @staticmethod
    def at_class(klass: Klass, message: str) -> Finding:
        return Finding(klass.module.path, klass.fact.line, klass.fact.column, message)

    @staticmethod
    def at_client(client: Client, message: str) -> Finding:
        return Rule.at_class(client.klass, message)
