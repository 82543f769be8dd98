"""Per-file fact extraction: one libcst traversal turns a module into plain data.

Rules never see syntax trees. They judge the combined facts of the project (see
``project.py``), which lets a classifier in one module and a retry loop in another be
seen together, and lets files be processed in parallel (facts are picklable).
"""

from __future__ import annotations

import http
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from .suppressions import suppressions_by_line

# ---------------------------------------------------------------------------
# The facts


@dataclass(frozen=True, slots=True)
class ExceptFact:
    """An ``except`` clause around a call: what it catches and whether it re-raises."""

    caught: tuple[str, ...]
    line: int
    column: int
    reraises: bool


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

    @property
    def method(self) -> str:
        return self.callee.rsplit(".", 1)[-1]

    @property
    def receiver(self) -> str:
        return self.callee.rsplit(".", 1)[0] if "." in self.callee else ""


@dataclass(frozen=True, slots=True)
class AttrAssignFact:
    target: str  # "self.daemon", "worker.daemon", "self._queue"
    value: str  # short source of the value
    value_call: str | None  # resolved callee when the value is a call
    line: int
    column: int
    in_loop: bool
    elements: tuple[str, ...] = ()  # "[self._main, self._ai]": the items, for loop-variable types


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



@dataclass(frozen=True, slots=True)
class ParamFact:
    name: str
    annotation: str | None  # resolved dotted annotation (generics stripped), "" if complex
    star: str  # "", "*", "**"


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


@dataclass(frozen=True, slots=True)
class ReturnFact:
    kind: str  # "none", "self", "value"
    line: int
    value: str = ""  # short source of the returned expression ("Builder(...)")


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

    def function(self, qualname: str) -> FunctionFact | None:
        for fn in self.functions:
            if fn.qualname == qualname:
                return fn
        return None


# ---------------------------------------------------------------------------
# Helpers on expressions

_SHORT_MAX = 80
_STATUS_NAMES: dict[str, int] = {s.name: int(s) for s in http.HTTPStatus}
_STATUS_WORDS = ("status", "code")


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


def short(node: cst.CSTNode) -> str:
    """A cheap one-line rendering of small expressions; "<expr>" for the rest."""
    name = dotted(node)
    if name is not None:
        return name
    if isinstance(node, (cst.Integer, cst.Float)):
        return node.value
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return "-" + short(node.expression)
    if isinstance(node, cst.SimpleString):
        return node.value[:_SHORT_MAX]
    if isinstance(node, cst.List) and not node.elements:
        return "[]"
    if isinstance(node, cst.Dict) and not node.elements:
        return "{}"
    if isinstance(node, cst.Lambda):
        return "<lambda>"
    if isinstance(node, cst.Call):
        return f"{short(node.func)}(...)"
    if isinstance(node, (cst.List, cst.ListComp)):
        return "[...]"
    return "<expr>"


def _int_value(node: cst.CSTNode) -> int | None:
    if isinstance(node, cst.Integer):
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return None
    name = dotted(node)
    if name is not None:
        last = name.rsplit(".", 1)[-1]
        if ("HTTPStatus" in name or "codes" in name) and last in _STATUS_NAMES:
            return _STATUS_NAMES[last]
    return None


def _is_status_literal(value: int | None) -> bool:
    return value is not None and 100 <= value <= 599


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _op_text(op: cst.BaseCompOp) -> str:
    return {
        cst.Equal: "==",
        cst.NotEqual: "!=",
        cst.LessThan: "<",
        cst.LessThanEqual: "<=",
        cst.GreaterThan: ">",
        cst.GreaterThanEqual: ">=",
        cst.In: "in",
        cst.NotIn: "not in",
        cst.Is: "is",
        cst.IsNot: "is not",
    }.get(type(op), "?")


def _call_result_callee(func: cst.BaseExpression) -> str:
    """``get_session().post`` and ``(self._override or get_session()).post``: a method called on
    what a call returns is written ``get_session().post``, so its receiver's type can come from
    the called function's return annotation."""
    if not isinstance(func, cst.Attribute):
        return ""
    value = func.value
    if isinstance(value, cst.BooleanOperation):
        value = value.right
    if isinstance(value, cst.Call):
        inner = dotted(value.func)
        if inner is not None:
            return f"{inner}().{func.attr.value}"
    subscripted = container_item(value)
    return f"{subscripted}.{func.attr.value}" if subscripted else ""


def container_item(node: cst.BaseExpression) -> str:
    """``self.plugins[kind]`` is written ``self.plugins[]``: an item of the container
    ``self.plugins``, whose type comes from what is appended to it."""
    if isinstance(node, cst.Subscript):
        inner = dotted(node.value)
        if inner is not None:
            return f"{inner}[]"
    return ""


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


class _RaiseFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Raise(self, node: cst.Raise) -> bool:
        self.found = True
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


def _reraises(handler: cst.ExceptHandler) -> bool:
    finder = _RaiseFinder()
    handler.body.visit(finder)
    return finder.found


# ---------------------------------------------------------------------------
# The visitor


@dataclass
class _FunctionFrame:
    name: str
    qualname: str
    class_name: str | None
    parent: str | None
    node: cst.FunctionDef
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
    node: cst.ClassDef
    methods: list[str] = field(default_factory=list)
    class_attrs: dict[str, str] = field(default_factory=dict)
    annotated_attrs: dict[str, str] = field(default_factory=dict)


_CONTAINER_TYPES = frozenset({"builtins.list", "builtins.dict", "collections.deque"})
_THREADLIKE_CALLS = frozenset({"Thread", "Timer", "submit", "run_in_executor", "start_new_thread", "apply_async"})


class FactExtractor(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self,
        module_name: str,
        is_package: bool,
        top_level_names: set[str],
        constants: dict[str, cst.BaseExpression] | None = None,
    ) -> None:
        super().__init__()
        self.constants = constants or {}  # module and class constants: "RETRYABLE", "Client.RETRYABLE", "self.RETRYABLE"
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

    def pos(self, node: cst.CSTNode) -> tuple[int, int]:
        where: CodeRange = self.get_metadata(PositionProvider, node)
        return where.start.line, where.start.column + 1

    def qualify(self, name: str) -> str:
        root, _, rest = name.partition(".")
        if root in self.imports:
            target = self.imports[root]
            return f"{target}.{rest}" if rest else target
        if root in self.top_level_names and self.module_name:
            return f"{self.module_name}.{name}"
        return name

    def annotation(self, node: cst.Annotation | None) -> str | None:
        if node is None:
            return None
        return self._annotation_name(node.annotation)

    def _annotation_name(self, expr: cst.BaseExpression) -> str | None:
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):  # X | None
            for side in (expr.left, expr.right):
                if not (isinstance(side, cst.Name) and side.value == "None"):
                    return self._annotation_name(side)
        if isinstance(expr, cst.Subscript):
            outer = dotted(expr.value) or ""
            if outer.rsplit(".", 1)[-1] in ("Optional", "Union", "Annotated", "Final", "ClassVar"):
                for element in expr.slice:
                    if isinstance(element.slice, cst.Index) and not (
                        isinstance(element.slice.value, cst.Name) and element.slice.value.value == "None"
                    ):
                        return self._annotation_name(element.slice.value)
            expr = expr.value
        if isinstance(expr, cst.SimpleString):  # a forward reference: "Client", "queue.Queue[int]"
            text = expr.evaluated_value
            try:
                inner = cst.parse_expression(text) if isinstance(text, str) else None
            except cst.ParserSyntaxError:
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

    # -- imports ------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            name = dotted(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.imports[alias.asname.name.value] = name
            else:
                root = name.split(".")[0]
                self.imports.setdefault(root, root)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = dotted(node.module) if node.module is not None else ""
        base = self._absolute(module or "", len(node.relative))
        if isinstance(node.names, cst.ImportStar):
            return False
        for alias in node.names:
            name = dotted(alias.name) or ""
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.imports[local] = f"{base}.{name}" if base else name
        return False

    # -- classes and functions ----------------------------------------------

    def _decorators(self, decorators: Sequence[cst.Decorator]) -> tuple[DecoratorFact, ...]:
        facts = []
        for decorator in decorators:
            expr = decorator.decorator
            keywords: tuple[tuple[str, str], ...] = ()
            args: tuple[str, ...] = ()
            if isinstance(expr, cst.Call):
                keywords = tuple((a.keyword.value, short(a.value)) for a in expr.args if a.keyword is not None)
                args = tuple(short(a.value) for a in expr.args if a.keyword is None)
                expr = expr.func
            name = dotted(expr)
            line, column = self.pos(decorator)
            facts.append(DecoratorFact(self.qualify(name) if name else "", keywords, args, line, column))
        return tuple(facts)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        prefix = self._qual_prefix()
        self.class_stack.append(_ClassFrame(node.name.value, prefix + node.name.value, node))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        frame = self.class_stack.pop()
        bases = tuple(
            self.qualify(name)
            for arg in original_node.bases
            if arg.keyword is None and (name := dotted(arg.value if not isinstance(arg.value, cst.Subscript) else arg.value.value))
        )
        line, column = self.pos(original_node.name)
        self.classes.append(
            ClassFact(
                name=frame.name,
                qualname=frame.qualname,
                line=line,
                column=column,
                bases=bases,
                decorators=self._decorators(original_node.decorators),
                methods=tuple(frame.methods),
                class_attrs=tuple(frame.class_attrs.items()),
                annotated_attrs=tuple(frame.annotated_attrs.items()),
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

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        klass = self._direct_class()
        if klass is not None:
            klass.methods.append(node.name.value)
        parent = self.function_stack[-1].qualname if self.function_stack else None
        self.function_stack.append(
            _FunctionFrame(
                name=node.name.value,
                qualname=self._qual_prefix() + node.name.value,
                class_name=klass.qualname if klass is not None else None,
                parent=parent,
                node=node,
            )
        )

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self.function_stack.pop()
        params = original_node.params
        param_facts: list[ParamFact] = []
        for param in (*params.posonly_params, *params.params):
            param_facts.append(ParamFact(param.name.value, self.annotation(param.annotation), ""))
        if isinstance(params.star_arg, cst.Param):
            param_facts.append(ParamFact(params.star_arg.name.value, self.annotation(params.star_arg.annotation), "*"))
        for param in params.kwonly_params:
            param_facts.append(ParamFact(param.name.value, self.annotation(param.annotation), ""))
        if params.star_kwarg is not None:
            param_facts.append(ParamFact(params.star_kwarg.name.value, self.annotation(params.star_kwarg.annotation), "**"))
        line, column = self.pos(original_node.name)
        self.functions.append(
            FunctionFact(
                name=frame.name,
                qualname=frame.qualname,
                class_name=frame.class_name,
                parent=frame.parent,
                line=line,
                column=column,
                params=tuple(param_facts),
                returns=self.annotation(original_node.returns),
                decorators=self._decorators(original_node.decorators),
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
                is_abstract=is_stub_body(original_node.body),
            )
        )

    # -- statements -----------------------------------------------------------

    def _loop(self) -> None:
        if self.frame is not None:
            self.frame.loop_depth += 1
            self.frame.has_loop = True

    def _unloop(self) -> None:
        if self.frame is not None:
            self.frame.loop_depth -= 1

    def visit_For(self, node: cst.For) -> None:
        self._loop()
        variable, iterated = dotted(node.target), dotted(node.iter) or container_item(node.iter)
        if self.frame is not None and variable and iterated:
            self.frame.loop_variables[variable] = iterated

    def leave_For(self, original_node: cst.For) -> None:
        self._unloop()

    def visit_While(self, node: cst.While) -> None:
        self._loop()

    def leave_While(self, original_node: cst.While) -> None:
        self._unloop()

    def visit_If_body(self, node: cst.If) -> None:
        if self.frame is not None:
            test = dotted(node.test)
            self.frame.conditions.append(test or (self.frame.conditions[-1] if self.frame.conditions else ""))

    def leave_If_body(self, node: cst.If) -> None:
        if self.frame is not None:
            self.frame.conditions.pop()

    def visit_Try_body(self, node: cst.Try) -> None:
        if self.frame is None:
            return
        handlers = []
        for handler in node.handlers:
            caught: tuple[str, ...] = ()
            if handler.type is not None:
                exprs = handler.type.elements if isinstance(handler.type, cst.Tuple) else None
                values = [e.value for e in exprs] if exprs is not None else [handler.type]
                caught = tuple(self.qualify(n) for v in values if (n := dotted(v)))
            line, column = self.pos(handler)
            handlers.append(ExceptFact(caught or ("BaseException",), line, column, _reraises(handler)))
        self.frame.handlers.append(tuple(handlers))

    def leave_Try_body(self, node: cst.Try) -> None:
        if self.frame is not None:
            self.frame.handlers.pop()

    def visit_Return(self, node: cst.Return) -> None:
        if self.frame is None:
            return
        line, _ = self.pos(node)
        if node.value is None or (isinstance(node.value, cst.Name) and node.value.value == "None"):
            kind = "none"
        elif isinstance(node.value, cst.Name) and node.value.value == "self":
            kind = "self"
        else:
            kind = "value"
        self.frame.returns.append(ReturnFact(kind, line, short(node.value) if node.value is not None else ""))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, (cst.Tuple, cst.List)):  # "batch, self._buffer = self._buffer, []"
                values = node.value.elements if isinstance(node.value, (cst.Tuple, cst.List)) else ()
                for index, element in enumerate(target.target.elements):
                    value = values[index].value if index < len(values) else node.value
                    self._record_assignment(element.value, value)
            else:
                self._record_assignment(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self.frame is None and self.class_stack and isinstance(node.target, cst.Name):
            annotation = self.annotation(node.annotation)
            self.class_stack[-1].annotated_attrs[node.target.value] = annotation or ""
        if node.value is not None:
            self._record_assignment(node.target, node.value, self.annotation(node.annotation))
        elif self.frame is not None and isinstance(node.target, cst.Attribute):
            name = dotted(node.target)
            annotation = self.annotation(node.annotation)
            if name and annotation:
                line, column = self.pos(node)
                self.frame.attr_assigns.append(AttrAssignFact(name, "<annotation>", annotation, line, column, False))

    def _record_assignment(
        self, target: cst.BaseExpression, value: cst.BaseExpression, declared: str | None = None
    ) -> None:
        name = dotted(target)
        if name is None:
            return
        call_name: str | None = None
        if isinstance(value, cst.IfExp):  # "Pacer(rate) if rate else None": the type is the call's
            value = next((v for v in (value.body, value.orelse) if isinstance(v, cst.Call)), value)
        elif isinstance(value, cst.BooleanOperation) and isinstance(value.right, cst.Call):
            value = value.right  # "given or Session()"
        if isinstance(value, cst.Call):
            self.assign_targets[id(value)] = name
            callee = dotted(value.func)
            call_name = self.qualify(callee) if callee else None
        elif isinstance(value, (cst.List, cst.ListComp)):
            call_name = "builtins.list"
        elif isinstance(value, (cst.Dict, cst.DictComp)):
            call_name = "builtins.dict"
        if declared and "." in declared and call_name not in _CONTAINER_TYPES:
            call_name = declared  # "self.t: Transport = make_transport()": the declared type wins
        frame = self.frame
        if frame is None:
            if self.class_stack and "." not in name:
                self.class_stack[-1].class_attrs[name] = short(value)
            elif call_name and "." not in name:
                self.module_types[name] = call_name
            return
        if isinstance(target, cst.Attribute):
            line, column = self.pos(target)
            elements = tuple(short(e.value) for e in value.elements) if isinstance(value, (cst.List, cst.Tuple)) else ()
            frame.attr_assigns.append(
                AttrAssignFact(name, short(value), call_name, line, column, frame.loop_depth > 0, elements)
            )
            if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply):
                if frame.loop_depth and name in (dotted(value.left), dotted(value.right)):
                    frame.exponential = True
        elif isinstance(target, cst.Name):
            if call_name:
                frame.local_types[name] = call_name
            if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply):
                if frame.loop_depth and name in (dotted(value.left), dotted(value.right)):
                    frame.exponential = True

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if self.frame is None:
            return
        if isinstance(node.operator, (cst.PowerAssign, cst.LeftShiftAssign)):
            self.frame.exponential = True
        elif isinstance(node.operator, cst.MultiplyAssign) and self.frame.loop_depth:
            self.frame.exponential = True

    # -- expressions -----------------------------------------------------------

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if self.frame is not None and isinstance(node.operator, (cst.Power, cst.LeftShift)):
            self.frame.exponential = True

    def visit_Lambda(self, node: cst.Lambda) -> None:
        if self.offthread_depth:
            self.offthread_lambda_depth += 1

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        if self.offthread_lambda_depth:
            self.offthread_lambda_depth -= 1

    def visit_Call(self, node: cst.Call) -> None:
        callee = dotted(node.func) or _call_result_callee(node.func)
        resolved = self.qualify(callee) if callee else ""
        line, column = self.pos(node)
        frame = self.frame
        args = tuple(short(a.value) for a in node.args if a.keyword is None and not a.star)
        keywords = tuple((a.keyword.value, short(a.value)) for a in node.args if a.keyword is not None)
        fact = CallFact(
            callee=callee,
            resolved=resolved,
            args=args,
            keywords=keywords,
            line=line,
            column=column,
            in_loop=bool(frame and frame.loop_depth),
            offthread=self.offthread_lambda_depth > 0,
            assigned_to=self.assign_targets.pop(id(node), None),
            handlers=tuple(h for level in reversed(frame.handlers) for h in level) if frame else (),
            star_kwargs=any(a.star == "**" for a in node.args),
            condition=frame.conditions[-1] if frame and frame.conditions else "",
        )
        if frame is None:
            self.module_calls.append(fact)
        else:
            frame.calls.append(fact)
            if callee.rsplit(".", 1)[-1] == "pow":
                frame.exponential = True
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "status_forcelist":
                    self._status_collection(arg.value, "in", "status_forcelist")
        if callee.rsplit(".", 1)[-1] in _THREADLIKE_CALLS:
            self.offthread_depth += 1

    def leave_Call(self, original_node: cst.Call) -> None:
        callee = dotted(original_node.func) or ""
        if callee.rsplit(".", 1)[-1] in _THREADLIKE_CALLS:
            self.offthread_depth -= 1

    def visit_Name(self, node: cst.Name) -> None:
        if self.frame is not None and node.value in self.imports:
            self.frame.names.add(self.imports[node.value])

    def visit_Attribute(self, node: cst.Attribute) -> None:
        frame = self.frame
        if frame is None:
            return
        frame.attributes.add(node.attr.value)
        name = dotted(node)
        if name is not None and name.split(".", 1)[0] in self.imports:
            frame.names.add(self.qualify(name))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.frame is not None and len(node.value) < 64:
            try:
                value = node.evaluated_value
            except Exception:  # noqa: BLE001 - odd escapes in target code are not our problem
                return
            if isinstance(value, str):
                self.frame.strings.add(value.lower())

    def _imported_constant(self, node: cst.BaseExpression) -> str:
        """``RETRYABLE`` imported from another project module (not HTTPStatus): its qualified name."""
        name = dotted(node)
        if name is None or name in self.constants or _int_value(node) is not None:
            return ""
        root = name.split(".", 1)[0]
        if root not in self.imports or not name.split(".")[-1].isupper():
            return ""
        return self.qualify(name)

    def constant(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """A name of a module or class constant stands for its value; anything else for itself."""
        name = dotted(node)
        if name is not None and name in self.constants:
            return self.constants[name]
        return node

    def _status_collection(self, node: cst.BaseExpression, op: str, subject: str, at: cst.CSTNode | None = None) -> None:
        """Codes in a collection literal, or in a constant naming one (reported at ``at``, the comparison)."""
        frame = self.frame
        resolved = self.constant(node)
        if frame is None or not isinstance(resolved, (cst.Tuple, cst.List, cst.Set)):
            return
        for element in resolved.elements:
            value = _int_value(self.constant(element.value))
            if _is_status_literal(value):
                line, column = self.pos(element.value if resolved is node else (at or node))
                frame.status_compares.append(StatusCompareFact(op, value or 0, subject, line, column))

    def visit_Comparison(self, node: cst.Comparison) -> None:
        frame = self.frame
        if frame is None:
            return
        left: cst.BaseExpression = node.left
        for target in node.comparisons:
            self._compare(left, _op_text(target.operator), target.comparator)
            left = target.comparator

    def _compare(self, left: cst.BaseExpression, op: str, right: cst.BaseExpression) -> None:
        frame = self.frame
        assert frame is not None
        if op in ("in", "not in"):
            subject = short(left)
            if (
                op == "in"
                and isinstance(left, cst.BinaryOperation)
                and isinstance(left.operator, cst.FloorDivide)
                and _int_value(left.right) == 100
                and isinstance(right, (cst.Tuple, cst.List, cst.Set))
            ):
                for element in right.elements:
                    family = _int_value(element.value)
                    if family is not None and 1 <= family <= 5:
                        line, column = self.pos(element.value)
                        frame.status_compares.append(StatusCompareFact("class", family * 100, short(left.left), line, column))
                return
            imported = self._imported_constant(right)
            if imported:
                line, column = self.pos(right)
                frame.status_compares.append(StatusCompareFact(op, 0, subject, line, column, imported))
                return
            right = self.constant(right) if isinstance(self.constant(right), cst.Call) else right
            if isinstance(right, cst.Call) and dotted(right.func) == "range":
                bounds = [_int_value(a.value) for a in right.args]
                if len(bounds) >= 2 and all(_is_status_literal(b) or b == 600 for b in bounds[:2]):
                    line, column = self.pos(right)
                    frame.status_compares.append(StatusCompareFact(">=", bounds[0] or 0, subject, line, column))
                    frame.status_compares.append(StatusCompareFact("<", bounds[1] or 0, subject, line, column))
                return
            self._status_collection(right, op, subject, at=right)
            return
        for literal, other, flip in ((right, left, False), (left, right, True)):
            # status // 100 == 5
            if (
                isinstance(other, cst.BinaryOperation)
                and isinstance(other.operator, cst.FloorDivide)
                and _int_value(other.right) == 100
            ):
                value = _int_value(literal)
                if value is not None and 1 <= value <= 5 and op == "==":
                    line, column = self.pos(literal)
                    frame.status_compares.append(StatusCompareFact("class", value * 100, short(other.left), line, column))
                    return
            imported = self._imported_constant(literal)
            if imported and any(word in short(other).lower() for word in _STATUS_WORDS):
                line, column = self.pos(literal)
                frame.status_compares.append(StatusCompareFact(_FLIP.get(op, op) if flip else op, 0, short(other), line, column, imported))
                return
            value = _int_value(self.constant(literal))
            if not _is_status_literal(value) and value != 600:
                continue
            subject = short(other)
            named_status = isinstance(literal, (cst.Attribute, cst.Name)) and self.constant(literal) is literal
            if not named_status and not any(word in subject.lower() for word in _STATUS_WORDS):
                continue
            line, column = self.pos(literal)
            frame.status_compares.append(StatusCompareFact(_FLIP.get(op, op) if flip else op, value or 0, subject, line, column))
            return


# ---------------------------------------------------------------------------
# Entry point


def _top_level_names(module: cst.Module) -> set[str]:
    names: set[str] = set()
    for statement in module.body:
        if isinstance(statement, (cst.ClassDef, cst.FunctionDef)):
            names.add(statement.name.value)
    return names


_COLLECTION_CALLS = frozenset({"frozenset", "set", "tuple", "list"})


def _constant_value(value: cst.BaseExpression) -> cst.BaseExpression | None:
    """The literal a constant stands for: an int, or a tuple/list/set (``frozenset({...})`` too)."""
    if isinstance(value, cst.Call) and dotted(value.func) in _COLLECTION_CALLS and len(value.args) == 1:
        value = value.args[0].value
    if isinstance(value, (cst.Tuple, cst.List, cst.Set)) or _int_value(value) is not None:
        return value
    if isinstance(value, cst.Call) and dotted(value.func) == "range":
        return value
    return None


def _constants(body: Sequence[cst.BaseStatement | cst.BaseSmallStatement], prefix: str = "") -> dict[str, cst.BaseExpression]:
    """``RETRYABLE = frozenset({409, 500})`` and ``RATE_LIMITED: Final = 429`` at module or class level."""
    found: dict[str, cst.BaseExpression] = {}
    for statement in body:
        if isinstance(statement, cst.ClassDef) and not prefix:
            for name, value in _constants(statement.body.body, f"{statement.name.value}.").items():
                found[name] = value
                found["self." + name.split(".", 1)[1]] = value
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            target: cst.BaseExpression | None = None
            assigned: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, assigned = small.targets[0].target, small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                target, assigned = small.target, small.value
            if isinstance(target, cst.Name) and assigned is not None:
                constant = _constant_value(assigned)
                if constant is not None:
                    found[prefix + target.value] = constant
    return found


def extract(path: Path, module_name: str, source: bytes) -> tuple[ModuleFacts, cst.Module]:
    """Parse ``source`` and return its facts (raises libcst/Recursion/Unicode errors)."""
    module = cst.parse_module(source)
    is_package = path.name == "__init__.py"
    extractor = FactExtractor(module_name, is_package, _top_level_names(module), _constants(module.body))
    MetadataWrapper(module, unsafe_skip_copy=True).visit(extractor)
    facts = ModuleFacts(
        path=path,
        module=module_name,
        imports=tuple(extractor.imports.items()),
        classes=tuple(extractor.classes),
        functions=tuple(extractor.functions),
        module_calls=tuple(extractor.module_calls),
        module_types=tuple(extractor.module_types.items()),
        suppressions=suppressions_by_line(source),
    )
    return facts, module
