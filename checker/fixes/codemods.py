"""Shared pieces of the rules' fixes: find the reported node, edit calls and bodies.

A rule's ``fix`` gets a ``FixTarget`` — one parsed file plus the run's configuration — and
returns a new ``cst.Module`` (or ``None`` when this occurrence has no sound fix). It never
writes anything: ``fixer.py`` turns the returned module into a text edit, checks it and
decides whether it is kept. Rules report at documented places (``docs/rule-locations.md``);
``FixTarget.nodes_at`` maps such a place back to syntax nodes.

Fixes build their result with ``FixTarget.replace(old, new)``: the replaced node is the
fix's *scope*. Two fixes whose scopes overlap are never applied in the same round, even
when their text edits do not touch (``-> None`` on a def and ``return self`` at the end of
its body contradict each other); the later one is recomputed on the new text next round.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import TypeVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from ..config import Config
from ..ftypes import Violation
from .locate import Regions

N = TypeVar("N", bound=cst.CSTNode)

_NO_SPACE = cst.SimpleWhitespace("")
# Nodes that hold statements without being statements themselves.
_BLOCKS = (cst.BaseSuite, cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase)


def dotted(node: cst.CSTNode) -> str | None:
    """``a.b.c`` for Name/Attribute chains, ``super().x`` for super calls, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "super":
        return "super()"
    return None


def is_stub_body(body: cst.BaseSuite) -> bool:
    """Only a docstring, ``...``, ``pass`` or ``raise NotImplementedError``: an interface."""
    statements: Sequence[cst.CSTNode]
    if isinstance(body, cst.IndentedBlock):
        statements = body.body
    else:
        statements = [body]
    for statement in statements:
        if not isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return False
        for small in statement.body:
            if isinstance(small, cst.Pass):
                continue
            if isinstance(small, cst.Expr) and isinstance(
                small.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)
            ):
                continue
            if isinstance(small, cst.Raise) and small.exc is not None:
                raised = small.exc.func if isinstance(small.exc, cst.Call) else small.exc
                if dotted(raised) == "NotImplementedError":
                    continue
            return False
    return True


def _small_statements(node: cst.CSTNode) -> Iterator[cst.BaseSmallStatement]:
    """Every simple statement (an import, an assignment …) in source order, at any depth."""
    for child in node.children:
        if isinstance(child, cst.BaseSmallStatement):
            yield child
        elif isinstance(child, (cst.BaseStatement, *_BLOCKS)):
            yield from _small_statements(child)


class FixTarget:
    """One parsed file offered to the rules' fixes; metadata is computed once and shared."""

    def __init__(
        self, module: cst.Module, config: Config, *, count_only: bool = False, text: str | None = None
    ) -> None:
        self.module = module
        self.config = config
        self._text = text  # the module's source when the caller has it: no codegen to learn it
        self._indexes: dict[int, dict[tuple[int, int], list[cst.CSTNode]]] = {}
        self.replaced: cst.CSTNode | None = None  # the scope of the last fix built here
        # Counting fixable violations needs only whether a fix changes something, not the
        # fixed module: rebuilding and regenerating the whole file per fix is what made a
        # large module take minutes in an informative run.
        self.count_only = count_only
        self.changed = False  # whether the last fix built here changes its scope

    @cached_property
    def _positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        # No copy: parsed trees hold no shared nodes, and fixes need the module's own nodes
        # so that ``deep_replace`` finds them. Positions are the one costly metadata (a full
        # codegen); parents are found by the cheap statement-level walk below.
        return MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)

    @cached_property
    def _regions(self) -> Regions:
        try:
            tree = ast.parse(self.code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # a BOM, a deep nest: whole-module positions
            tree = None
        return Regions(self.module, tree, self.code)

    def _index(self, positions: Mapping[cst.CSTNode, CodeRange]) -> dict[tuple[int, int], list[cst.CSTNode]]:
        """Nodes by reported place: (line, 1-based column); defs and classes at their name."""
        key = id(positions)
        if key not in self._indexes:
            index: dict[tuple[int, int], list[cst.CSTNode]] = {}
            for node, where in positions.items():
                if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                    where = positions[node.name]
                index.setdefault((where.start.line, where.start.column + 1), []).append(node)
            self._indexes[key] = index
        return self._indexes[key]

    def nodes_at(self, violation: Violation, kind: type[N]) -> list[N]:
        """Nodes of ``kind`` that the violation's line/column designate, outermost first.

        Functions and classes are reported at their name; everything else at its first
        character. Several calls can start at one place (``a.b()(c)``): fixes pick theirs.
        Only the statement holding the line gets positions, unless it cannot be told apart.
        """
        if kind in (cst.FunctionDef, cst.ClassDef):  # found by name, no positions needed
            definition = self._regions.definition_at(violation.line, violation.column)
            if definition is not None:
                return [definition] if isinstance(definition, kind) else []
        positions = self._regions.at_line(violation.line) or self._positions
        found = [n for n in self._index(positions).get((violation.line, violation.column), []) if isinstance(n, kind)]

        def length(node: cst.CSTNode) -> tuple[int, int]:
            where = positions[node]
            return (where.start.line - where.end.line, where.start.column - where.end.column)

        return sorted(found, key=length)

    def node_at(self, violation: Violation, kind: type[N]) -> N | None:
        found = self.nodes_at(violation, kind)
        return found[0] if found else None

    @cached_property
    def _parents(self) -> dict[cst.CSTNode, cst.CSTNode]:
        """Statement and decorator -> the statement (or module) that holds it."""
        parents: dict[cst.CSTNode, cst.CSTNode] = {}

        def walk(node: cst.CSTNode, owner: cst.CSTNode) -> None:
            for child in node.children:
                if isinstance(child, (cst.BaseStatement, cst.Decorator)):
                    parents[child] = owner
                    if isinstance(child, cst.BaseCompoundStatement):
                        walk(child, child)
                elif isinstance(child, _BLOCKS):
                    walk(child, owner)

        walk(self.module, self.module)
        return parents

    def parent(self, node: cst.BaseStatement | cst.Decorator) -> cst.CSTNode | None:
        """The statement (or module) holding a statement or decorator."""
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            held_by = self._regions.holder_of(node)  # found by name: no walk of the whole module
            if held_by is not None:
                return held_by
        return self._parents.get(node)

    def owning_class(self, func: cst.FunctionDef) -> cst.ClassDef | None:
        """The class whose body directly holds ``func`` (a method), else None."""
        owner = self.parent(func)
        return owner if isinstance(owner, cst.ClassDef) else None

    @cached_property
    def imports(self) -> dict[str, str]:
        """Local name -> imported dotted name, for every import in the file (any depth)."""
        names: dict[str, str] = {}
        for node in _small_statements(self.module):
            if isinstance(node, cst.Import):
                for alias in node.names:
                    name = dotted(alias.name) or ""
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        names[alias.asname.name.value] = name
                    else:
                        names.setdefault(name.split(".")[0], name.split(".")[0])
            elif isinstance(node, cst.ImportFrom) and not node.relative and not isinstance(node.names, cst.ImportStar):
                base = dotted(node.module) if node.module is not None else None
                for alias in node.names:
                    name = dotted(alias.name) or ""
                    local = (
                        alias.asname.name.value
                        if alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                        else name
                    )
                    names[local] = f"{base}.{name}" if base else name
        return names

    def resolve(self, expr: cst.BaseExpression) -> str | None:
        """``Q`` -> ``queue.Queue`` after ``from queue import Queue as Q``; None if not a dotted name."""
        name = dotted(expr)
        if name is None:
            return None
        root, _, rest = name.partition(".")
        if root in self.imports:
            return f"{self.imports[root]}.{rest}" if rest else self.imports[root]
        return name

    def replace(self, old: cst.CSTNode, new: N) -> cst.Module:
        """The module with ``old`` replaced by ``new``; ``old`` becomes the fix's scope.

        When only counting, the module is returned unchanged and ``changed`` tells whether
        the fix would change anything."""
        self.replaced = old
        self.changed = not new.deep_equals(old)
        if self.count_only:
            return self.module
        replaced = self.module.deep_replace(old, new)
        assert isinstance(replaced, cst.Module), "fixes replace nodes inside the module, not the module"
        return replaced

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        """``node``'s [start, end) as offsets in ``code``."""
        where = self._positions[node]
        return (
            self._line_starts[where.start.line - 1] + where.start.column,
            self._line_starts[where.end.line - 1] + where.end.column,
        )

    @cached_property
    def code(self) -> str:
        """The module's source text (generating it is a full codegen: done once, if at all)."""
        return self._text if self._text is not None else self.module.code

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        for line in self.code.splitlines(keepends=True):
            starts.append(starts[-1] + len(line))
        return starts

    def statement(self, code: str) -> cst.BaseStatement:
        """Parse one statement with the file's newline and indentation conventions."""
        return cst.parse_statement(code, config=self.module.config_for_parsing)

    def class_methods(self, klass: cst.ClassDef) -> list[cst.FunctionDef]:
        return [s for s in body_statements(klass) if isinstance(s, cst.FunctionDef)]


# ---------------------------------------------------------------------------
# Calls


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def has_double_star(call: cst.Call) -> bool:
    return any(a.star == "**" for a in call.args)


def keyword_arg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(whitespace_before=_NO_SPACE, whitespace_after=_NO_SPACE),
    )


def _next_line(whitespace: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """The line break and indentation of ``whitespace``, without its comments."""
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return whitespace.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return cst.SimpleWhitespace(" ")


def append_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """``call`` with ``arg`` last, following the call's layout (one line, or one argument a line)."""
    args = list(call.args)
    if not args:
        return call.with_changes(args=[arg])
    last = args[-1]
    multiline = isinstance(last.whitespace_after_arg, cst.ParenthesizedWhitespace) or (
        isinstance(last.comma, cst.Comma) and isinstance(last.comma.whitespace_after, cst.ParenthesizedWhitespace)
    )
    if not multiline:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        return call.with_changes(args=[*args, arg])
    # One argument per line: the new one goes on its own line, where the closing layout was.
    previous = args[-2].comma if len(args) >= 2 else None
    separator = _next_line(
        previous.whitespace_after if isinstance(previous, cst.Comma) else call.whitespace_before_args
    )
    if isinstance(last.comma, cst.Comma):  # trailing comma style: keep one after the new argument
        arg = arg.with_changes(comma=last.comma, whitespace_after_arg=last.whitespace_after_arg)
    else:
        arg = arg.with_changes(whitespace_after_arg=last.whitespace_after_arg)
    args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=separator), whitespace_after_arg=_NO_SPACE)
    return call.with_changes(args=[*args, arg])


def set_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with ``name=value``: the existing keyword's value replaced, or one appended."""
    existing = keyword(call, name)
    if existing is None:
        return append_arg(call, keyword_arg(name, value))
    return call.with_changes(args=[a.with_changes(value=value) if a is existing else a for a in call.args])


def is_literal(expr: cst.BaseExpression, *names: str) -> bool:
    """``expr`` is one of the named constants (``True``, ``False``, ``None``)."""
    return isinstance(expr, cst.Name) and expr.value in names


# ---------------------------------------------------------------------------
# Function and class bodies


def body_statements(node: cst.FunctionDef | cst.ClassDef) -> Sequence[cst.BaseStatement]:
    """The statements of an indented body; empty for a one-line body (``def f(): pass``)."""
    return node.body.body if isinstance(node.body, cst.IndentedBlock) else ()


def docstring_length(statements: Sequence[cst.BaseStatement]) -> int:
    """1 when the first statement is a docstring, else 0."""
    if statements and isinstance(statements[0], cst.SimpleStatementLine):
        first = statements[0].body
        if (
            len(first) == 1
            and isinstance(first[0], cst.Expr)
            and isinstance(first[0].value, (cst.SimpleString, cst.ConcatenatedString))
        ):
            return 1
    return 0


def with_body(node: N, statements: Sequence[cst.BaseStatement]) -> N:
    """``node`` (a def or class with an indented body) with its statements replaced."""
    body = node.body  # type: ignore[attr-defined]
    return node.with_changes(body=body.with_changes(body=list(statements)))


def blank_line_before(statement: cst.BaseStatement) -> cst.BaseStatement:
    """The statement preceded by one empty line (no indentation on the empty line)."""
    return statement.with_changes(leading_lines=[cst.EmptyLine(indent=False)])


def is_stub(func: cst.FunctionDef) -> bool:
    """A body of only a docstring, ``...``, ``pass`` or ``raise NotImplementedError``: an interface."""
    return is_stub_body(func.body)


class _OwnScope(cst.CSTVisitor):
    """Collects a function's own ``return``/``yield``/assignment nodes, not those of nested scopes."""

    def __init__(self, root: cst.FunctionDef) -> None:
        super().__init__()
        self.root = root
        self.returns: list[cst.Return] = []
        self.yields = False
        self.self_assignments = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Return(self, node: cst.Return) -> None:
        self.returns.append(node)

    def visit_Yield(self, node: cst.Yield) -> None:
        self.yields = True

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._target(node.target)

    def _target(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Attribute) and dotted(target.value) == "self":
            self.self_assignments = True


def own_scope(func: cst.FunctionDef) -> _OwnScope:
    scan = _OwnScope(func)
    func.visit(scan)
    return scan


def returns_nothing(ret: cst.Return) -> bool:
    return ret.value is None or is_literal(ret.value, "None")


def positional_params(func: cst.FunctionDef) -> Iterator[cst.Param]:
    yield from func.params.posonly_params
    yield from func.params.params


def all_params(func: cst.FunctionDef) -> Iterator[cst.Param]:
    yield from positional_params(func)
    if isinstance(func.params.star_arg, cst.Param):
        yield func.params.star_arg
    yield from func.params.kwonly_params
    if func.params.star_kwarg is not None:
        yield func.params.star_kwarg


def is_static(func: cst.FunctionDef) -> bool:
    return any(dotted(d.decorator) in ("staticmethod", "builtins.staticmethod") for d in func.decorators)


def callable_without_arguments(func: cst.FunctionDef, *, method: bool = True) -> bool:
    """Every parameter (``self`` aside) has a default, so ``obj.func()`` is a valid call."""
    params = list(positional_params(func))
    if method:
        params = params[1:]
    required = [p for p in params if p.default is None]
    required += [p for p in func.params.kwonly_params if p.default is None]
    return not required
