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
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from .extraction import single_binding

# The statuses the delivery table is computed for (issue: representative codes of each class).
REPRESENTATIVE_STATUSES: Final = (
    200,
    201,
    204,
    301,
    302,
    304,
    400,
    401,
    403,
    404,
    408,
    409,
    410,
    413,
    422,
    429,
    500,
    501,
    502,
    503,
    504,
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
    ast.Lt: lambda a, b: a < b,  # type: ignore[operator]
    ast.LtE: lambda a, b: a <= b,  # type: ignore[operator]
    ast.Gt: lambda a, b: a > b,  # type: ignore[operator]
    ast.GtE: lambda a, b: a >= b,  # type: ignore[operator]
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
            if isinstance(node, ast.ClassDef) and not prefix:
                collect(node.body, f"{node.name}.")
            binding = single_binding(node)
            if binding is not None:
                try:
                    constants[prefix + binding[0]] = scope.value(binding[1])
                except Undecided:
                    continue

    collect(module.body, "")
    return constants


class _Scope:
    """Evaluates expressions against local bindings, then the module's constants."""

    def __init__(
        self, constants: Mapping[str, object], classes: set[str], local: dict[str, object] | None = None
    ) -> None:
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
            for op, comparator in zip(node.ops, node.comparators, strict=True):
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

    def _apply(
        self, table: Mapping[type, Callable[[object, object], object]], op: object, a: object, b: object
    ) -> object:
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
            bounds = [bound for bound in (self.value(a) for a in args) if isinstance(bound, int)]
            if len(bounds) == len(args):
                return range(*bounds)
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


def answer(
    function: ast.FunctionDef | ast.AsyncFunctionDef, bound: object, constants: Mapping[str, object], classes: set[str]
) -> object:
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


_DEFS_BY_LINE: weakref.WeakKeyDictionary[ast.Module, dict[int, ast.FunctionDef | ast.AsyncFunctionDef]] = (
    weakref.WeakKeyDictionary()
)


def find_function(module: ast.Module, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The ``def`` whose name is on ``line`` (decorators come before it)."""
    if module not in _DEFS_BY_LINE:  # one walk per module, not one per question
        found: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for node in ast.walk(module):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
                found.setdefault(node.lineno, node)
                for decorated in range(first, node.lineno):
                    found.setdefault(decorated, node)
        _DEFS_BY_LINE[module] = found
    return _DEFS_BY_LINE[module].get(line)


# ---------------------------------------------------------------------------
# The retry loop: what one pass of its body does after the send, for each status

RETRY: Final = "retry"  # the loop goes round again: the request is sent once more
LEAVE: Final = "leave"  # return/break: delivered, or given up — either way, not retried
RAISE: Final = "raise"  # the failure goes to the caller (or to a retry decorator around it)


class _Next(Exception):
    """``continue``, or the end of the loop body: another attempt."""


class _Leave(Exception):
    def __init__(self, how: str) -> None:
        self.how = how


# The function a call names, with the constants and class names of the module defining it.
Definition = tuple[ast.FunctionDef | ast.AsyncFunctionDef, Mapping[str, object], set[str]]
Lookup = Callable[[ast.Call], Definition | None]


class _LoopScope(_Scope):
    """A scope that can also call the module's status helpers (``label = outcome_for(status)``)."""

    def __init__(
        self, constants: Mapping[str, object], classes: set[str], local: dict[str, object], lookup: Lookup
    ) -> None:
        super().__init__(constants, classes, local)
        self.lookup = lookup

    def _call(self, node: ast.Call) -> object:
        try:
            return super()._call(node)
        except Undecided:
            found = self.lookup(node)
            if found is None or not node.args:
                raise
            helper, constants, classes = found
            return answer(helper, self.value(node.args[0]), constants, classes)

    def may_raise(self, node: ast.Call) -> bool:
        """A call for its effect that may end the pass by raising (a ``_give_up()`` helper), or
        ``raise_for_status()`` on an error status."""
        if isinstance(node.func, ast.Attribute) and node.func.attr == "raise_for_status":
            holder = self.local.get(node.func.value.id) if isinstance(node.func.value, ast.Name) else None
            return not isinstance(holder, Carrier) or holder.status >= 400
        found = self.lookup(node)
        return found is not None and any(isinstance(n, ast.Raise) for n in ast.walk(found[0]))


def _loop_body(body: list[ast.stmt], scope: _LoopScope) -> None:
    """Runs a block of the loop body; raises _Next, _Leave, or Undecided."""
    for statement in body:
        if isinstance(statement, ast.Continue):
            raise _Next
        if isinstance(statement, (ast.Return, ast.Break)):
            raise _Leave(LEAVE)
        if isinstance(statement, ast.Raise):
            raise _Leave(RAISE)
        if isinstance(statement, ast.If):
            try:
                test = scope.value(statement.test)
            except Undecided:
                _both_branches(statement, scope)  # the same outcome either way, or Undecided
                continue
            _loop_body(statement.body if test else statement.orelse, scope)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            _bind(statement, scope)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            _loop_body(statement.body, scope)
        elif isinstance(statement, ast.Try) and not statement.finalbody:
            _loop_body(statement.body + statement.orelse, scope)  # the send succeeded: no handler runs
        elif isinstance(statement, (ast.For, ast.AsyncFor, ast.While)) and not any(
            isinstance(n, (ast.Return, ast.Raise, ast.Break, ast.Continue, ast.Yield)) for n in ast.walk(statement)
        ):
            continue  # an inner loop for its effect (notifying listeners) does not change the course
        elif (
            isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Call)
            and scope.may_raise(statement.value)
        ):
            raise Undecided("a call that may raise")
        elif isinstance(statement, (ast.Expr, ast.Pass, ast.Assert, ast.Delete, ast.Global, ast.Nonlocal)):
            continue  # a call for its effect (a log line, a sleep) does not change the course
        else:
            raise Undecided(type(statement).__name__)


def _both_branches(statement: ast.If, scope: _LoopScope) -> None:
    """An ``if`` the evaluator cannot decide. When its test reads nothing derived from the
    response (``if attempt == last or self._stop.wait(delay): break``), the status does not
    decide it either: the pass can go on, so the branch that goes on is followed. A test that
    reads the response or a value computed from it stays undecided."""
    read = {n.id for n in ast.walk(statement.test) if isinstance(n, ast.Name)}
    if read & set(scope.local):
        raise Undecided("a branch on the status that could not be evaluated")
    outcomes = set()
    for branch in (statement.body, statement.orelse):
        try:
            _loop_body(branch, _LoopScope(scope.constants, scope.classes, dict(scope.local), scope.lookup))
            outcomes.add("fall")
        except _Next:
            outcomes.add(RETRY)
        except _Leave as leave:
            outcomes.add(leave.how)
    if "fall" in outcomes:
        return
    if RETRY in outcomes:
        raise _Next
    if len(outcomes) == 1:
        raise _Leave(outcomes.pop())
    raise Undecided("branches that end differently")


def _bind(statement: ast.Assign | ast.AnnAssign | ast.AugAssign, scope: _LoopScope) -> None:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    if isinstance(statement, ast.AugAssign) or statement.value is None or len(names) != len(targets):
        for name in names:
            scope.local.pop(name, None)
        return
    try:
        value = scope.value(statement.value)
    except Undecided:
        for name in names:
            scope.local.pop(name, None)
        return
    for name in names:
        scope.local[name] = value


def _path_to(body: list[ast.stmt], line: int) -> list[tuple[list[ast.stmt], int]] | None:
    """The blocks and statement indexes leading from ``body`` to the statement on ``line``."""
    for index, statement in enumerate(body):
        end = getattr(statement, "end_lineno", statement.lineno) or statement.lineno
        if not statement.lineno <= line <= end:
            continue
        if isinstance(statement, (ast.Try, ast.With, ast.AsyncWith, ast.If)) and statement.lineno != line:
            blocks = [statement.body] + ([statement.orelse] if isinstance(statement, (ast.Try, ast.If)) else [])
            for block in blocks:
                inner = _path_to(block, line)
                if inner is not None:
                    return [(body, index), *inner]
            return None
        return [(body, index)]
    return None


def loop_table(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    send_line: int,
    constants: Mapping[str, object],
    classes: set[str],
    lookup: Lookup,
) -> dict[int, str] | None:
    """status → RETRY / LEAVE / RAISE for one pass of the retry loop after the send on ``send_line``.

    The response the send returns is bound to an object carrying the status; the rest of the
    pass is run statement by statement. None when the loop or any status is undecided.
    """
    loop = next(
        (
            node
            for node in ast.walk(function)
            if isinstance(node, (ast.For, ast.While, ast.AsyncFor))
            and node.lineno <= send_line <= (node.end_lineno or node.lineno)
            and not any(
                isinstance(inner, (ast.For, ast.While, ast.AsyncFor))
                and inner is not node
                and inner.lineno <= send_line <= (inner.end_lineno or inner.lineno)
                for inner in ast.walk(node)
            )
        ),
        None,
    )
    path = _path_to(loop.body, send_line) if loop is not None else None
    if not path:
        return None
    block, index = path[-1]
    send = block[index]
    if not (isinstance(send, ast.Assign) and len(send.targets) == 1 and isinstance(send.targets[0], ast.Name)):
        return None
    response = send.targets[0].id
    table: dict[int, str] = {}
    for status in REPRESENTATIVE_STATUSES:
        scope = _LoopScope(constants, classes, {response: Carrier(status)}, lookup)
        try:
            # the rest of the send's block, then the rest of each enclosing block, outwards
            for depth in range(len(path) - 1, -1, -1):
                enclosing, at = path[depth]
                _loop_body(enclosing[at + 1 :], scope)
            table[status] = RETRY
        except _Next:
            table[status] = RETRY
        except _Leave as leave:
            table[status] = leave.how
        except (Undecided, RecursionError):
            return None
    return table
