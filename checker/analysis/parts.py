"""Analyses over the publisher view that rules share: the parts of the recipe.

Each analysis is computed once per run and memoised on the ``Publisher``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .evaluate import RETRY, Definition, find_function, loop_table, status_table
from .facts import AttrAssignFact, CallFact, DecoratorFact, ExceptFact, ModuleFacts, StatusCompareFact
from .project import (
    APPEND_METHODS,
    ASYNC_QUEUE_TYPES,
    DEQUE_TYPES,
    DRAINING_METHODS,
    ENQUEUE_METHODS,
    EXECUTOR_TYPES,
    LIST_TYPES,
    QUEUE_TYPES,
    THREAD_TYPES,
    UNBOUNDED_QUEUE_TYPES,
    Client,
    Func,
    Hop,
    Klass,
    Project,
    Publisher,
    is_callback_name,
    matches,
)

T = TypeVar("T")


def memo(fn: Callable[[Publisher], T]) -> Callable[[Publisher], T]:
    def wrapper(publisher: Publisher) -> T:
        if fn.__name__ not in publisher.cache:
            publisher.cache[fn.__name__] = fn(publisher)
        return publisher.cache[fn.__name__]  # type: ignore[return-value]

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def chain_text(publish: Func, chain: tuple[Hop, ...]) -> str:
    names = [publish.fact.name] + [hop.call.callee.rsplit(".", 1)[-1] for hop in chain]
    return " → ".join(names)


# ---------------------------------------------------------------------------
# The publish path: enqueue sites, buffers, blocking calls


@dataclass(frozen=True, slots=True)
class EnqueueSite:
    client: Client
    publish: Func
    func: Func  # the function making the enqueue call
    call: CallFact
    chain: tuple[Hop, ...]

    @property
    def handlers(self) -> tuple[ExceptFact, ...]:
        """Every except clause around the enqueue, in the function and up the chain."""
        return (*self.call.handlers, *(h for hop in self.chain for h in hop.call.handlers))


@memo
def enqueue_sites(publisher: Publisher) -> list[EnqueueSite]:
    project = publisher.project
    sites: list[EnqueueSite] = []
    seen: set[tuple[str, int]] = set()
    appends: list[EnqueueSite] = []
    for client in publisher.clients:
        for publish in client.publish_methods:
            for func, chain in project.walk(publish, same_thread=True):
                for call in func.fact.calls:
                    if call.offthread or (str(func.module.path), call.line) in seen:
                        continue
                    if call.method in ENQUEUE_METHODS and call.receiver:
                        seen.add((str(func.module.path), call.line))
                        sites.append(EnqueueSite(client, publish, func, call, chain))
                    elif call.method in APPEND_METHODS and project.is_drained_buffer(func, call.receiver, publish):
                        seen.add((str(func.module.path), call.line))
                        appends.append(EnqueueSite(client, publish, func, call, chain))
    # A put() on the path is the enqueue; appends beside it are bookkeeping (lists of consumers …).
    return sites or appends


@dataclass(frozen=True, slots=True)
class Buffer:
    kind: str  # "queue", "simple", "deque", "list", "asyncio", "unknown"
    type_name: str | None
    owner: Func | None  # the function that constructs it
    construction: CallFact | None
    assignment: AttrAssignFact | None

    @property
    def line(self) -> int | None:
        if self.construction is not None:
            return self.construction.line
        return self.assignment.line if self.assignment is not None else None


def _kind(type_name: str | None) -> str:
    if type_name in QUEUE_TYPES:
        return "queue"
    if type_name in UNBOUNDED_QUEUE_TYPES:
        return "simple"
    if type_name in DEQUE_TYPES:
        return "deque"
    if type_name in LIST_TYPES:
        return "list"
    if type_name in ASYNC_QUEUE_TYPES:
        return "asyncio"
    return "unknown"


def buffer_of(publisher: Publisher, site: EnqueueSite) -> Buffer:
    project = publisher.project
    receiver = site.call.receiver
    type_name = project.receiver_type(site.func, receiver)
    if type_name is not None and "." in type_name and type_name not in QUEUE_TYPES:
        klass = project.find_class(type_name)
        if klass is not None and project.is_subclass(klass, QUEUE_TYPES):
            type_name = "queue.Queue"
    kind = _kind(type_name)
    owner: Func | None = None
    construction: CallFact | None = None
    assignment: AttrAssignFact | None = None
    parts = receiver.split(".")
    klass = project.class_of(site.func)
    if parts[0] == "self" and len(parts) == 2 and klass is not None:
        for method, assign in project.assignments_to(klass, receiver)[:1]:
            owner, assignment = method, assign
            construction = next((c for c in method.fact.calls if c.assigned_to == receiver and c.line == assign.line), None)
    return Buffer(kind, type_name, owner, construction, assignment)


BLOCKING_BUILTINS = {"open": "open() (file I/O)", "input": "input()"}
NEVER_FULL_TYPES = LIST_TYPES | DEQUE_TYPES | UNBOUNDED_QUEUE_TYPES  # their put() cannot wait
SLEEPS = frozenset({"time.sleep"})


def blocking_reason(publisher: Publisher, func: Func, call: CallFact) -> str | None:
    """Why ``call`` can block the caller's thread, or None."""
    project = publisher.project
    name = project.external_name(func, call)
    method = call.method
    if name in SLEEPS:
        return "time.sleep()"
    if project.is_http_call(func, call) and not name.startswith("requests_futures."):
        return f"HTTP I/O ({call.callee}())"  # a FuturesSession only hands the request to its executor
    if call.callee in BLOCKING_BUILTINS and name == call.callee:
        return BLOCKING_BUILTINS[call.callee]
    if name.startswith("subprocess."):
        return f"{name}()"
    if name.startswith("socket.") and method in {"connect", "sendall", "recv", "create_connection"}:
        return f"{name}() (socket I/O)"
    if method == "join" and call.receiver and not call.args[:1] and not name.startswith(("os.path", "posixpath", "str")):
        return f"{call.callee}() (waits for a thread or queue)"
    if method == "put" and call.receiver and not non_blocking_put(call):
        receiver_type = project.receiver_type(func, call.receiver)
        if receiver_type not in NEVER_FULL_TYPES:
            if built_unbounded(publisher, func, call.receiver):
                # It cannot wait today, but will the moment PUB003's bound is added.
                return f"{call.callee}() (blocking put: waits once the queue gets its bound, see PUB003)"
            return f"{call.callee}() (blocking put: waits while the queue is full)"
    if method == "wait" and call.receiver:
        receiver_type = project.receiver_type(func, call.receiver) or ""
        if receiver_type.startswith(("threading.", "asyncio.")):
            return f"{call.callee}() (waits on {receiver_type})"
    if method == "result" and call.receiver and not call.args and call.keyword("timeout") is None:
        receiver_type = project.receiver_type(func, call.receiver) or ""
        if "Future" in receiver_type:
            return f"{call.callee}() (waits for a future)"
    return None


def built_unbounded(publisher: Publisher, func: Func, receiver: str) -> bool:
    """``self._q = queue.Queue()``: a put on it cannot wait until PUB003's bound is added."""
    klass = publisher.project.class_of(func)
    if klass is None or not receiver.startswith("self."):
        return False
    for method in publisher.project.methods(klass).values():
        for call in method.fact.calls:
            if call.assigned_to == receiver and call.resolved in QUEUE_TYPES:
                size = call.keyword("maxsize") or (call.args[0] if call.args else None)
                return size is None or (size.lstrip("-").isdigit() and int(size) <= 0)
    return False


def non_blocking_put(call: CallFact) -> bool:
    if call.method == "put_nowait":
        return True
    block = call.keyword("block")
    if block is None and len(call.args) >= 2:
        block = call.args[1]
    # block=not self.drop_when_full: decided at run time, so not proven blocking (unknown is no finding)
    return block is not None and block not in ("True", "1")


@dataclass(frozen=True, slots=True)
class BlockingCall:
    publish: Func
    func: Func
    call: CallFact
    chain: tuple[Hop, ...]
    reason: str


@memo
def blocking_calls(publisher: Publisher) -> list[BlockingCall]:
    found: list[BlockingCall] = []
    seen: set[tuple[str, int, int]] = set()
    def blocks(func: Func, call: CallFact) -> bool:
        return blocking_reason(publisher, func, call) is not None

    for client in publisher.clients:
        for publish in client.publish_methods:
            # Stop at the first blocking call: what it does inside (a library) is not news.
            for func, chain in publisher.project.walk(publish, same_thread=True, stop=blocks):
                for call in func.fact.calls:
                    if call.offthread:
                        continue
                    reason = blocking_reason(publisher, func, call)
                    key = (str(func.module.path), call.line, call.column)
                    if reason and key not in seen:
                        seen.add(key)
                        found.append(BlockingCall(publish, func, call, chain, reason))
    return found


# ---------------------------------------------------------------------------
# Worker threads


@dataclass(frozen=True, slots=True)
class ThreadSite:
    func: Func | None  # the creating function (None for a Thread subclass finding)
    klass: Klass | None  # the Thread subclass, when it is one
    call: CallFact | None
    daemon: bool
    kind: str  # "thread", "subclass", "executor"


def _made_daemon_later(publisher: Publisher, func: Func, target: str | None) -> bool:
    if not target:
        return False
    functions = [func]
    klass = publisher.project.class_of(func)
    if target.startswith("self.") and klass is not None:
        functions = list(publisher.project.methods(klass).values())
    for fn in functions:
        for assign in fn.fact.attr_assigns:
            if assign.target == f"{target}.daemon" and assign.value == "True":
                return True
        for call in fn.fact.calls:
            if call.callee == f"{target}.setDaemon" and call.args[:1] == ("True",):
                return True
    return False


def _subclass_is_daemon(publisher: Publisher, klass: Klass) -> bool:
    project = publisher.project
    for current in (klass, *project.bases(klass)):
        if dict(current.fact.class_attrs).get("daemon") == "True":
            return True
        for method in project.own_methods(current):
            for call in method.fact.calls:
                is_init = call.callee == "super().__init__" or (
                    call.method == "__init__" and call.resolved.rsplit(".", 1)[0] in THREAD_TYPES
                )
                if is_init and call.keyword("daemon") == "True":
                    return True
                if call.callee == "self.setDaemon" and call.args[:1] == ("True",):
                    return True
            for assign in method.fact.attr_assigns:
                if assign.target == "self.daemon" and assign.value == "True":
                    return True
    return False


@memo
def thread_sites(publisher: Publisher) -> list[ThreadSite]:
    project = publisher.project
    sites: list[ThreadSite] = []
    subclasses: dict[tuple[str, str], Klass] = {}
    creations: dict[tuple[str, str], list[bool]] = {}
    for func in publisher.functions():
        for call in func.fact.calls:
            name = project.external_name(func, call)
            if name in THREAD_TYPES:
                daemon = call.keyword("daemon") == "True" or _made_daemon_later(publisher, func, call.assigned_to)
                sites.append(ThreadSite(func, None, call, daemon, "thread"))
            elif name in EXECUTOR_TYPES:
                sites.append(ThreadSite(func, None, call, False, "executor"))
            elif "." in call.resolved:
                klass = project.find_class(call.resolved)
                if klass is not None and project.is_subclass(klass, THREAD_TYPES):
                    subclasses[klass.key] = klass
                    made = call.keyword("daemon") == "True" or _made_daemon_later(publisher, func, call.assigned_to)
                    creations.setdefault(klass.key, []).append(made)
    for klass in publisher.reach_classes.values():
        if project.is_subclass(klass, THREAD_TYPES):
            subclasses.setdefault(klass.key, klass)
    for key, klass in subclasses.items():
        made_daemon = creations.get(key, [])
        daemon = _subclass_is_daemon(publisher, klass) or (bool(made_daemon) and all(made_daemon))
        sites.append(ThreadSite(None, klass, None, daemon, "subclass"))
    return sites


# ---------------------------------------------------------------------------
# Delivery: sending, retrying, classifying


_CONSUMING_METHODS = frozenset({"get", "get_nowait", "popleft"})


@memo
def event_path(publisher: Publisher) -> list[Func]:
    """The functions events travel through: publish, the consumers of the queue, flush and close.

    A component that also talks HTTP for other reasons (a feature-flag poller, a tracing
    helper) is not on the path, so its requests are not judged as deliveries.
    """
    project = publisher.project
    roots: list[Func] = [p for client in publisher.clients for p in client.publish_methods]
    for client in publisher.clients:
        config = publisher.config
        roots += client_method(publisher, client, config.flush_methods + config.close_methods)
    for func in publisher.functions():
        if any(c.method in _CONSUMING_METHODS and c.receiver and not c.args[:1] for c in func.fact.calls):
            roots.append(func)
    roots += _list_consumers(publisher)
    found: dict[tuple[str, str], Func] = {}
    while roots:
        root = roots.pop()
        if root.key in found:
            continue
        for reached, _chain in project.walk(root):
            found.setdefault(reached.key, reached)
            roots.extend(_handed_off(publisher, reached))  # pool.submit(self._deliver, e) …
        for nested in root.module.nested_in(root.fact.qualname):
            found.setdefault((str(root.module.path), nested.qualname), Func(root.module, nested))
    return list(found.values())


def _list_consumers(publisher: Publisher) -> list[Func]:
    """Methods that empty a list or deque buffer (``batch, self._ready = self._ready, []``,
    ``self._buf.popleft()``): the worker's side of an append-and-swap buffer."""
    project = publisher.project
    found = []
    for site in enqueue_sites(publisher):
        klass = project.class_of(site.func)
        if site.call.method not in APPEND_METHODS or klass is None:
            continue
        receiver = site.call.receiver
        for method in project.methods(klass).values():
            if method.key == site.func.key or method.fact.name == "__init__":
                continue
            drains = any(c.receiver == receiver and c.method in DRAINING_METHODS for c in method.fact.calls)
            if drains or any(a.target == receiver for a in method.fact.attr_assigns):
                found.append(method)
    return found


def _handed_off(publisher: Publisher, func: Func) -> list[Func]:
    """Functions ``func`` hands to another thread: ``Thread(target=f)``, ``pool.submit(f, …)``."""
    handed = []
    for call in func.fact.calls:
        texts = [v for k, v in call.keywords if k == "target"]
        if call.method in ("submit", "apply_async") and call.args:
            texts.append(call.args[0])
        elif call.method == "run_in_executor" and len(call.args) > 1:
            texts.append(call.args[1])
        for text in texts:
            referenced = publisher.project.reference(func, text)
            if referenced is not None:
                handed.append(referenced)
    return handed


@memo
def send_functions(publisher: Publisher) -> list[tuple[Func, CallFact]]:
    """Functions on the event path that make an HTTP request, with their first such call."""
    project = publisher.project
    found = []
    for func in event_path(publisher):
        for call in func.fact.calls:
            if project.is_http_call(func, call):
                found.append((func, call))
                break
    return sorted(found, key=lambda item: (str(item[0].module.path), item[0].fact.line))


EXPONENTIAL_NAMES = frozenset(
    {
        "backoff.expo",
        "backoff._wait_gen.expo",
        "tenacity.wait_exponential",
        "tenacity.wait_random_exponential",
        "tenacity.wait_exponential_jitter",
        "tenacity.wait.wait_exponential",
        "tenacity.wait.wait_random_exponential",
    }
)
RETRY_DECORATORS = frozenset({"backoff.on_exception", "backoff.on_predicate", "tenacity.retry", "retrying.retry"})
RETRY_OBJECTS = frozenset({"tenacity.Retrying", "tenacity.AsyncRetrying", "tenacity.retry", "backoff.on_exception", "backoff.on_predicate"})


@dataclass(frozen=True, slots=True)
class Retry:
    kind: str  # "loop", "decorator", "urllib3", "requeue"
    func: Func
    line: int
    column: int
    exponential: bool
    respects_retry_after: bool = False
    send_line: int = 0  # for a loop: the first send in it


def _reaches(publisher: Publisher, func: Func, predicate: Callable[[Func, CallFact], bool], depth: int) -> bool:
    for reached, _chain in publisher.project.walk(func, max_depth=depth):
        if any(predicate(reached, call) for call in reached.fact.calls):
            return True
    return False


def _is_wait(publisher: Publisher, func: Func, call: CallFact) -> bool:
    name = publisher.project.external_name(func, call)
    if name in SLEEPS or call.method == "sleep":
        return True
    return call.method == "wait" and bool(call.args or call.keywords)


def _exponential_near(publisher: Publisher, func: Func) -> bool:
    for reached, _chain in publisher.project.walk(func, max_depth=3):
        if reached.fact.has_exponential_math or reached.fact.names & EXPONENTIAL_NAMES:
            return True
    return False


_DELAY_WORDS = ("delay", "backoff", "attempt", "retry", "wait", "sleep")


def _names_a_delay(call: CallFact) -> bool:
    """A wait whose argument is a retry delay, not a polling interval."""
    arguments = (*call.args, *(v for _, v in call.keywords))
    return any(word in text.lower() for text in arguments for word in _DELAY_WORDS if "interval" not in text.lower())


@memo
def retries(publisher: Publisher) -> list[Retry]:
    project = publisher.project
    found: list[Retry] = []
    senders = {func.key for func, _ in send_functions(publisher)}

    def sends(fn: Func, call: CallFact) -> bool:
        if project.is_http_call(fn, call):
            return True
        target = project.resolve_call(fn, call)
        return target is not None and (
            target.key in senders or _reaches(publisher, target, project.is_http_call, depth=3)
        )

    for func in publisher.functions():
        for decorator in func.fact.decorators:
            if decorator.name in RETRY_DECORATORS or decorator.name.endswith((".on_exception", ".retry")):
                exponential = bool(func.fact.names & EXPONENTIAL_NAMES) or any(
                    "expo" in value for value in (*decorator.args, *(v for _, v in decorator.keywords))
                )
                found.append(Retry("decorator", func, decorator.line, decorator.column, exponential))
        decorated = {d.line for d in func.fact.decorators}
        for call in func.fact.calls:
            if call.resolved in RETRY_OBJECTS and call.line not in decorated:
                exponential = bool(func.fact.names & EXPONENTIAL_NAMES)
                found.append(Retry("decorator", func, call.line, call.column, exponential))
            if call.method == "Retry" and call.resolved.startswith(("urllib3", "requests")) and call.keyword("total") not in ("0", "False"):
                factor = call.keyword("backoff_factor")
                exponential = (factor is not None and factor not in ("0", "0.0")) or (factor is None and call.star_kwargs)
                respects = call.keyword("respect_retry_after_header") != "False"
                found.append(Retry("urllib3", func, call.line, call.column, exponential, respects))
        loop_sends = [c for c in func.fact.calls if c.in_loop and sends(func, c)]
        if not loop_sends:
            continue
        waits = [c for c in func.fact.calls if c.in_loop and _is_wait(publisher, func, c)]
        if not waits:
            waits = [
                c
                for c in func.fact.calls
                if c.in_loop
                and (target := project.resolve_call(func, c)) is not None
                and _reaches(publisher, target, lambda f, c2: _is_wait(publisher, f, c2), depth=2)
                and not sends(func, c)
            ]
        first_send = min(c.line for c in loop_sends)
        waits = [w for w in waits if w.line > first_send or _names_a_delay(w) or func.fact.has_exponential_math]
        if waits:
            wait = waits[0]
            found.append(Retry("loop", func, wait.line, wait.column, _exponential_near(publisher, func), send_line=first_send))
    return found or _requeues(publisher)


def _requeues(publisher: Publisher) -> list[Retry]:
    """Retries by putting a failed event back on the publisher's own buffer: the response of a
    send is handed to a call that leads back to the function that enqueues (``res = post(…);
    self.processor.process_response(res, events)`` → ``self.storage.push(event, delay=…)``).
    Exponential when the path from that call computes a power or a doubling."""
    project = publisher.project
    enqueuing = {site.func.key for site in enqueue_sites(publisher)}
    senders = {func.key for func, _ in send_functions(publisher)}
    found = []
    for func in event_path(publisher) if enqueuing else ():
        responses = {
            call.assigned_to
            for call in func.fact.calls
            if call.assigned_to and "." not in call.assigned_to
            and (project.is_http_call(func, call) or any(t.key in senders for t in project.resolve_calls(func, call)))
        }
        for call in func.fact.calls:
            if not any(arg.split(".")[0] in responses for arg in (*call.args, *(v for _, v in call.keywords))):
                continue
            for target in project.resolve_calls(func, call):
                path = [f for f, _ in project.walk(target, max_depth=4)]
                if any(f.key in enqueuing for f in path) and any(_schedules_again(c) for f in path for c in f.fact.calls):
                    found.append(Retry("requeue", func, call.line, call.column, _exponential_near(publisher, target)))
                    break
    return found


def _schedules_again(call: CallFact) -> bool:
    """``push(event, delay=delay)``, ``enqueue(item, attempt + 1)``: the event goes back with a
    delay or an attempt count — a retry, not a new message (a failure notice) put on the queue."""
    texts = [*call.args, *(v for _, v in call.keywords), *(k for k, _ in call.keywords)]
    return any(word in text.lower() for text in texts for word in ("delay", "backoff", "attempt", "retry", "retries"))


@dataclass(frozen=True, slots=True)
class Classification:
    functions: list[Func]
    compares: list[tuple[Func, StatusCompareFact]]
    uses_ok: bool
    raise_for_status: bool

    @property
    def primary(self) -> Func | None:
        if not self.functions:
            return None
        return max(self.functions, key=lambda f: sum(1 for g, _ in self.compares if g.key == f.key))

    def values(self, *ops: str) -> set[int]:
        return {c.value for _, c in self.compares if c.op in ops}

    @property
    def success_range(self) -> bool:
        return bool(
            self.uses_ok
            or self.raise_for_status
            or self.values("<") & {300, 400}
            or self.values("<=") & {299, 399}
            or self.values("class") & {200, 300}
            or (self.values(">=") & {200} and self.values("<") & {300, 400, 600})
        )

    @property
    def success_codes(self) -> set[int]:
        return {v for v in self.values("==", "in", "!=", "not in") if 200 <= v < 400}

    @property
    def handles_5xx(self) -> bool:
        return bool(
            self.values(">=") & {500}
            or self.values(">") & {499}
            or self.values("class") & {500}
            or {v for v in self.values("==", "in") if 500 <= v <= 599}
            or self.catch_all_retry
            or (self.handles_4xx and self.success_range)  # what is neither falls through to the retry
        )

    @property
    def catch_all_retry(self) -> bool:
        """A give-up predicate for 4xx that exempts 409/429 retries everything else, 5xx included."""
        return self.handles_4xx and bool(self.values("!=", "not in") & {409, 429})

    @property
    def handles_4xx(self) -> bool:
        return bool(
            self.values(">=") & {400}
            or self.values(">") & {399}
            or self.values("<") & {500}
            or self.values("<=") & {499}
            or self.values("class") & {400}
        )

    def has(self, code: int) -> bool:
        return code in self.values("==", "!=", "in", "not in")

    def first(self, code: int) -> tuple[Func, StatusCompareFact] | None:
        return next(((f, c) for f, c in self.compares if c.value == code), None)


def forcelisted_client_errors(retry: Retry) -> list[int]:
    """Client errors (other than 409/429) in the ``status_forcelist`` of a urllib3 ``Retry(...)``."""
    listed = {c.value for c in retry.func.fact.status_compares if c.subject == "status_forcelist" and c.line >= retry.line}
    return sorted(code for code in listed if 400 <= code < 500 and code not in (409, 429))


@memo
def delivery_functions(publisher: Publisher) -> list[Func]:
    """Functions on the delivery path: senders, retry loops, their callers and helpers.

    Status comparisons elsewhere (a tracing helper mapping codes to span statuses) are
    not the publisher's classification.
    """
    project = publisher.project
    senders = {func.key for func, _ in send_functions(publisher)}
    roots: dict[tuple[str, str], Func] = {}
    for func in publisher.functions():
        if func.key in senders or any(r.func.key == func.key for r in retries(publisher)):
            roots[func.key] = func
        elif any((t := project.resolve_call(func, c)) is not None and t.key in senders for c in func.fact.calls):
            roots[func.key] = func
    found: dict[tuple[str, str], Func] = {}
    for root in roots.values():
        for reached, _chain in project.walk(root, max_depth=3):
            found.setdefault(reached.key, reached)
        for reference in _predicate_references(root):
            referenced = project.reference(root, reference)
            if referenced is not None:
                found.setdefault(referenced.key, referenced)
    return sorted(found.values(), key=lambda f: (str(f.module.path), f.fact.line))


_PREDICATE_KEYWORDS = ("giveup", "retry", "predicate", "should_retry", "retry_on")


def _predicate_references(func: Func) -> list[str]:
    """``giveup=fatal_exception`` and friends: retry predicates handed to a library."""
    values = [v for d in func.fact.decorators for k, v in d.keywords if k in _PREDICATE_KEYWORDS]
    values += [v for c in func.fact.calls for k, v in c.keywords if k in _PREDICATE_KEYWORDS]
    nested = func.module.nested_in(func.fact.qualname)
    values += [v for fn in nested for d in fn.decorators for k, v in d.keywords if k in _PREDICATE_KEYWORDS]
    return [v for v in values if v not in ("<expr>", "<lambda>")]


@memo
def classification(publisher: Publisher) -> Classification:
    functions: list[Func] = []
    compares: list[tuple[Func, StatusCompareFact]] = []
    uses_ok = False
    raise_for_status = False
    for func in delivery_functions(publisher):
        has_status = bool(func.fact.status_compares)
        if has_status:
            compares.extend((func, e) for c in func.fact.status_compares for e in publisher.project.expand_compare(c))
        sends = any(publisher.project.is_http_call(func, call) for call in func.fact.calls)
        if "ok" in func.fact.attributes and ("status_code" in func.fact.attributes or has_status or sends):
            uses_ok = True
            has_status = True  # response.ok is a (coarse) status check
        if any(call.method == "raise_for_status" for call in func.fact.calls):
            raise_for_status = True
            has_status = True
        if has_status:
            functions.append(func)
    return Classification(functions, compares, uses_ok, raise_for_status)


@dataclass(frozen=True, slots=True)
class StatusTable:
    """A helper on the delivery path evaluated for each representative status (see evaluate.py)."""

    func: Func
    answers: dict[int, object]

    def same_as(self, anchor: int, statuses: tuple[int, ...]) -> list[int]:
        return [s for s in statuses if self.answers[s] == self.answers[anchor]]

    @property
    def retry_answer(self) -> object | None:
        """What the helper says for a 503 when it says the same for every 5xx that must be retried."""
        answers = {self.answers[s] for s in (500, 502, 503, 504)}
        return self.answers[503] if len(answers) == 1 else None

    @property
    def separates_client_errors(self) -> bool:
        retry = self.retry_answer
        return retry is not None and self.answers[400] != retry


CLIENT_ERRORS = (400, 401, 403, 404, 408, 410, 413, 422)


@memo
def status_tables(publisher: Publisher) -> list[StatusTable]:
    """Every status helper on the delivery path whose answer the evaluator can decide for all statuses."""
    project = publisher.project
    tables = []
    for func in classification(publisher).functions:
        module = project.syntax(func.module.path)
        node = find_function(module, func.fact.line) if module is not None else None
        if module is None or node is None:
            continue
        classes = {c.name for c in func.module.classes}
        answers = status_table(node, project.constants(func.module.path, module), classes)
        if answers is not None and len(set(map(repr, answers.values()))) > 1:
            tables.append(StatusTable(func, answers))
    return tables


@dataclass(frozen=True, slots=True)
class DispatchTable:
    """A status helper's answers followed into the function that branches on them and puts
    failed events back on the buffer: status -> does that branch re-enqueue."""

    table: StatusTable
    retry: Retry  # the re-enqueue call the branch makes
    branches: dict[int, int]  # status -> line of the branch that handles its answer

    def retried(self, statuses: tuple[int, ...]) -> list[int]:
        return [s for s in statuses if s in self.branches]


def _branch_values(test: ast.expr, constants: dict[str, object]) -> list[object] | None:
    """``res.status == Kind.A`` / ``res.status in (Kind.A, Kind.B)``: the values compared with."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.In))):
        return None
    right = test.comparators[0]
    items = right.elts if isinstance(test.ops[0], ast.In) and isinstance(right, (ast.Tuple, ast.List, ast.Set)) else [right]
    values = []
    for item in items:
        text = ast.unparse(item)
        if text not in constants:
            return None
        values.append(constants[text])
    return values


Dispatch = tuple[dict[object, int], set[object], int | None]


def _dispatch(function: ast.FunctionDef | ast.AsyncFunctionDef, constants: dict[str, object], requeue_lines: set[int]) -> Dispatch | None:
    """For the first if/elif chain in ``function``, when every test compares with known
    constants: each value whose branch re-enqueues -> that branch's line, every value compared
    with, and the line of a re-enqueuing ``else`` (None if there is none)."""
    for statement in function.body:
        if not isinstance(statement, ast.If):
            continue
        handled: dict[object, int] = {}
        seen: set[object] = set()
        current: ast.If | None = statement
        otherwise: int | None = None
        while current is not None:
            values = _branch_values(current.test, constants)
            if values is None:
                return None
            lines = {n.lineno for body in current.body for n in ast.walk(body) if isinstance(n, ast.Call)}
            for value in values:
                if value not in seen and lines & requeue_lines:
                    handled[value] = current.lineno
                seen.add(value)
            orelse = current.orelse
            if len(orelse) == 1 and isinstance(orelse[0], ast.If):
                current = orelse[0]
                continue
            else_lines = {n.lineno for body in orelse for n in ast.walk(body) if isinstance(n, ast.Call)}
            otherwise = orelse[0].lineno if orelse and else_lines & requeue_lines else None
            current = None
        return handled, seen, otherwise
    return None


@memo
def dispatch_tables(publisher: Publisher) -> list[DispatchTable]:
    """A status helper's answers (``Response.get_status`` -> ``HttpStatus.X``) followed into the
    branches of the function the response is handed to (``process_response(res, events)``),
    whose branches may put the events back on the buffer."""
    project = publisher.project
    enqueuing = {site.func.key for site in enqueue_sites(publisher)}
    found = []
    for retry in (r for r in retries(publisher) if r.kind == "requeue"):
        call = next((c for c in retry.func.fact.calls if c.line == retry.line and c.column == retry.column), None)
        for handler in project.resolve_calls(retry.func, call) if call is not None else []:
            module = project.syntax(handler.module.path)
            node = find_function(module, handler.fact.line) if module is not None else None
            requeue_lines = {
                c.line
                for c in handler.fact.calls
                if any(f.key in enqueuing for t in project.resolve_calls(handler, c) for f, _ in project.walk(t, max_depth=4))
            }
            for table in status_tables(publisher):
                helper = project.syntax(table.func.module.path)
                if node is None or helper is None or not _imports_classes_of(handler, table.func):
                    continue
                decided = _dispatch(node, project.constants(table.func.module.path, helper), requeue_lines)
                if decided is None:
                    continue
                handled, seen, otherwise = decided
                branches = {}
                for status, answer in table.answers.items():
                    if answer in handled:
                        branches[status] = handled[answer]
                    elif otherwise is not None and answer not in seen:
                        branches[status] = otherwise
                found.append(DispatchTable(table, Retry("requeue", handler, handler.fact.line, handler.fact.column, retry.exponential), branches))
    return found


def _imports_classes_of(func: Func, helper: Func) -> bool:
    """``func``'s module is the helper's, or imports a class from it (``from .http import HttpStatus``)."""
    if func.module.path == helper.module.path:
        return True
    prefix = helper.module.module + "."
    return any(qualified.startswith(prefix) for _local, qualified in func.module.imports)


@dataclass(frozen=True, slots=True)
class LoopTable:
    """A retry loop evaluated for each representative status: retry, leave or raise."""

    retry: Retry
    actions: dict[int, str]

    @property
    def sane(self) -> bool:
        """It retries a 503 and stops on a 200: the loop's answers mean what they say."""
        return self.actions[503] == RETRY and self.actions[200] != RETRY

    def retried(self, statuses: tuple[int, ...]) -> list[int]:
        return [s for s in statuses if self.actions[s] == RETRY]


def _definition(project: Project, func: Func, text: str) -> Definition | None:
    target = project.reference(func, text)
    module = project.syntax(target.module.path) if target is not None else None
    node = find_function(module, target.fact.line) if target is not None and module is not None else None
    if target is None or module is None or node is None:
        return None
    return node, project.constants(target.module.path, module), {c.name for c in target.module.classes}


@memo
def loop_tables(publisher: Publisher) -> list[LoopTable]:
    """Every hand-written retry loop whose course the evaluator decides for all statuses."""
    project = publisher.project
    tables = []
    for retry in retries(publisher):
        if retry.kind != "loop" or not retry.send_line:
            continue
        module = project.syntax(retry.func.module.path)
        node = find_function(module, retry.func.fact.line) if module is not None else None
        if module is None or node is None:
            continue

        def lookup(call: ast.Call, func: Func = retry.func) -> Definition | None:
            text = ast.unparse(call.func)
            return _definition(project, func, text) if text.replace(".", "").replace("_", "").isalnum() else None

        classes = {c.name for c in retry.func.module.classes}
        actions = loop_table(node, retry.send_line, project.constants(retry.func.module.path, module), classes, lookup)
        if actions is not None:
            tables.append(LoopTable(retry, actions))
    return tables


@memo
def reads_retry_after(publisher: Publisher) -> bool:
    if any(retry.kind == "urllib3" and retry.respects_retry_after for retry in retries(publisher)):
        return True
    return any("retry-after" in func.fact.strings for func in publisher.functions())


# ---------------------------------------------------------------------------
# Error callbacks


@dataclass(frozen=True, slots=True)
class CallbackCall:
    func: Func
    call: CallFact


def _offthread_functions(publisher: Publisher) -> set[tuple[str, str]]:
    project = publisher.project
    roots: list[Func] = []
    for func in publisher.functions():
        for call in func.fact.calls:
            if call.method in ("Thread", "Timer") or project.external_name(func, call) in THREAD_TYPES:
                target = call.keyword("target") or (call.args[1] if call.method == "Timer" and len(call.args) > 1 else None)
                if target:
                    referenced = project.reference(func, target)
                    if referenced is not None:
                        roots.append(referenced)
            if call.method in {"submit", "run_in_executor", "apply_async"} and call.args:
                referenced = project.reference(func, call.args[-1] if call.method == "run_in_executor" else call.args[0])
                if referenced is not None:
                    roots.append(referenced)
    found: set[tuple[str, str]] = set()
    for root in roots:
        if _consumes_queue(publisher, root) or _reaches(publisher, root, project.is_http_call, depth=3):
            continue  # the worker loop, or a pool task that sends, is the delivery thread itself
        for reached, _chain in project.walk(root, max_depth=4):
            found.add(reached.key)
    return found


def _consumes_queue(publisher: Publisher, root: Func) -> bool:
    for reached, _chain in publisher.project.walk(root, max_depth=2):
        if any(call.method in ("get", "get_nowait") and call.receiver and not call.args[:1] for call in reached.fact.calls):
            return True
    return False


@memo
def callback_calls(publisher: Publisher) -> list[CallbackCall]:
    """Error callbacks invoked directly on the calling (worker) thread."""
    project = publisher.project
    offthread = _offthread_functions(publisher)
    found = []
    for func in publisher.functions():
        if func.key in offthread:
            continue
        klass = project.class_of(func)
        methods = project.methods(klass) if klass is not None else {}
        for call in func.fact.calls:
            parts = call.callee.split(".")
            if call.offthread or len(parts) < 2 or parts[0] != "self":
                continue
            if len(parts) == 2 and is_callback_name(parts[1]) and parts[1] not in methods:
                found.append(CallbackCall(func, call))
            elif len(parts) > 2 and _is_result_callback(parts[-1]) and not project.resolve_calls(func, call):
                if not _holds_own_function(project, func, call.receiver, parts[-1]):
                    found.append(CallbackCall(func, call))  # self.configuration.callback(event, code, message)
    return found


def _holds_own_function(project: Project, func: Func, receiver: str, attr: str) -> bool:
    """``self.consumer.callback`` set from ``QueueConsumer(callback=self.publish_batch)``: the
    project's own function, not a user's hook."""
    kind = project.receiver_type(func, receiver)
    klass = project.find_class(kind) if kind and "." in kind else None
    init = project.methods(klass).get("__init__") if klass is not None else None
    if klass is None or init is None:
        return False
    source = next((a.value for a in init.fact.attr_assigns if a.target == f"self.{attr}"), None)
    if source is None or source not in {p.name for p in init.fact.params}:
        return False
    for caller, call in project.call_sites(klass.fact.name):
        passed = call.keyword(source)
        if passed and project.reference(caller, passed) is not None:
            return True
    return False


def _is_result_callback(name: str) -> bool:
    """A user's callable kept in a settings object: ``callback`` (told of every outcome, failures
    included) or an error-named one."""
    return name.lower().lstrip("_") == "callback" or is_callback_name(name)


_CALLABLE_TYPES = frozenset({"typing.Callable", "collections.abc.Callable", "Callable"})
_HOOK_WORDS = ("hook", "callback", "handler", "listener", "notify", "on_")


@memo
def has_error_callback(publisher: Publisher) -> bool:
    """Any user hook the client accepts: an error-named parameter or attribute, or a parameter
    typed ``Callable`` with a hook-like name (``problem_hook``) — whatever it is called, the
    client has one, so "no error callback" would be a false finding."""
    for func in publisher.functions():
        if any(is_callback_name(p.name) for p in func.fact.params):
            return True
        if any(p.annotation in _CALLABLE_TYPES and any(w in p.name.lower() for w in _HOOK_WORDS) for p in func.fact.params):
            return True
        if any(_is_result_callback(a.target.split(".")[-1]) for a in func.fact.attr_assigns if a.target.startswith("self.")):
            return True
    for builder in builders(publisher):
        if any(is_callback_name(name) or name == "on_error" for name in builder.fact.methods):
            return True
    return False


@memo
def untimed_callback_waits(publisher: Publisher) -> list[tuple[Func, CallFact]]:
    """``thread.join()`` / ``future.result()`` without a timeout on a thread that runs a callback."""
    project = publisher.project
    found = []
    for func in publisher.functions():
        spawned: set[str] = set()
        for call in func.fact.calls:
            target_text = call.keyword("target") if call.method == "Thread" else (call.args[0] if call.method == "submit" and call.args else None)
            if not target_text or not call.assigned_to:
                continue
            referenced = project.reference(func, target_text)
            if referenced is None:
                last = target_text.rsplit(".", 1)[-1].lower()
                if is_callback_name(last) or any(word in last for word in _HOOK_WORDS):
                    spawned.add(call.assigned_to)  # submit(self._problem_hook, …): the user's callable itself
                continue
            if any(
                is_callback_name(c.callee.split(".")[-1]) for reached, _ in project.walk(referenced, 3) for c in reached.fact.calls
            ):
                spawned.add(call.assigned_to)
        for call in func.fact.calls:
            if call.receiver in spawned and call.method in ("join", "result", "wait") and not call.args and not call.keywords:
                found.append((func, call))
            elif (
                call.resolved in ("concurrent.futures.wait", "asyncio.wait", "asyncio.gather")
                and call.keyword("timeout") in (None, "None")
                and len(call.args) < 2
                and spawned
                and any(arg in spawned or arg in ("[...]", "<expr>") for arg in call.args)
            ):
                found.append((func, call))  # futures.wait([pending]) with no timeout waits as long as the callback
    return found


# ---------------------------------------------------------------------------
# Builders and models


@memo
def builders(publisher: Publisher) -> list[Klass]:
    """Builders of this publisher's client: ``build()`` makes the client, or ``Client.builder()`` makes them.

    A class named ``*Builder`` that has nothing to do with the client (a certificate
    builder, a test case) is not judged.
    """
    project = publisher.project
    client_keys = {client.klass.key for client in publisher.clients}
    found: dict[tuple[str, str], Klass] = {}

    def constructed(func: Func) -> list[Klass]:
        return [k for c in func.fact.calls if "." in c.resolved and (k := project.find_class(c.resolved)) is not None]

    for client in publisher.clients:
        for method in project.methods(client.klass).values():
            for klass in constructed(method):
                if klass.key not in client_keys and "build" in project.methods(klass):
                    found[klass.key] = klass
    for facts in list(project.modules.values()):
        for klass_fact in facts.classes:
            klass = Klass(facts, klass_fact)
            build = project.methods(klass).get("build") if "build" in klass_fact.methods else None
            if build is not None and any(k.key in client_keys for k in constructed(build)):
                found[klass.key] = klass
    return list(found.values())


def is_fluent_return(builder: Klass, value: str, kind: str) -> bool:
    """``return self``, or a new builder of the same class (immutable builders)."""
    if kind == "self":
        return True
    fresh = (f"{builder.fact.name}(...)", "type(self)(...)", "self.__class__(...)", "replace(...)", "dataclasses.replace(...)")
    return value in fresh


def is_setter(func: Func) -> bool:
    name = func.fact.name
    if name.startswith("_") or name.startswith("build") or func.fact.is_static:
        return False
    return not any(d.name.endswith(("property", ".setter", "abstractmethod")) for d in func.fact.decorators)


DATACLASS_DECORATORS = ("dataclass", "dataclasses.dataclass", "pydantic.dataclasses.dataclass")
ATTRS_MUTABLE = frozenset({"attr.s", "attr.attrs", "attrs.define", "attr.define", "attrs.mutable", "attr.mutable", "attr.attributes"})


def model_decorator(klass: Klass) -> DecoratorFact | None:
    """The decorator that makes ``klass`` a data model (dataclass / attrs), if any."""
    for decorator in klass.fact.decorators:
        if decorator.name in DATACLASS_DECORATORS or decorator.name.endswith(".dataclass"):
            return decorator
        if decorator.name in ATTRS_MUTABLE:
            return decorator
    return None


@memo
def model_classes(publisher: Publisher) -> list[Klass]:
    """Dataclasses in publisher modules and those the publisher modules import from the project."""
    project = publisher.project
    found: dict[tuple[str, str], Klass] = {}
    for facts in part_modules(publisher).values():
        for klass_fact in facts.classes:
            klass = Klass(facts, klass_fact)
            if model_decorator(klass) is not None:
                found[klass.key] = klass
        for _local, qualified in facts.imports:
            if qualified.split(".")[0] in ("typing", "dataclasses", "collections", "abc", "enum"):
                continue
            imported = project.find_class(qualified)
            if imported is not None and model_decorator(imported) is not None:
                found[imported.key] = imported
    return list(found.values())


_PLAIN_BASES = frozenset({"object", "abc.ABC", "ABC"})


def _is_plain_class(project: Project, klass: Klass) -> bool:
    """A class of our own making, all the way up: no decorator (dataclass, attrs), no base from a
    library (pydantic, NamedTuple, Enum, Exception …), no ``__setattr__`` guarding its fields."""
    for current in (klass, *project.bases(klass)):
        if current.fact.decorators or "__setattr__" in current.fact.methods:
            return False
        for base in current.fact.bases:
            if base not in _PLAIN_BASES and project.find_class(base) is None:
                return False
    return True


_MUTATORS = frozenset({"append", "extend", "insert", "update", "add", "pop", "remove", "clear", "setdefault", "__setitem__"})


def changes_after_construction(project: Project, klass: Klass) -> Func | None:
    """A method other than ``__init__`` — of the class, a base or a project subclass (the object
    handed over may be one) — assigns ``self.x`` or calls a mutating method on it: the class's
    own code proves its instances change after they are built. That method, or None."""
    family = [klass, *project.bases(klass)]
    family += [sub for sub in project.subclasses(klass) if sub.key not in {k.key for k in family}]
    for current in family:
        for method in project.own_methods(current):
            if method.fact.name in ("__init__", "__new__", "__post_init__"):
                continue
            module = project.syntax(method.module.path)
            node = find_function(module, method.fact.line) if module is not None else None
            if node is not None and _changes_self(node):
                return method
    return None


def _is_self_attribute(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"


def _changes_self(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``self.x = …``, ``self.x += …`` or ``self.x.append(…)`` in the function's own body."""
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(_is_self_attribute(t) for t in node.targets):
            return True
        if isinstance(node, (ast.AugAssign, ast.AnnAssign)) and _is_self_attribute(node.target) and node.value is not None:
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS:
            if _is_self_attribute(node.func.value):
                return True
    return False


def _class_of_value(project: Project, func: Func, value: str) -> Klass | None:
    kind = project.value_type(func, value)
    klass = project.find_class(kind) if kind and "." in kind else None
    if klass is None and value.isidentifier():  # annotated with no class (a TypeVar): what callers pass
        passed = project.passed_type(func, value)
        klass = project.find_class(passed) if passed and "." in passed else None
    return klass


@memo
def mutable_event_classes(publisher: Publisher) -> list[Klass]:
    """Plain classes (not dataclasses) whose instances are the events: the type of what the
    buffer receives, of what the publish methods take, or of an object built on the way there
    and handed on (``envelope = Envelope(…); self.transport.capture_envelope(envelope)``)."""
    project = publisher.project
    machinery = [site.func for site in enqueue_sites(publisher)] + [func for func, _ in send_functions(publisher)]
    machinery += [site.func for site in thread_sites(publisher) if site.func is not None]
    not_models = {client.klass.key for client in publisher.clients}
    not_models |= {klass.key for func in machinery if (klass := project.class_of(func)) is not None}
    not_models |= {site.klass.key for site in thread_sites(publisher) if site.klass is not None}
    candidates: dict[tuple[str, str], Klass] = {}

    def consider(klass: Klass | None) -> None:
        if klass is not None and klass.key not in not_models and klass.key not in candidates:
            candidates[klass.key] = klass

    for site in enqueue_sites(publisher):
        if site.call.args:
            consider(_class_of_value(project, site.func, site.call.args[0]))
        for hop in site.chain:
            built = dict(hop.caller.fact.local_types)
            if any(t.fact.name == "__init__" for t in project.resolve_calls(hop.caller, hop.call)):
                continue  # handed to a constructor: a collaborator the component keeps, not an event
            for arg in hop.call.args:
                if arg in built:
                    consider(project.find_class(built[arg]) if "." in built[arg] else None)
    handed_on: dict[tuple[str, str], set[str]] = {}  # publish method -> the names it passes toward the buffer
    for site in enqueue_sites(publisher):
        first = site.chain[0].call if site.chain else site.call
        handed_on.setdefault(site.publish.key, set()).update(a.split(".")[0] for a in (*first.args, *(v for _, v in first.keywords)))
    for client in publisher.clients:
        for method in client.publish_methods:
            for param in method.fact.params:
                if param.annotation and "." in param.annotation and param.name in handed_on.get(method.key, ()):
                    consider(project.find_class(param.annotation))
    return [k for k in candidates.values() if _is_plain_class(project, k) and changes_after_construction(project, k) is not None]


_MUTABLE_ANNOTATIONS = frozenset({"dict", "list", "Dict", "List", "MutableMapping", "MutableSequence", "set", "Set"})


def _caller_objects(func: Func, node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Parameters that hold the caller's own mutable object: annotated as a dict or list, or
    rebound only as ``x = x or {}``; a rebinding to anything else (a copy) releases it."""
    names = {p.name for p in func.fact.params if p.name not in ("self", "cls") and not p.star}
    mutable = {p.name for p in func.fact.params if p.annotation and p.annotation.rsplit(".", 1)[-1] in _MUTABLE_ANNOTATIONS}
    for statement in ast.walk(node):
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name) and target.id in names:
                    value = statement.value
                    operands = value.values if isinstance(value, ast.BoolOp) else []
                    keeps = any(isinstance(v, ast.Name) and v.id == target.id for v in operands)
                    if keeps and any(isinstance(v, (ast.Dict, ast.List)) for v in operands):
                        mutable.add(target.id)  # "traits = traits or {}": a dict, and still the caller's
                    elif not keeps:
                        names.discard(target.id)
    return names & mutable


def _takes_frozen_model(publisher: Publisher, func: Func) -> bool:
    for param in func.fact.params:
        klass = publisher.project.find_class(param.annotation) if param.annotation and "." in param.annotation else None
        decorator = model_decorator(klass) if klass is not None else None
        if decorator is not None and decorator.keyword("frozen") == "True":
            return True
    return False


@memo
def dict_events(publisher: Publisher) -> list[tuple[Func, int, int, str]]:
    """Publish methods that build a dict literal holding the caller's own objects (``"traits": traits``),
    bind it to a name and hand that name on: caller and worker then share mutable state."""
    project = publisher.project
    found = []
    for client in publisher.clients:
        if any(_takes_frozen_model(publisher, func) for func in client.publish_methods):
            continue  # a dict beside a typed, immutable path is the untyped convenience
        for func in client.publish_methods:
            module = project.syntax(func.module.path)
            node = find_function(module, func.fact.line) if module is not None else None
            if node is None:
                continue
            shared = _caller_objects(func, node)
            built = {
                target.id: statement.value
                for statement in ast.walk(node)
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Dict)
                and any(isinstance(v, ast.Name) and v.id in shared for v in statement.value.values)
                for target in statement.targets
                if isinstance(target, ast.Name)
            }
            handed = {
                arg.id
                for call in ast.walk(node)
                if isinstance(call, ast.Call)
                for arg in [*call.args, *(k.value for k in call.keywords)]
                if isinstance(arg, ast.Name) and arg.id in built
            }
            for name in sorted(handed, key=lambda n: built[n].lineno):
                found.append((func, built[name].lineno, built[name].col_offset + 1, name))
                break
    return found


# ---------------------------------------------------------------------------
# Where the parts live


@memo
def part_modules(publisher: Publisher) -> dict[str, ModuleFacts]:
    modules: dict[str, ModuleFacts] = {}

    def add(func_or_class: Func | Klass | None) -> None:
        if func_or_class is not None:
            modules[str(func_or_class.module.path)] = func_or_class.module

    for client in publisher.clients:
        add(client.klass)
    for site in enqueue_sites(publisher):
        add(site.func)
    for thread in thread_sites(publisher):
        add(thread.func)
        add(thread.klass)
    for func, _call in send_functions(publisher):
        add(func)
    for retry in retries(publisher):
        add(retry.func)
    for func in classification(publisher).functions:
        add(func)
    for builder in builders(publisher):
        add(builder)
    return modules


def client_method(publisher: Publisher, client: Client, patterns: tuple[str, ...]) -> list[Func]:
    """The client's public methods whose names match ``patterns`` (own or inherited)."""
    methods = publisher.project.methods(client.klass).items()
    return [m for name, m in methods if matches(name, patterns) and not name.startswith("_")]
