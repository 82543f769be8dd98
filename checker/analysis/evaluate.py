"""Values by evaluation: what a status helper answers for each HTTP status.

The flattened facts say *that* a function compares a status with 429; they cannot say what
the function then returns. This module evaluates one function's body over the standard
library's ``ast`` with its status parameter bound to a concrete code, so a classifier that
returns a label (``"permanent_failure"``), a boolean predicate (``is_retryable(exc)``) or an
enum member can be read as a table: status → answer.

Only what the code decides is evaluated: literals, module and class constants, tuples, sets,
frozensets, ranges, ``in``, chained comparisons, ``//`` and ``%``, ``not``/``and``/``or``,
conditional expressions, ``isinstance`` on the bound value, early returns and raises. Anything
else — a call, an attribute of an unknown object, a loop — makes the answer *unknown*, and an
unknown answer is never turned into a finding.
"""

from __future__ import annotations

import ast
import http
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

# The statuses the delivery table is computed for (issue: representative codes of each class).
REPRESENTATIVE_STATUSES: Final = (
    200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 408, 409, 410, 413, 422, 429, 500, 501, 502, 503, 504,
)
STATUS_ATTRIBUTES: Final = frozenset({"status", "status_code", "code", "http_status", "status_int"})
_STATUS_NAMES: Final = {s.name: int(s) for s in http.HTTPStatus}


class Undecided(Exception):
    """The code does not decide the answer from what is known."""


@dataclass(frozen=True, slots=True)
class Carrier:
    """An error or a response that carries an HTTP status (``exc.status``, ``response.status_code``)."""

    status: int


@dataclass(frozen=True, slots=True)
class Member:
    """A symbolic value such as an enum member ``Outcome.RETRY``."""

    name: str


@dataclass(frozen=True, slots=True)
class Raised:
    """The function raised (the exception's name, as written)."""

    name: str


_COMPARE: Final[Mapping[type[ast.cmpop], Callable[[object, object], object]]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: operator.contains(b, a),  # type: ignore[arg-type]
    ast.NotIn: lambda a, b: not operator.contains(b, a),  # type: ignore[arg-type]
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_BINARY: Final[Mapping[type[ast.operator], Callable[[object, object], object]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COLLECTIONS: Final = {"frozenset": frozenset, "set": frozenset, "tuple": tuple, "list": tuple}


def module_constants(module: ast.Module) -> dict[str, object]:
    """Module- and class-level names bound once to something evaluable (``RETRYABLE = {500, 503}``)."""
    constants: dict[str, object] = {}
    classes = {node.name for node in module.body if isinstance(node, ast.ClassDef)}
    scope = _Scope(constants, classes)

    def collect(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            target: ast.expr | None = None
            value: ast.expr | None = None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            elif isinstance(node, ast.ClassDef) and not prefix:
                collect(node.body, f"{node.name}.")
            if isinstance(target, ast.Name) and value is not None:
                try:
                    constants[prefix + target.id] = scope.value(value)
                except Undecided:
                    continue

    collect(module.body, "")
    return constants


class _Scope:
    """Evaluates expressions against local bindings, then the module's constants."""

    def __init__(self, constants: Mapping[str, object], classes: set[str], local: dict[str, object] | None = None) -> None:
        self.constants = constants
        self.classes = classes
        self.local = local if local is not None else {}

    def value(self, node: ast.expr) -> object:  # noqa: C901 - one case per expression kind
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.local:
                return self.local[node.id]
            if node.id in self.constants:
                return self.constants[node.id]
            raise Undecided(node.id)
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, (ast.Tuple, ast.List)):
            return tuple(self.value(e) for e in node.elts)
        if isinstance(node, ast.Set):
            return frozenset(self.value(e) for e in node.elts)
        if isinstance(node, ast.Compare):
            left = self.value(node.left)
            for op, comparator in zip(node.ops, node.comparators):
                right = self.value(comparator)
                if not self._apply(_COMPARE, op, left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.BoolOp):
            return self._bool_op(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.value(node.operand)
            if isinstance(node.op, ast.Not):
                return not operand
            if isinstance(node.op, ast.USub) and isinstance(operand, int):
                return -operand
            raise Undecided("unary")
        if isinstance(node, ast.BinOp):
            return self._apply(_BINARY, node.op, self.value(node.left), self.value(node.right))
        if isinstance(node, ast.IfExp):
            return self.value(node.body) if self.value(node.test) else self.value(node.orelse)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise Undecided(type(node).__name__)

    def _apply(self, table: Mapping[type, Callable[[object, object], object]], op: object, a: object, b: object) -> object:
        function = table.get(type(op))
        if function is None or isinstance(a, Carrier) or isinstance(b, Carrier):
            raise Undecided("operator")
        try:
            return function(a, b)
        except (TypeError, ZeroDivisionError) as exc:
            raise Undecided("operator") from exc

    def _bool_op(self, node: ast.BoolOp) -> object:
        result: object = None
        for operand in node.values:
            result = self.value(operand)
            if isinstance(node.op, ast.And) and not result:
                return result
            if isinstance(node.op, ast.Or) and result:
                return result
        return result

    def _attribute(self, node: ast.Attribute) -> object:
        if isinstance(node.value, ast.Name):
            base = node.value.id
            if base in self.local:
                holder = self.local[base]
                if isinstance(holder, Carrier):
                    if node.attr in STATUS_ATTRIBUTES:
                        return holder.status
                    if node.attr == "ok":
                        return 200 <= holder.status < 400
                raise Undecided(node.attr)
            if base in ("HTTPStatus", "http.HTTPStatus") and node.attr in _STATUS_NAMES:
                return _STATUS_NAMES[node.attr]
            qualified = f"{base}.{node.attr}"
            if qualified in self.constants:
                return self.constants[qualified]
            if base in self.classes:
                return Member(qualified)  # an enum member, or a class constant we could not read
        if isinstance(node.value, ast.Attribute) and node.value.attr == "HTTPStatus" and node.attr in _STATUS_NAMES:
            return _STATUS_NAMES[node.attr]
        raise Undecided(ast.unparse(node))

    def _call(self, node: ast.Call) -> object:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        args = node.args
        if name in _COLLECTIONS and len(args) == 1 and not node.keywords:
            inner = self.value(args[0])
            if isinstance(inner, (tuple, frozenset, range)):
                return _COLLECTIONS[name](inner)
        if name == "range" and 1 <= len(args) <= 3 and not node.keywords:
            bounds = [self.value(a) for a in args]
            if all(isinstance(b, int) for b in bounds):
                return range(*bounds)  # type: ignore[arg-type]
        if name == "isinstance" and len(args) == 2:
            subject = self.value(args[0])
            if isinstance(subject, Carrier):
                return True  # the case evaluated is "an error carrying this status"
            if isinstance(subject, int) and isinstance(args[1], ast.Name) and args[1].id == "int":
                return True
        if name == "int" and len(args) == 1:
            inner = self.value(args[0])
            if isinstance(inner, int):
                return inner
        raise Undecided(ast.unparse(node.func))


class _Return(Exception):
    def __init__(self, value: object) -> None:
        self.value = value


def _run(body: list[ast.stmt], scope: _Scope) -> None:
    """Executes statements; ``_Return`` carries the answer out."""
    for statement in body:
        if isinstance(statement, ast.Return):
            raise _Return(None if statement.value is None else scope.value(statement.value))
        if isinstance(statement, ast.Raise):
            exc = statement.exc
            target = exc.func if isinstance(exc, ast.Call) else exc
            raise _Return(Raised(ast.unparse(target) if target is not None else "re-raise"))
        if isinstance(statement, ast.If):
            _run(statement.body if scope.value(statement.test) else statement.orelse, scope)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            if statement.value is None:
                continue
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                raise Undecided("assignment")
            try:
                scope.local[targets[0].id] = scope.value(statement.value)
            except Undecided:
                scope.local.pop(targets[0].id, None)  # an unknown local: using it later is undecided
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring
        elif isinstance(statement, (ast.Pass, ast.FunctionDef, ast.AsyncFunctionDef, ast.Import, ast.ImportFrom)):
            continue
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            continue  # a call for its side effect (a log line); it does not decide the answer
        else:
            raise Undecided(type(statement).__name__)


def answer(function: ast.FunctionDef | ast.AsyncFunctionDef, bound: object, constants: Mapping[str, object], classes: set[str]) -> object:
    """What ``function`` returns (or ``Raised``) with its first parameter (after self/cls) bound to ``bound``."""
    params = [a.arg for a in function.args.posonlyargs + function.args.args]
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    if not params:
        raise Undecided("no parameter")
    scope = _Scope(constants, classes, {params[0]: bound})
    try:
        _run(function.body, scope)
    except _Return as result:
        return result.value
    except RecursionError as exc:
        raise Undecided("too deep") from exc
    return None


def status_table(
    function: ast.FunctionDef | ast.AsyncFunctionDef, constants: Mapping[str, object], classes: set[str]
) -> dict[int, object] | None:
    """status → answer for every representative status, or None when any one is undecided.

    The parameter is bound to the code itself when its name says it is one (``status``,
    ``code``), otherwise to an object carrying it (``exc.status``, ``response.status_code``).
    """
    params = [a.arg for a in function.args.posonlyargs + function.args.args if a.arg not in ("self", "cls")]
    if not params:
        return None
    as_int = any(word in params[0].lower() for word in ("status", "code"))
    table: dict[int, object] = {}
    for status in REPRESENTATIVE_STATUSES:
        try:
            table[status] = answer(function, status if as_int else Carrier(status), constants, classes)
        except Undecided:
            return None
    return table


def find_function(module: ast.Module, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The ``def`` whose name is on ``line`` (decorators come before it)."""
    for node in ast.walk(module):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.lineno
            if first == line or (node.decorator_list and node.decorator_list[0].lineno <= line <= first):
                return node
    return None
