"""Per-file fact extraction: one walk over CPython's ``ast`` turns a module into plain data.

Facts need names, shapes and the line and column of a few nodes, not a lossless tree, so
they come from the standard library's parser: about fifteen times cheaper than libcst's
parse plus its position pass, which only the fixes still pay (``fixes/codemods.py``). The
walk visits every node in source order, as a reader would, because later assignments and
imports override earlier ones. Columns are 1-based characters, as the reports show them.
"""

from __future__ import annotations

import ast
import http
import io
import re
import tokenize
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .facts import (
    AttrAssignFact,
    CallFact,
    ClassFact,
    DecoratorFact,
    ExceptFact,
    FunctionFact,
    ModuleFacts,
    ParamFact,
    ReturnFact,
    StatusCompareFact,
)
from .suppressions import suppressions_by_line

_SHORT_MAX = 80
_STATUS_NAMES: dict[str, int] = {s.name: int(s) for s in http.HTTPStatus}
_STATUS_WORDS = ("status", "code")
_NAMED_CONSTANTS = {True: "True", False: "False", None: "None"}
_CONTAINER_TYPES = frozenset({"builtins.list", "builtins.dict", "collections.deque"})
_THREADLIKE_CALLS = frozenset({"Thread", "Timer", "submit", "run_in_executor", "start_new_thread", "apply_async"})
_COLLECTION_CALLS = frozenset({"frozenset", "set", "tuple", "list"})
_STRING_PREFIX = re.compile(r"[rRbBuUfF]{0,2}(?=['\"])")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_OPS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


# ---------------------------------------------------------------------------
# The source text, for what the tree does not keep: columns in characters, number spellings,
# where a name or an "@" stands, and whether a string literal is one token or several.


class _Text:
    def __init__(self, text: str) -> None:
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    def line(self, lineno: int) -> str:
        return self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""

    def column(self, lineno: int, byte_offset: int) -> int:
        """ast's UTF-8 byte offset on ``lineno`` as a 0-based character offset."""
        text = self.line(lineno)
        if text.isascii():
            return byte_offset
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace"))

    def segment(self, node: ast.expr) -> str:
        """The source of ``node`` (what ``ast.get_source_segment`` gives, without its cost)."""
        end = node.end_lineno or node.lineno
        start_line, end_line = self.line(node.lineno), self.line(end)
        start = self.column(node.lineno, node.col_offset)
        stop = self.column(end, node.end_col_offset or 0)
        if end == node.lineno:
            return start_line[start:stop]
        middle = self.lines[node.lineno : end - 1]
        return "\n".join([start_line[start:], *middle, end_line[:stop]])


def _string_tokens(text: str) -> list[str] | None:
    """The string literals that make up ``text`` (``"a" "b"`` is two), or None when ``text``
    is not a run of string literals (its positions were off: a literal inside an f-string)."""
    tokens: list[str] = []
    at, size = 0, len(text)
    while at < size:
        char = text[at]
        if char in " \t\n\\\x0c":
            at += 1
            continue
        if char == "#":
            newline = text.find("\n", at)
            at = size if newline < 0 else newline
            continue
        prefix = _STRING_PREFIX.match(text, at)
        if prefix is None:
            return None
        quote_at = prefix.end()
        delimiter = text[quote_at] * 3 if text.startswith(text[quote_at] * 3, quote_at) else text[quote_at]
        scan = quote_at + len(delimiter)
        while scan < size and not text.startswith(delimiter, scan):
            scan += 2 if text[scan] == "\\" else 1
        if scan >= size:
            return None
        tokens.append(text[at : scan + len(delimiter)])
        at = scan + len(delimiter)
    return tokens


# ---------------------------------------------------------------------------
# Helpers on expressions


def dotted(node: ast.AST | None) -> str | None:
    """``a.b.c`` for Name/Attribute chains, ``super().x`` for super calls, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, bool)):
        return _NAMED_CONSTANTS[node.value]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super":
        return "super()"
    return None


def _is_none(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _unstarred(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Starred) else node


def _elements(node: ast.expr) -> list[ast.expr]:
    return [_unstarred(e) for e in node.elts] if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else []


def _int_value(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    name = dotted(node)
    if name is not None:
        last = name.rsplit(".", 1)[-1]
        if ("HTTPStatus" in name or "codes" in name) and last in _STATUS_NAMES:
            return _STATUS_NAMES[last]
    return None


def _is_status_literal(value: int | None) -> bool:
    return value is not None and 100 <= value <= 599


def container_item(node: ast.expr) -> str:
    """``self.plugins[kind]`` is written ``self.plugins[]``: an item of the container
    ``self.plugins``, whose type comes from what is appended to it."""
    if isinstance(node, ast.Subscript):
        inner = dotted(node.value)
        if inner is not None:
            return f"{inner}[]"
    return ""


def _call_result_callee(func: ast.expr) -> str:
    """``get_session().post`` and ``(self._override or get_session()).post``: a method called on
    what a call returns is written ``get_session().post``, so its receiver's type can come from
    the called function's return annotation."""
    if not isinstance(func, ast.Attribute):
        return ""
    value = func.value
    if isinstance(value, ast.BoolOp):
        value = value.values[-1]
    if isinstance(value, ast.Call):
        inner = dotted(value.func)
        if inner is not None:
            return f"{inner}().{func.attr}"
    subscripted = container_item(value)
    return f"{subscripted}.{func.attr}" if subscripted else ""


def is_stub_body(body: Sequence[ast.stmt]) -> bool:
    """Only a docstring, ``...``, ``pass`` or ``raise NotImplementedError``: an interface."""
    for statement in body:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            if isinstance(statement.value.value, (str, bytes)) or statement.value.value is Ellipsis:
                continue
        if isinstance(statement, ast.Raise) and statement.exc is not None:
            raised = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
            if dotted(raised) == "NotImplementedError":
                continue
        return False
    return True


def _reraises(handler: ast.ExceptHandler) -> bool:
    """A ``raise`` anywhere in the handler's body, nested functions aside."""
    pending: list[ast.AST] = list(handler.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Raise):
            return True
        if not isinstance(node, _FUNCTIONS):
            pending.extend(ast.iter_child_nodes(node))
    return False


def _constant_value(value: ast.expr) -> ast.expr | None:
    """The literal a constant stands for: an int, or a tuple/list/set (``frozenset({...})`` too)."""
    if (
        isinstance(value, ast.Call)
        and dotted(value.func) in _COLLECTION_CALLS
        and len(value.args) + len(value.keywords) == 1
    ):
        value = _unstarred(value.args[0]) if value.args else value.keywords[0].value
    if isinstance(value, (ast.Tuple, ast.List, ast.Set)) or _int_value(value) is not None:
        return value
    if isinstance(value, ast.Call) and dotted(value.func) == "range":
        return value
    return None


def _constants(body: Sequence[ast.stmt], prefix: str = "", header_line: int = 0) -> dict[str, ast.expr]:
    """``RETRYABLE = frozenset({409, 500})`` and ``RATE_LIMITED: Final = 429`` at module or class level.

    A class whose body shares the ``class`` line (``class A: X = 1``) keeps none, as before."""
    found: dict[str, ast.expr] = {}
    if body and body[0].lineno == header_line:
        return found
    for statement in body:
        if isinstance(statement, ast.ClassDef) and not prefix:
            for name, value in _constants(statement.body, f"{statement.name}.", statement.lineno).items():
                found[name] = value
                found["self." + name.split(".", 1)[1]] = value
            continue
        binding = single_binding(statement)
        if binding is not None:
            constant = _constant_value(binding[1])
            if constant is not None:
                found[prefix + binding[0]] = constant
    return found


def single_binding(statement: ast.stmt) -> tuple[str, ast.expr] | None:
    """``NAME = value`` or ``NAME: T = value``, one plain name bound: the name and the value."""
    target: ast.expr | None = None
    value: ast.expr | None = None
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0], statement.value
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target, value = statement.target, statement.value
    return (target.id, value) if isinstance(target, ast.Name) and value is not None else None


def _base_name(base: ast.expr) -> str | None:
    """``Generic[T]`` and ``Base`` name their class; anything else names none."""
    return dotted(base.value if isinstance(base, ast.Subscript) else base)


def _top_level_names(module: ast.Module) -> set[str]:
    return {s.name for s in module.body if isinstance(s, (*_FUNCTIONS, ast.ClassDef))}


def _parameters(args: ast.arguments) -> Iterator[tuple[ast.arg, ast.expr | None]]:
    """Each parameter with its default, in source order."""
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    yield from zip(positional, defaults, strict=True)
    if args.vararg is not None:
        yield args.vararg, None
    yield from zip(args.kwonlyargs, args.kw_defaults, strict=True)
    if args.kwarg is not None:
        yield args.kwarg, None


def _call_arguments(node: ast.Call) -> list[ast.expr | ast.keyword]:
    """Positional and keyword arguments in source order (ast keeps them in two lists)."""
    if not node.keywords or not node.args:
        return [*node.args, *node.keywords]
    return sorted([*node.args, *node.keywords], key=lambda a: (a.lineno, a.col_offset))


# ---------------------------------------------------------------------------
# The walk


@dataclass
class _FunctionFrame:
    name: str
    qualname: str
    class_name: str | None
    parent: str | None
    calls: list[CallFact] = field(default_factory=list)
    attr_assigns: list[AttrAssignFact] = field(default_factory=list)
    local_types: dict[str, str] = field(default_factory=dict)
    status_compares: list[StatusCompareFact] = field(default_factory=list)
    strings: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    returns: list[ReturnFact] = field(default_factory=list)
    loop_depth: int = 0
    has_loop: bool = False
    exponential: bool = False
    handlers: list[tuple[ExceptFact, ...]] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    loop_variables: dict[str, str] = field(default_factory=dict)


@dataclass
class _ClassFrame:
    name: str
    qualname: str
    methods: list[str] = field(default_factory=list)
    class_attrs: dict[str, str] = field(default_factory=dict)
    annotated_attrs: dict[str, str] = field(default_factory=dict)


class FactExtractor:
    def __init__(
        self,
        text: _Text,
        module_name: str,
        is_package: bool,
        top_level_names: set[str],
        constants: dict[str, ast.expr] | None = None,
    ) -> None:
        self.text = text
        self.constants = (
            constants or {}
        )  # module and class constants: "RETRYABLE", "Client.RETRYABLE", "self.RETRYABLE"
        self.module_name = module_name
        self.is_package = is_package
        self.top_level_names = top_level_names
        self.imports: dict[str, str] = {}
        self.classes: list[ClassFact] = []
        self.functions: list[FunctionFact] = []
        self.module_calls: list[CallFact] = []
        self.module_types: dict[str, str] = {}
        self.class_stack: list[_ClassFrame] = []
        self.function_stack: list[_FunctionFrame] = []
        self.assign_targets: dict[int, str] = {}
        self.offthread_depth = 0
        self.offthread_lambda_depth = 0

    # -- helpers ------------------------------------------------------------

    def pos(self, node: ast.expr | ast.stmt | ast.excepthandler) -> tuple[int, int]:
        return node.lineno, self.text.column(node.lineno, node.col_offset) + 1

    def _name_pos(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> tuple[int, int]:
        """Where the name of a def or class stands (ast gives the keyword's place)."""
        line = self.text.line(node.lineno)
        start = self.text.column(node.lineno, node.col_offset)
        found = re.compile(r"(?:async\s+)?(?:def|class)\s+").match(line, start)
        return node.lineno, (found.end() if found else start) + 1

    def _decorator_pos(self, expr: ast.expr) -> tuple[int, int]:
        """Where the ``@`` of a decorator stands."""
        line = self.text.line(expr.lineno)
        start = self.text.column(expr.lineno, expr.col_offset)
        at = line.rfind("@", 0, start)
        return expr.lineno, (at if at >= 0 else start) + 1

    def short(self, node: ast.expr) -> str:
        """A cheap one-line rendering of small expressions; "<expr>" for the rest."""
        name = dotted(node)
        if name is not None:
            return name
        if isinstance(node, ast.Constant):
            if type(node.value) in (int, float):
                return self.text.segment(node)
            if isinstance(node.value, (str, bytes)):
                tokens = _string_tokens(self.text.segment(node))
                return tokens[0][:_SHORT_MAX] if tokens is not None and len(tokens) == 1 else "<expr>"
            return "<expr>"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return "-" + self.short(node.operand)
        if isinstance(node, ast.List) and not node.elts:
            return "[]"
        if isinstance(node, ast.Dict) and not node.keys:
            return "{}"
        if isinstance(node, ast.Lambda):
            return "<lambda>"
        if isinstance(node, ast.Call):
            return f"{self.short(node.func)}(...)"
        if isinstance(node, (ast.List, ast.ListComp)):
            return "[...]"
        return "<expr>"

    def _single_string(self, node: ast.expr) -> str | None:
        """The value of a one-token str literal (``"a" "b"`` and f-strings are not)."""
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            return None
        tokens = _string_tokens(self.text.segment(node))
        return node.value if tokens is not None and len(tokens) == 1 else None

    def qualify(self, name: str) -> str:
        root, _, rest = name.partition(".")
        if root in self.imports:
            target = self.imports[root]
            return f"{target}.{rest}" if rest else target
        if root in self.top_level_names and self.module_name:
            return f"{self.module_name}.{name}"
        return name

    def annotation(self, expr: ast.expr | None) -> str | None:
        if expr is None:
            return None
        return self._annotation_name(expr)

    def _annotation_name(self, expr: ast.expr) -> str | None:
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):  # X | None
            for side in (expr.left, expr.right):
                if not _is_none(side):
                    return self._annotation_name(side)
        if isinstance(expr, ast.Subscript):
            outer = dotted(expr.value) or ""
            if outer.rsplit(".", 1)[-1] in ("Optional", "Union", "Annotated", "Final", "ClassVar"):
                items = expr.slice.elts if isinstance(expr.slice, ast.Tuple) else [expr.slice]
                for item in items:
                    if not isinstance(item, ast.Slice) and not _is_none(item):
                        return self._annotation_name(item)
            expr = expr.value
        if isinstance(expr, ast.Constant) and isinstance(expr.value, (str, bytes)):  # "Client", "queue.Queue[int]"
            text = self._single_string(expr)
            try:
                inner = ast.parse(text, mode="eval").body if text is not None else None
            except (SyntaxError, ValueError):
                inner = None
            return self._annotation_name(inner) if inner is not None else ""
        name = dotted(expr)
        return self.qualify(name) if name is not None else ""

    @property
    def frame(self) -> _FunctionFrame | None:
        return self.function_stack[-1] if self.function_stack else None

    def _absolute(self, module: str, level: int) -> str:
        if level == 0:
            return module
        parts = self.module_name.split(".") if self.module_name else []
        if not self.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: len(parts) - (level - 1)]
        base = ".".join(parts)
        return f"{base}.{module}".strip(".") if module else base

    # -- the walk -------------------------------------------------------------

    def visit(self, node: ast.AST) -> None:
        kind = type(node)
        method = _HANDLERS.get(kind)
        if method is None:
            method = _HANDLERS[kind] = _handler(kind)
        method(self, node)

    def visit_children(self, node: ast.AST) -> None:
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                self.visit(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)

    def visit_all(self, nodes: Sequence[ast.AST | None]) -> None:
        for node in nodes:
            if node is not None:
                self.visit(node)

    def identifier(self, name: str | None) -> None:
        """A name that is not an expression (a def's, a parameter's, a keyword's): an imported
        name spelled there still counts as referenced, as it does for the rules' vocabulary."""
        if name is not None and self.frame is not None and name in self.imports:
            self.frame.names.add(self.imports[name])

    # -- imports ------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname is not None:
                self.imports[alias.asname] = alias.name
            else:
                root = alias.name.split(".")[0]
                self.imports.setdefault(root, root)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._absolute(node.module or "", node.level)
        for alias in node.names:
            if alias.name == "*":
                return
            self.imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name

    # -- classes and functions ----------------------------------------------

    def _decorators(self, decorators: Sequence[ast.expr]) -> tuple[DecoratorFact, ...]:
        facts = []
        for decorator in decorators:
            expr = decorator
            keywords: tuple[tuple[str, str], ...] = ()
            args: tuple[str, ...] = ()
            if isinstance(expr, ast.Call):
                keywords = tuple((k.arg, self.short(k.value)) for k in expr.keywords if k.arg is not None)
                args = tuple(self.short(_unstarred(a)) for a in expr.args) + tuple(
                    self.short(k.value) for k in expr.keywords if k.arg is None
                )
                expr = expr.func
            name = dotted(expr)
            line, column = self._decorator_pos(decorator)
            facts.append(DecoratorFact(self.qualify(name) if name else "", keywords, args, line, column))
        return tuple(facts)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        prefix = self._qual_prefix()
        self.class_stack.append(_ClassFrame(node.name, prefix + node.name))
        first_function = len(self.functions)  # the defs of its body are appended from here on
        self.visit_all(node.decorator_list)
        self.identifier(node.name)
        for base in node.bases:
            self.visit(base)
        for keyword in node.keywords:
            self.identifier(keyword.arg)
            self.visit(keyword.value)
        self.visit_all(node.body)
        frame = self.class_stack.pop()
        takers = {  # body methods that call get()/get_nowait(), themselves or in a nested function
            fn.qualname.split(".<locals>.")[0][len(frame.qualname) + 1 :]
            for fn in self.functions[first_function:]
            if fn.qualname.startswith(frame.qualname + ".") and any(c.method in ("get", "get_nowait") for c in fn.calls)
        }
        bases = tuple(self.qualify(name) for base in node.bases if (name := _base_name(_unstarred(base))))
        line, column = self._name_pos(node)
        self.classes.append(
            ClassFact(
                name=frame.name,
                qualname=frame.qualname,
                line=line,
                column=column,
                bases=bases,
                decorators=self._decorators(node.decorator_list),
                methods=tuple(frame.methods),
                class_attrs=tuple(frame.class_attrs.items()),
                annotated_attrs=tuple(frame.annotated_attrs.items()),
                runs_what_it_takes=tuple(
                    item.name
                    for item in node.body
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and item.name in takers
                    and _calls_what_it_takes(item)
                ),
            )
        )

    def _qual_prefix(self) -> str:
        if self.function_stack:
            return self.function_stack[-1].qualname + ".<locals>."
        if self.class_stack:
            return self.class_stack[-1].qualname + "."
        return ""

    def _direct_class(self) -> _ClassFrame | None:
        """The class whose body directly holds the def being visited, if any."""
        if not self.class_stack:
            return None
        klass = self.class_stack[-1]
        if self.function_stack and self.function_stack[-1].qualname.startswith(klass.qualname + "."):
            return None
        return klass

    def _visit_parameters(self, args: ast.arguments) -> None:
        for param, default in _parameters(args):
            self.identifier(param.arg)
            if param.annotation is not None:
                self.visit(param.annotation)
            if default is not None:
                self.visit(default)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        klass = self._direct_class()
        if klass is not None:
            klass.methods.append(node.name)
        parent = self.function_stack[-1].qualname if self.function_stack else None
        self.function_stack.append(
            _FunctionFrame(
                name=node.name,
                qualname=self._qual_prefix() + node.name,
                class_name=klass.qualname if klass is not None else None,
                parent=parent,
            )
        )
        self.visit_all(node.decorator_list)
        self.identifier(node.name)
        self._visit_parameters(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self.visit_all(node.body)
        frame = self.function_stack.pop()
        param_facts = [
            ParamFact(param.arg, self.annotation(param.annotation), star)
            for param, star in (
                *((p, "") for p in (*node.args.posonlyargs, *node.args.args)),
                *(((node.args.vararg, "*"),) if node.args.vararg is not None else ()),
                *((p, "") for p in node.args.kwonlyargs),
                *(((node.args.kwarg, "**"),) if node.args.kwarg is not None else ()),
            )
        ]
        line, column = self._name_pos(node)
        self.functions.append(
            FunctionFact(
                name=frame.name,
                qualname=frame.qualname,
                class_name=frame.class_name,
                parent=frame.parent,
                line=line,
                column=column,
                params=tuple(param_facts),
                returns=self.annotation(node.returns),
                decorators=self._decorators(node.decorator_list),
                calls=tuple(frame.calls),
                attr_assigns=tuple(frame.attr_assigns),
                local_types=tuple(frame.local_types.items()),
                loop_variables=tuple(frame.loop_variables.items()),
                status_compares=tuple(frame.status_compares),
                strings=frozenset(frame.strings),
                attributes=frozenset(frame.attributes),
                names=frozenset(frame.names),
                return_stmts=tuple(frame.returns),
                has_exponential_math=frame.exponential,
                has_loop=frame.has_loop,
                is_abstract=is_stub_body(node.body),
            )
        )

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        if self.offthread_depth:
            self.offthread_lambda_depth += 1
        self._visit_parameters(node.args)
        self.visit(node.body)
        if self.offthread_lambda_depth:
            self.offthread_lambda_depth -= 1

    # -- statements -----------------------------------------------------------

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        frame = self.frame
        if frame is not None:
            frame.loop_depth += 1
            frame.has_loop = True
            variable, iterated = dotted(node.target), dotted(node.iter) or container_item(node.iter)
            if variable and iterated:
                frame.loop_variables[variable] = iterated
        self.visit_children(node)
        if self.frame is not None:
            self.frame.loop_depth -= 1

    visit_AsyncFor = visit_For

    def visit_While(self, node: ast.While) -> None:
        if self.frame is not None:
            self.frame.loop_depth += 1
            self.frame.has_loop = True
        self.visit_children(node)
        if self.frame is not None:
            self.frame.loop_depth -= 1

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        frame = self.frame
        if frame is not None:
            test = dotted(node.test)
            frame.conditions.append(test or (frame.conditions[-1] if frame.conditions else ""))
        self.visit_all(node.body)
        if frame is not None:
            frame.conditions.pop()
        self.visit_all(node.orelse)

    def visit_Try(self, node: ast.Try) -> None:
        frame = self.frame
        if frame is not None:
            handlers = []
            for handler in node.handlers:
                caught: tuple[str, ...] = ()
                if handler.type is not None:
                    values = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                    caught = tuple(self.qualify(n) for v in values if (n := dotted(v)))
                line, column = self.pos(handler)
                handlers.append(ExceptFact(caught or ("BaseException",), line, column, _reraises(handler)))
            frame.handlers.append(tuple(handlers))
        self.visit_all(node.body)
        if frame is not None:
            frame.handlers.pop()
        self.visit_all(node.handlers)
        self.visit_all(node.orelse)
        self.visit_all(node.finalbody)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        self.identifier(node.name)
        self.visit_all(node.body)

    def visit_Global(self, node: ast.Global | ast.Nonlocal) -> None:
        for name in node.names:
            self.identifier(name)

    visit_Nonlocal = visit_Global

    def visit_Return(self, node: ast.Return) -> None:
        frame = self.frame
        if frame is not None:
            line, _ = self.pos(node)
            if node.value is None or _is_none(node.value):
                kind = "none"
            elif isinstance(node.value, ast.Name) and node.value.id == "self":
                kind = "self"
            else:
                kind = "value"
            frame.returns.append(ReturnFact(kind, line, self.short(node.value) if node.value is not None else ""))
        if node.value is not None:
            self.visit(node.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, (ast.Tuple, ast.List)):  # "batch, self._buffer = self._buffer, []"
                values = (
                    [_unstarred(v) for v in node.value.elts] if isinstance(node.value, (ast.Tuple, ast.List)) else []
                )
                for index, element in enumerate(target.elts):
                    value = values[index] if index < len(values) else node.value
                    self._record_assignment(_unstarred(element), value)
            else:
                self._record_assignment(target, node.value)
        self.visit_children(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if self.frame is None and self.class_stack and isinstance(node.target, ast.Name):
            annotation = self.annotation(node.annotation)
            self.class_stack[-1].annotated_attrs[node.target.id] = annotation or ""
        if node.value is not None:
            self._record_assignment(node.target, node.value, self.annotation(node.annotation))
        elif self.frame is not None and isinstance(node.target, ast.Attribute):
            name = dotted(node.target)
            annotation = self.annotation(node.annotation)
            if name and annotation:
                line, column = self.pos(node)
                self.frame.attr_assigns.append(AttrAssignFact(name, "<annotation>", annotation, line, column, False))
        self.visit_children(node)

    def _record_assignment(self, target: ast.expr, value: ast.expr, declared: str | None = None) -> None:
        name = dotted(target)
        if name is None:
            return
        call_name: str | None = None
        if isinstance(value, ast.IfExp):  # "Pacer(rate) if rate else None": the type is the call's
            value = next((v for v in (value.body, value.orelse) if isinstance(v, ast.Call)), value)
        elif isinstance(value, ast.BoolOp) and isinstance(value.values[-1], ast.Call):
            value = value.values[-1]  # "given or Session()"
        if isinstance(value, ast.Call):
            self.assign_targets[id(value)] = name
            callee = dotted(value.func)
            call_name = self.qualify(callee) if callee else None
        elif isinstance(value, (ast.List, ast.ListComp)):
            call_name = "builtins.list"
        elif isinstance(value, (ast.Dict, ast.DictComp)):
            call_name = "builtins.dict"
        if declared and "." in declared and call_name not in _CONTAINER_TYPES:
            call_name = declared  # "self.t: Transport = make_transport()": the declared type wins
        frame = self.frame
        if frame is None:
            if self.class_stack and "." not in name:
                self.class_stack[-1].class_attrs[name] = self.short(value)
            elif call_name and "." not in name:
                self.module_types[name] = call_name
            return
        multiplied = isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult)
        if isinstance(target, ast.Attribute):
            line, column = self.pos(target)
            elements = (
                tuple(self.short(e) for e in _elements(value)) if isinstance(value, (ast.List, ast.Tuple)) else ()
            )
            frame.attr_assigns.append(
                AttrAssignFact(name, self.short(value), call_name, line, column, frame.loop_depth > 0, elements)
            )
        elif isinstance(target, ast.Name) and call_name:
            frame.local_types[name] = call_name
        if multiplied and isinstance(value, ast.BinOp) and isinstance(target, (ast.Attribute, ast.Name)):
            if frame.loop_depth and name in (dotted(value.left), dotted(value.right)):
                frame.exponential = True

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        frame = self.frame
        if frame is not None:
            if isinstance(node.op, (ast.Pow, ast.LShift)):
                frame.exponential = True
            elif isinstance(node.op, ast.Mult) and frame.loop_depth:
                frame.exponential = True
        self.visit_children(node)

    # -- expressions -----------------------------------------------------------

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if self.frame is not None and isinstance(node.op, (ast.Pow, ast.LShift)):
            self.frame.exponential = True
        self.visit(node.left)
        self.visit(node.right)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.visit(node.body)
        self.visit(node.test)
        self.visit(node.orelse)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None:
                self.visit(key)
            self.visit(value)

    def visit_Call(self, node: ast.Call) -> None:
        callee = dotted(node.func) or _call_result_callee(node.func)
        resolved = self.qualify(callee) if callee else ""
        line, column = self.pos(node)
        frame = self.frame
        fact = CallFact(
            callee=callee,
            resolved=resolved,
            args=tuple(self.short(a) for a in node.args if not isinstance(a, ast.Starred)),
            keywords=tuple((k.arg, self.short(k.value)) for k in node.keywords if k.arg is not None),
            line=line,
            column=column,
            in_loop=bool(frame and frame.loop_depth),
            offthread=self.offthread_lambda_depth > 0,
            assigned_to=self.assign_targets.pop(id(node), None),
            handlers=tuple(h for level in reversed(frame.handlers) for h in level) if frame else (),
            star_kwargs=any(k.arg is None for k in node.keywords),
            condition=frame.conditions[-1] if frame and frame.conditions else "",
        )
        if frame is None:
            self.module_calls.append(fact)
        else:
            frame.calls.append(fact)
            if callee.rsplit(".", 1)[-1] == "pow":
                frame.exponential = True
            for keyword in node.keywords:
                if keyword.arg == "status_forcelist":
                    self._status_collection(keyword.value, "in", "status_forcelist")
        threadlike = callee.rsplit(".", 1)[-1] in _THREADLIKE_CALLS
        if threadlike:
            self.offthread_depth += 1
        self.visit(node.func)
        for argument in _call_arguments(node):
            if isinstance(argument, ast.keyword):
                self.identifier(argument.arg)
                self.visit(argument.value)
            else:
                self.visit(argument)
        if threadlike:
            self.offthread_depth -= 1

    def visit_Name(self, node: ast.Name) -> None:
        if self.frame is not None and node.id in self.imports:
            self.frame.names.add(self.imports[node.id])

    def visit_Attribute(self, node: ast.Attribute) -> None:
        frame = self.frame
        if frame is not None:
            frame.attributes.add(node.attr)
            name = dotted(node)
            if name is not None and name.split(".", 1)[0] in self.imports:
                frame.names.add(self.qualify(name))
        self.visit(node.value)
        self.identifier(node.attr)

    def visit_Constant(self, node: ast.Constant) -> None:
        if self.frame is not None and isinstance(node.value, (str, bytes)):
            self._strings(self.text.segment(node), node.value)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        """An f-string: the plain literals concatenated with it count as strings, its text does not."""
        if self.frame is not None:
            self._strings(self.text.segment(node), None)
        self._visit_replacements(node)

    def _visit_replacements(self, node: ast.JoinedStr) -> None:
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                self.visit(value.value)
                if isinstance(value.format_spec, ast.JoinedStr):
                    self._visit_replacements(value.format_spec)

    def _strings(self, source: str, value: str | bytes | None) -> None:
        """Short str literals, lower-cased: each token of ``"a" "b"`` on its own."""
        frame = self.frame
        assert frame is not None
        tokens = _string_tokens(source)
        if tokens is None:  # positions inside an f-string can be off: judge by the value
            if isinstance(value, str) and len(repr(value)) < 64:
                frame.strings.add(value.lower())
            return
        for token in tokens:
            if len(token) >= 64 or "f" in token[: token.index(token[-1])].lower():
                continue
            try:
                literal = value if len(tokens) == 1 and value is not None else ast.literal_eval(token)
            except (SyntaxError, ValueError):
                continue
            if isinstance(literal, str):
                frame.strings.add(literal.lower())

    def _imported_constant(self, node: ast.expr) -> str:
        """``RETRYABLE`` imported from another project module (not HTTPStatus): its qualified name."""
        name = dotted(node)
        if name is None or name in self.constants or _int_value(node) is not None:
            return ""
        root = name.split(".", 1)[0]
        if root not in self.imports or not name.split(".")[-1].isupper():
            return ""
        return self.qualify(name)

    def constant(self, node: ast.expr) -> ast.expr:
        """A name of a module or class constant stands for its value; anything else for itself."""
        name = dotted(node)
        if name is not None and name in self.constants:
            return self.constants[name]
        return node

    def _status_collection(self, node: ast.expr, op: str, subject: str, at: ast.expr | None = None) -> None:
        """Codes in a collection literal, or in a constant naming one (reported at ``at``, the comparison)."""
        frame = self.frame
        resolved = self.constant(node)
        if frame is None or not isinstance(resolved, (ast.Tuple, ast.List, ast.Set)):
            return
        for element in _elements(resolved):
            value = _int_value(self.constant(element))
            if _is_status_literal(value):
                line, column = self.pos(element if resolved is node else (at or node))
                frame.status_compares.append(StatusCompareFact(op, value or 0, subject, line, column))

    def visit_Compare(self, node: ast.Compare) -> None:
        if self.frame is not None:
            left = node.left
            for op, comparator in zip(node.ops, node.comparators, strict=True):
                self._compare(left, _OPS.get(type(op), "?"), comparator)
                left = comparator
        self.visit_children(node)

    def _compare(self, left: ast.expr, op: str, right: ast.expr) -> None:
        frame = self.frame
        assert frame is not None
        if op in ("in", "not in"):
            subject = self.short(left)
            if (
                op == "in"
                and isinstance(left, ast.BinOp)
                and isinstance(left.op, ast.FloorDiv)
                and _int_value(left.right) == 100
                and isinstance(right, (ast.Tuple, ast.List, ast.Set))
            ):
                for element in _elements(right):
                    family = _int_value(element)
                    if family is not None and 1 <= family <= 5:
                        line, column = self.pos(element)
                        frame.status_compares.append(
                            StatusCompareFact("class", family * 100, self.short(left.left), line, column)
                        )
                return
            imported = self._imported_constant(right)
            if imported:
                line, column = self.pos(right)
                frame.status_compares.append(StatusCompareFact(op, 0, subject, line, column, imported))
                return
            right = self.constant(right) if isinstance(self.constant(right), ast.Call) else right
            if isinstance(right, ast.Call) and dotted(right.func) == "range":
                bounds = [_int_value(a) for a in _call_arguments(right)]
                if len(bounds) >= 2 and all(_is_status_literal(b) or b == 600 for b in bounds[:2]):
                    line, column = self.pos(right)
                    frame.status_compares.append(StatusCompareFact(">=", bounds[0] or 0, subject, line, column))
                    frame.status_compares.append(StatusCompareFact("<", bounds[1] or 0, subject, line, column))
                return
            self._status_collection(right, op, subject, at=right)
            return
        for literal, other, flip in ((right, left, False), (left, right, True)):
            # status // 100 == 5
            if isinstance(other, ast.BinOp) and isinstance(other.op, ast.FloorDiv) and _int_value(other.right) == 100:
                value = _int_value(literal)
                if value is not None and 1 <= value <= 5 and op == "==":
                    line, column = self.pos(literal)
                    frame.status_compares.append(
                        StatusCompareFact("class", value * 100, self.short(other.left), line, column)
                    )
                    return
            imported = self._imported_constant(literal)
            if imported and any(word in self.short(other).lower() for word in _STATUS_WORDS):
                line, column = self.pos(literal)
                frame.status_compares.append(
                    StatusCompareFact(_FLIP.get(op, op) if flip else op, 0, self.short(other), line, column, imported)
                )
                return
            value = _int_value(self.constant(literal))
            if not _is_status_literal(value) and value != 600:
                continue
            subject = self.short(other)
            named_status = isinstance(literal, (ast.Attribute, ast.Name)) and self.constant(literal) is literal
            if not named_status and not any(word in subject.lower() for word in _STATUS_WORDS):
                continue
            line, column = self.pos(literal)
            frame.status_compares.append(
                StatusCompareFact(_FLIP.get(op, op) if flip else op, value or 0, subject, line, column)
            )
            return


_LEAVES = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)  # nothing below them
_HANDLERS: dict[type[ast.AST], Callable[[FactExtractor, Any], None]] = {}


def _handler(kind: type[ast.AST]) -> Callable[[FactExtractor, Any], None]:
    """The method that visits nodes of ``kind``, looked up once per node type."""
    if issubclass(kind, _LEAVES):
        return lambda _extractor, _node: None
    method: Callable[[FactExtractor, Any], None] | None = getattr(FactExtractor, "visit_" + kind.__name__, None)
    return method if method is not None else FactExtractor.visit_children


# ---------------------------------------------------------------------------
# Entry point


def _calls_what_it_takes(function: ast.AST) -> bool:
    """``job = self._queue.get(); job()``: the items taken from a queue are called."""
    taken: set[str] = set()
    for node in ast.walk(function):
        if not isinstance(node, ast.Assign):
            continue
        call = node.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in ("get", "get_nowait")
        ):
            # queue.get(), get(True, 1.0), get(timeout=…) — not dict.get(key)
            if not call.args or (isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, bool)):
                taken.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in taken for n in ast.walk(function)
    )


def extract(path: Path, module_name: str, source: bytes, tree: ast.Module | None = None) -> ModuleFacts:
    """The facts of ``source`` (raises SyntaxError, ValueError or RecursionError); ``tree`` is
    its ast when the caller has it already."""
    module = tree if tree is not None else ast.parse(source, str(path))
    text = _Text(source.decode(_encoding(source), errors="replace"))
    is_package = path.name == "__init__.py"
    extractor = FactExtractor(text, module_name, is_package, _top_level_names(module), _constants(module.body))
    extractor.visit_all(module.body)
    return ModuleFacts(
        path=path,
        module=module_name,
        imports=tuple(extractor.imports.items()),
        classes=tuple(extractor.classes),
        functions=tuple(extractor.functions),
        module_calls=tuple(extractor.module_calls),
        module_types=tuple(extractor.module_types.items()),
        suppressions=suppressions_by_line(source),
    )


def _encoding(source: bytes) -> str:
    """The encoding a coding line or BOM declares (ast decoded the file with it already)."""
    try:
        return tokenize.detect_encoding(io.BytesIO(source).readline)[0]
    except SyntaxError:
        return "utf-8"
