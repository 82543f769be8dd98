"""Positions for one statement at a time, so that finding a reported node costs its statement.

libcst's ``PositionProvider`` generates the code of the whole module to learn where each
node stands; on a large client module that is most of the cost of counting fixes. A
violation needs only the nodes of the statement that holds its line. ``Regions`` finds that
statement by lining libcst's statements up with CPython's ast (which knows every
statement's lines and is cheap), descending through classes to the innermost def or other
statement, and generates positions for it alone, starting from the line and indentation it
has in the file. Each region's result is checked against the ast; when they disagree, or
no statement holds the line, the caller falls back to the whole module's positions.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import libcst as cst
from libcst.metadata import CodeRange, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

Positions = Mapping[cst.CSTNode, CodeRange]
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEF_KEYWORD = re.compile(r"(?:async\s+)?(?:def|class)\s+")


def _char_offset(text: str, byte_offset: int) -> int:
    """ast's UTF-8 byte offset in ``text`` as a character offset."""
    return byte_offset if text.isascii() else len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace"))


@dataclass(frozen=True)
class _Statement:
    node: cst.SimpleStatementLine | cst.BaseCompoundStatement
    mirror: Sequence[ast.stmt]  # the ast statements it stands for (``a; b`` is two)
    first: int  # its first line in the file: a decorator's, or its own
    last: int

    @property
    def start(self) -> int:
        """Where its code begins: the comments and blank lines it owns come first."""
        return self.first - len(self.node.leading_lines)


def _statements(body: Sequence[cst.BaseStatement], mirror: Sequence[ast.stmt]) -> list[_Statement] | None:
    """libcst's statements with the ast statements they stand for; None if they do not line up."""
    if sum(len(s.body) if isinstance(s, cst.SimpleStatementLine) else 1 for s in body) != len(mirror):
        return None
    lined_up: list[_Statement] = []
    at = 0
    for statement in body:
        assert isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
        count = len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
        group = mirror[at : at + count]
        at += count
        decorators = getattr(group[0], "decorator_list", [])
        first = min([group[0].lineno, *(d.lineno for d in decorators)])
        lined_up.append(_Statement(statement, group, first, group[-1].end_lineno or group[-1].lineno))
    return lined_up


class _Block:
    """One body's statements lined up, searchable by line."""

    def __init__(self, statements: list[_Statement]) -> None:
        self._statements = statements
        self._firsts = [s.first for s in statements]

    def holding(self, line: int) -> _Statement | None:
        at = bisect.bisect_right(self._firsts, line) - 1
        if at >= 0 and line <= self._statements[at].last:
            return self._statements[at]
        return None


class Regions:
    """The positions of the statement holding a line, computed once per statement."""

    def __init__(self, module: cst.Module, tree: ast.Module | None, text: str) -> None:
        self._module = module
        self._tree = tree
        self._text = text
        self._computed: dict[int, Positions | None] = {}
        self._blocks: dict[int, _Block | None] = {}
        self._holders: dict[
            int, cst.CSTNode
        ] = {}  # id(def or class found by name) -> the def, class or module holding it

    def _block(self, body: Sequence[cst.BaseStatement], mirror: Sequence[ast.stmt]) -> _Block | None:
        """``body`` lined up with ``mirror`` (once per body); None if they do not line up."""
        key = id(body)
        if key not in self._blocks:
            statements = _statements(body, mirror)
            self._blocks[key] = _Block(statements) if statements is not None else None
        return self._blocks[key]

    def at_line(self, line: int) -> Positions | None:
        found = self._find(line) if self._tree is not None else None
        if found is None:
            return None
        statement, indents = found
        key = id(statement.node)
        if key not in self._computed:  # a statement that does not check out is not tried again
            self._computed[key] = self._generate(statement, indents)
        return self._computed[key]

    def definition_at(self, line: int, column: int) -> cst.FunctionDef | cst.ClassDef | None:
        """The def or class whose name stands at (``line``, 1-based ``column``), found without
        generating code: through the bodies of classes and defs, by the lines the ast gives."""
        if self._tree is None:
            return None
        lines = self._lines
        body: Sequence[cst.BaseStatement] = self._module.body
        mirror: Sequence[ast.stmt] = self._tree.body
        holder: cst.CSTNode = self._module
        while True:
            block = self._block(body, mirror)
            inner = block.holding(line) if block is not None else None
            if inner is None:
                return None
            node, twin = inner.node, inner.mirror[0]
            if not isinstance(node, (cst.FunctionDef, cst.ClassDef)) or not isinstance(twin, (*_DEFS, ast.ClassDef)):
                return None
            if twin.lineno == line:
                text = lines[line - 1] if line <= len(lines) else ""
                keyword = _DEF_KEYWORD.match(text, _char_offset(text, twin.col_offset))
                if keyword is None or keyword.end() + 1 != column:
                    return None
                self._holders[id(node)] = holder
                return node
            if not isinstance(node.body, cst.IndentedBlock):
                return None
            body, mirror, holder = node.body.body, twin.body, node

    def holder_of(self, node: cst.FunctionDef | cst.ClassDef) -> cst.CSTNode | None:
        """The def, class or module whose body holds a definition ``definition_at`` found."""
        return self._holders.get(id(node))

    @cached_property
    def _lines(self) -> list[str]:
        return self._text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    def _find(self, line: int) -> tuple[_Statement, list[str]] | None:
        """The innermost statement holding ``line`` (classes are looked into) and the
        indentation of the blocks around it."""
        assert self._tree is not None
        body: Sequence[cst.BaseStatement] = self._module.body
        mirror: Sequence[ast.stmt] = self._tree.body
        indents: list[str] = []
        holder: _Statement | None = None
        while True:
            block = self._block(body, mirror)
            if block is None:
                return None
            inner = block.holding(line)
            if inner is None:
                return (holder, indents[:-1]) if holder is not None else None
            holder = inner
            node, twin = inner.node, inner.mirror[0]
            if not (isinstance(node, cst.ClassDef) and isinstance(node.body, cst.IndentedBlock)):
                return holder, indents
            if not isinstance(twin, ast.ClassDef):
                return None
            indents.append(self._module.default_indent if node.body.indent is None else node.body.indent)
            body, mirror = node.body.body, twin.body

    def _generate(self, statement: _Statement, indents: list[str]) -> Positions | None:
        node = statement.node
        if isinstance(node, cst.ClassDef) and isinstance(node.body, cst.IndentedBlock):  # its header only
            node = node.with_changes(body=cst.IndentedBlock(body=[], header=node.body.header))
        provider = PositionProvider()
        state = PositionProvidingCodegenState(
            default_indent=self._module.default_indent,
            default_newline=self._module.default_newline,
            provider=provider,
            indent_tokens=list(indents),
            line=statement.start,
        )
        node._codegen(state)  # what PositionProvider does for the whole module, for one statement
        positions = {n: where for n, where in provider._computed.items() if isinstance(where, CodeRange)}
        if node is not statement.node:
            positions[statement.node] = positions.pop(node)
        expected = statement.mirror[0].lineno
        named = statement.node.name if isinstance(statement.node, (cst.FunctionDef, cst.ClassDef)) else None
        check = positions.get(named) if named is not None else positions.get(statement.node)
        if check is None or check.start.line != expected:
            return None
        return positions
