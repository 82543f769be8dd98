"""The project-level view: where the publisher's parts live, across modules.

``Project`` holds the facts of every parsed module and loads more on demand (a module is
parsed only when a resolution needs it). ``discover()`` finds the client classes and the
set of functions they reach; rules query that ``Publisher`` view.
"""

from __future__ import annotations

import ast
import bisect
import fnmatch
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from ..config import Config
from .evaluate import module_constants
from .facts import AttrAssignFact, CallFact, ClassFact, FunctionFact, ModuleFacts, StatusCompareFact

T = TypeVar("T")

QUEUE_TYPES = frozenset(
    {
        "queue.Queue",
        "queue.LifoQueue",
        "queue.PriorityQueue",
        "multiprocessing.Queue",
        "multiprocessing.JoinableQueue",
        "multiprocessing.queues.Queue",
    }
)
UNBOUNDED_QUEUE_TYPES = frozenset({"queue.SimpleQueue", "multiprocessing.SimpleQueue"})
DEQUE_TYPES = frozenset({"collections.deque"})
LIST_TYPES = frozenset({"builtins.list", "list"})
ASYNC_QUEUE_TYPES = frozenset({"asyncio.Queue", "asyncio.queues.Queue"})
THREAD_TYPES = frozenset({"threading.Thread", "threading.Timer"})
EXECUTOR_TYPES = frozenset({"concurrent.futures.ThreadPoolExecutor", "concurrent.futures.thread.ThreadPoolExecutor"})
ENQUEUE_METHODS = frozenset({"put", "put_nowait"})
APPEND_METHODS = frozenset({"append", "appendleft", "extend", "insert"})
DRAINING_METHODS = frozenset({"pop", "popleft", "clear", "copy"})
HTTP_PACKAGES = ("requests.", "httpx.", "urllib3.", "http.client.", "aiohttp.", "urllib.request.", "requests_futures.")
HTTP_MODULES = frozenset({"requests", "requests.api", "httpx", "urllib3", "urllib3.request"})
HTTP_CLIENT_SUFFIXES = ("Session", "Client", "AsyncClient", "PoolManager", "ConnectionPool", "HTTPConnection", "HTTPSConnection", "ClientSession")
HTTP_METHODS = frozenset(
    {"post", "get", "put", "patch", "delete", "request", "send", "urlopen", "head", "options", "getresponse", "stream"}
)
CALLBACK_NAMES = frozenset({"on_error", "error_handler", "on_failure", "on_exception", "error_hook", "on_error_callback"})
MAX_DEPTH = 8
# Libraries the rules know by name (queue.Queue, threading.Thread, requests.Session …): even when
# their source is among the checked files (the standard library, a site-packages folder) calls
# into them are judged by name, not by parsing their implementation.
MODELLED_LIBRARIES = frozenset(
    {
        "queue", "threading", "_thread", "time", "collections", "socket", "subprocess", "asyncio",
        "multiprocessing", "logging", "typing", "typing_extensions", "dataclasses", "json", "os", "sys",
        "abc", "enum", "functools", "itertools", "re", "uuid", "random", "email", "datetime", "weakref",
        "atexit", "contextlib", "http", "urllib", "ssl", "io", "concurrent", "copy", "warnings", "traceback",
        "requests", "urllib3", "httpx", "aiohttp", "backoff", "tenacity", "attr", "attrs", "pydantic",
    }
)


def is_callback_name(name: str) -> bool:
    """An *error* callback: ``on_error``, ``error_callback``, ``failure_hook`` — not any callback."""
    lowered = name.lower().lstrip("_")
    if lowered in CALLBACK_NAMES:
        return True
    if not any(word in lowered for word in ("error", "fail", "exception")):
        return False
    return lowered.startswith("on_") or any(word in lowered for word in ("callback", "handler", "hook"))


def module_name_for(path: Path, root: Path | None = None, real: Callable[[Path], Path] = Path.resolve) -> str:
    """Dotted module name: the file's stem under its package folders.

    Folders up to ``root`` (the folder the user asked to check) count as packages even
    without ``__init__.py``: namespace packages such as ``segment/analytics`` and
    ``rudderstack/analytics`` must not collapse into the same ``analytics`` name. ``real``
    resolves a path (``module_index`` remembers each folder's answer).
    """
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    top = real(root) if root is not None else None
    while folder.name and folder.parent != folder:
        inside_root = top is not None and real(folder) != top and real(folder).is_relative_to(top)
        if not ((folder / "__init__.py").is_file() or inside_root):
            break
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def module_index(files: Iterable[Path], roots: Iterable[Path]) -> dict[str, Path]:
    """Module name -> file for every file; a clash keeps both under distinct names."""
    resolved: dict[Path, Path] = {}

    def real(path: Path) -> Path:
        if path not in resolved:
            resolved[path] = path.resolve()
        return resolved[path]

    folders = [r if r.is_dir() else r.parent for r in roots]
    index: dict[str, Path] = {}
    for path in files:
        root = next((r for r in folders if path.resolve().is_relative_to(real(r))), None)
        name = module_name_for(path, root, real)
        if name in index:
            name = f"{path.parent.as_posix()}/{name}"  # not importable by that name: only reached by path
        index[name] = path
    return index


@dataclass(frozen=True, slots=True)
class Func:
    """A function together with the module that holds it."""

    module: ModuleFacts
    fact: FunctionFact
    key: tuple[str, str] = field(init=False, repr=False, compare=False)  # (file, qualname), made once

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (str(self.module.path), self.fact.qualname))

    @property
    def label(self) -> str:
        return f"{self.fact.qualname}()"


@dataclass(frozen=True, slots=True)
class Klass:
    module: ModuleFacts
    fact: ClassFact
    key: tuple[str, str] = field(init=False, repr=False, compare=False)  # (file, qualname), made once

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (str(self.module.path), self.fact.qualname))

    @property
    def qualified(self) -> str:
        return f"{self.module.module}.{self.fact.qualname}" if self.module.module else self.fact.qualname


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of a call chain: the call made and the function it reached (if in project)."""

    caller: Func
    call: CallFact


class Project:
    def __init__(
        self,
        paths: dict[str, Path],
        load: Callable[[Path, str], ModuleFacts | None],
        config: Config,
        read: Callable[[Path], bytes | None] | None = None,
        between: Callable[[], None] = lambda: None,
        ahead: Callable[[list[tuple[Path, str]]], None] = lambda files: None,
    ) -> None:
        self.paths = paths  # module name -> file
        self.between = between  # called between long steps: lets background parsing go on
        self._ahead = ahead  # told the files a newly parsed module imports: they may be loaded next
        self._load = load
        self._read = read
        self._syntax: dict[Path, ast.Module | None] = {}
        self._constants: dict[Path, dict[str, object]] = {}
        self.config = config
        self.modules: dict[str, ModuleFacts] = {}
        self._by_path: dict[Path, ModuleFacts] = {}
        self._missing: set[str] = set()
        self._suffixes: dict[str, list[str]] = {}
        self._names_by_path = {path: name for name, path in paths.items()}
        for module_name in paths:
            parts = module_name.split(".")
            for start in range(len(parts)):
                self._suffixes.setdefault(".".join(parts[start:]), []).append(module_name)
        self._attr_type_cache: dict[tuple[tuple[str, str], str], str | None] = {}
        self._overrides: dict[tuple[tuple[str, str], str], list[Func]] = {}
        self._call_sites: dict[str, list[tuple[Func, CallFact]]] = {}
        self._argument_types: dict[tuple[tuple[str, str], str], str | None] = {}
        self._arguments_in_progress: set[tuple[tuple[str, str], str]] = set()
        self._same_thread: dict[tuple[str, str], set[tuple[str, str]]] = {}
        self._methods: dict[tuple[str, str], dict[str, Func]] = {}
        self._thread_reach: set[tuple[str, str]] = set()
        self._thread_reach_of = -1  # how many modules the set above was computed from
        self._own_methods: dict[Path, dict[str, list[Func]]] = {}
        # Answers that depend only on the files, not on how many were parsed so far: a module
        # name always leads to the same file, and facts never change once parsed.
        self._splits: dict[str, tuple[ModuleFacts, str] | None] = {}
        self._symbols: dict[tuple[str, str], Klass | Func | None] = {}
        self._bases: dict[tuple[str, str], list[Klass]] = {}
        self._classes_of: dict[tuple[str, str], Klass | None] = {}
        self._uses: dict[
            tuple[str, str],
            tuple[dict[str, list[tuple[Func, AttrAssignFact]]], dict[str, list[tuple[Func, CallFact]]]],
        ] = {}
        self._base_key_sets: dict[tuple[str, str], frozenset[tuple[str, str]]] = {}
        self._classes_in: dict[Path, list[Klass]] = {}
        self._subclasses: dict[tuple[str, str], dict[Path, list[Klass]]] = {}  # by module scanned
        # Scans over the parsed modules, valid while no module is added (the count they saw).
        self._sorted: tuple[int, list[ModuleFacts]] = (-1, [])
        self._resolved: dict[int, tuple[CallFact, FunctionFact, int, list[Func]]] = {}  # by id(call)
        self._attrs_in_progress = 0
        self._starts: dict[Path, tuple[list[Klass], list[tuple[Func, str]]]] = {}
        self._call_site_keys: dict[str, list[tuple[str, int, int]]] = {}
        self._sited: set[Path] = set()

    # -- modules and symbols ----------------------------------------------

    def syntax(self, path: Path) -> ast.Module | None:
        """The stdlib ``ast`` of a parsed module, for the evaluator (read once, as the run sees it)."""
        if path not in self._syntax:
            try:
                source = self._read(path) if self._read is not None else path.read_bytes()
                self._syntax[path] = ast.parse(source) if source is not None else None
            except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
                self._syntax[path] = None
        return self._syntax[path]

    def _own_constants(self, path: Path, module: ast.Module) -> dict[str, object]:
        if path not in self._constants:
            self._constants[path] = module_constants(module)
        return self._constants[path]

    def constant_value(self, qualified: str) -> object | None:
        """The value of a constant defined in another project module (``pkg.policy.RETRYABLE``)."""
        module_name, _, name = qualified.rpartition(".")
        facts = self.module(module_name) if module_name else None
        module = self.syntax(facts.path) if facts is not None else None
        if facts is None or module is None:
            return None
        return self._own_constants(facts.path, module).get(name)

    def constants(self, path: Path, module: ast.Module) -> dict[str, object]:
        """A module's constants for the evaluator, with the upper-case names it imports from the project."""
        merged = dict(self._own_constants(path, module))
        facts = self._by_path.get(path)
        for local, qualified in facts.imports if facts is not None else ():
            if local.isupper() and local not in merged:
                value = self.constant_value(qualified)
                if value is not None:
                    merged[local] = value
        return merged

    def expand_compare(self, compare: StatusCompareFact) -> list[StatusCompareFact]:
        """A comparison with an imported constant, as comparisons with the values it holds."""
        if not compare.constant:
            return [compare]
        value = self.constant_value(compare.constant)
        if isinstance(value, int) and not isinstance(value, bool):
            return [replace(compare, value=int(value), constant="")]
        if isinstance(value, range) and compare.op == "in":
            return [replace(compare, op=">=", value=value.start, constant=""), replace(compare, op="<", value=value.stop, constant="")]
        if isinstance(value, (tuple, frozenset)):
            return [replace(compare, value=int(v), constant="") for v in value if isinstance(v, int) and 100 <= v <= 599]
        return []

    def parsed_modules(self) -> list[ModuleFacts]:
        """Each parsed module once (``modules`` may hold one under two names), in path order,
        so that answers built by scanning them do not depend on the order files were parsed."""
        if self._sorted[0] != len(self._by_path):
            self._sorted = (len(self._by_path), sorted(self._by_path.values(), key=lambda m: str(m.path)))
        return list(self._sorted[1])

    def classes_in(self, facts: ModuleFacts) -> list[Klass]:
        """The classes of a parsed module, in file order."""
        if facts.path not in self._classes_in:
            self._classes_in[facts.path] = [Klass(facts, fact) for fact in facts.classes]
        return self._classes_in[facts.path]

    def add(self, facts: ModuleFacts) -> None:
        self.modules[facts.module] = facts
        self._by_path[facts.path] = facts
        self._ahead(self._imported_files(facts))

    def _imported_files(self, facts: ModuleFacts) -> list[tuple[Path, str]]:
        """The project files ``facts`` imports from that are not parsed yet, in import order."""
        found: dict[Path, str] = {}
        for _local, qualified in facts.imports:
            parts = qualified.split(".")
            if parts[0] in MODELLED_LIBRARIES:
                continue
            for cut in range(len(parts), 0, -1):
                name = ".".join(parts[:cut])
                path = self.paths.get(name) or self._by_suffix(name)
                if path is not None:
                    if path not in self._by_path:
                        found.setdefault(path, self._names_by_path[path])
                    break
        return list(found.items())

    def is_parsed(self, path: Path) -> bool:
        return path in self._by_path

    def module(self, name: str) -> ModuleFacts | None:
        """The facts of module ``name``, parsing its file on first use."""
        if name in self.modules:
            return self.modules[name]
        if name in self._missing or name.split(".", 1)[0] in MODELLED_LIBRARIES:
            return None
        path = self.paths.get(name) or self._by_suffix(name)
        facts = self._by_path.get(path) if path is not None else None
        if facts is None and path is not None:
            facts = self._load(path, self._names_by_path[path])
        if facts is None:
            self._missing.add(name)
            return None
        self.modules[name] = facts
        if facts.path not in self._by_path:
            self._by_path[facts.path] = facts
            self._ahead(self._imported_files(facts))
        return facts

    def _by_suffix(self, name: str) -> Path | None:
        """``activity_publisher.models`` may live in folder ``reference_impl/``: match the tail."""
        parts = name.split(".")
        for start in range(1, len(parts)):
            candidates = self._suffixes.get(".".join(parts[start:]), ())
            if len(candidates) == 1:
                return self.paths[candidates[0]]
        return None

    def _split(self, qualified: str) -> tuple[ModuleFacts, str] | None:
        """The longest project module ``qualified`` starts with, and the rest of the name."""
        if qualified in self._splits:
            return self._splits[qualified]
        found: tuple[ModuleFacts, str] | None = None
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module_name = ".".join(parts[:cut])
            if module_name in self.modules or module_name in self.paths or self._by_suffix(module_name):
                facts = self.module(module_name)
                if facts is not None:
                    found = (facts, ".".join(parts[cut:]))
                    break
        self._splits[qualified] = found
        return found

    def find_class(self, qualified: str) -> Klass | None:
        key = ("class", qualified)
        if key not in self._symbols:
            self._symbols[key] = self._lookup(
                qualified, lambda facts, rest: next((Klass(facts, k) for k in facts.classes if k.qualname == rest), None)
            )
        found = self._symbols[key]
        return found if isinstance(found, Klass) else None

    def find_function(self, qualified: str) -> Func | None:
        key = ("function", qualified)
        if key not in self._symbols:
            self._symbols[key] = self._lookup(
                qualified, lambda facts, rest: Func(facts, fn) if (fn := facts.function(rest)) else None
            )
        found = self._symbols[key]
        return found if isinstance(found, Func) else None

    def _lookup(self, qualified: str, pick: Callable[[ModuleFacts, str], T | None], depth: int = 0) -> T | None:
        """The symbol ``qualified`` names, following re-exports (``from .models import X`` in a package)."""
        split = self._split(qualified)
        if split is None:
            return None
        facts, rest = split
        found = pick(facts, rest)
        if found is not None:
            return found
        head = rest.split(".")[0]
        imported = dict(facts.imports).get(head)
        if imported and depth < 4 and imported != qualified:
            return self._lookup(imported + rest[len(head) :], pick, depth + 1)
        return None

    def class_of(self, func: Func) -> Klass | None:
        """The class a method belongs to; for a function nested in a method, the method's class
        (its ``self`` is the closure's ``self``)."""
        if func.key not in self._classes_of:
            self._classes_of[func.key] = self._class_of(func)
        return self._classes_of[func.key]

    @staticmethod
    def _class_of(func: Func) -> Klass | None:
        fact: FunctionFact | None = func.fact
        depth = 0
        while fact is not None and fact.class_name is None and fact.parent is not None and depth < 8:
            fact = func.module.function(fact.parent)
            depth += 1
        if fact is None or fact.class_name is None:
            return None
        for klass in func.module.classes:
            if klass.qualname == fact.class_name:
                return Klass(func.module, klass)
        return None

    def bases(self, klass: Klass) -> list[Klass]:
        """Project base classes, nearest first (a simple depth-first MRO)."""
        if klass.key not in self._bases:
            self._bases[klass.key] = self._find_bases(klass)
        return list(self._bases[klass.key])

    def _find_bases(self, klass: Klass) -> list[Klass]:
        found: list[Klass] = []
        stack = [klass]
        seen = {klass.key}
        while stack:
            current = stack.pop(0)
            for base in current.fact.bases:
                resolved = self.find_class(base)
                if resolved is not None and resolved.key not in seen:
                    seen.add(resolved.key)
                    found.append(resolved)
                    stack.append(resolved)
        return found

    def all_base_names(self, klass: Klass) -> set[str]:
        names = set(klass.fact.bases)
        for base in self.bases(klass):
            names.update(base.fact.bases)
        return names

    def methods(self, klass: Klass) -> dict[str, Func]:
        """Methods by name, own first, then inherited from project bases (a copy: callers may change it)."""
        if klass.key not in self._methods:
            found: dict[str, Func] = {}
            for current in (klass, *self.bases(klass)):
                for method in self.own_methods(current):
                    found.setdefault(method.fact.name, method)
            self._methods[klass.key] = found
        return dict(self._methods[klass.key])

    def own_methods(self, klass: Klass) -> list[Func]:
        """The methods a class defines itself, in file order."""
        by_class = self._own_methods.get(klass.module.path)
        if by_class is None:
            by_class = {}
            for fn in klass.module.functions:
                if fn.class_name is not None and fn.qualname == f"{fn.class_name}.{fn.name}":
                    by_class.setdefault(fn.class_name, []).append(Func(klass.module, fn))
            self._own_methods[klass.module.path] = by_class
        return list(by_class.get(klass.fact.qualname, ()))

    def is_subclass(self, klass: Klass, names: frozenset[str]) -> bool:
        return bool(self.all_base_names(klass) & names)

    # -- types ------------------------------------------------------------

    def attr_type(self, klass: Klass, attr: str) -> str | None:
        key = (klass.key, attr)
        if key not in self._attr_type_cache:
            # Unknown while it is being worked out: ``self.a = self.b.make()`` beside
            # ``self.b = self.a.make()`` asks for itself, and must end, not recurse for ever.
            self._attr_type_cache[key] = None
            self._attrs_in_progress += 1
            try:
                self._attr_type_cache[key] = self._compute_attr_type(klass, attr)
            finally:
                self._attrs_in_progress -= 1
        return self._attr_type_cache[key]

    def _compute_attr_type(self, klass: Klass, attr: str) -> str | None:
        for current in (klass, *self.bases(klass)):
            annotated = dict(current.fact.annotated_attrs).get(attr)
            for fn in current.module.functions:
                if fn.class_name != current.fact.qualname:
                    continue
                params = {p.name: p.annotation for p in fn.params}
                for assign in fn.attr_assigns:
                    if assign.target != f"self.{attr}":
                        continue
                    if assign.value_call:
                        returned = self._returned_type(Func(current.module, fn), assign.value)
                        if returned:
                            return returned  # "self.t = make_transport()", "self.s = config.get_storage()"
                        factory = self.find_function(assign.value_call) if "." in assign.value_call else None
                        if factory is not None and factory.fact.returns:
                            return factory.fact.returns
                        return assign.value_call
                    if params.get(assign.value):
                        return params[assign.value]
                    if assign.value in params:  # "self.storage = storage": what the callers pass in
                        passed = self.receiver_type(Func(current.module, fn), assign.value, 1)
                        if passed:
                            return passed
                    local = dict(fn.local_types).get(assign.value)
                    if local:
                        return local
            if annotated:
                return annotated
        return None

    def receiver_type(self, func: Func, receiver: str, _depth: int = 0) -> str | None:
        """The type of ``self.x`` / a local / a parameter / a module variable used as a receiver."""
        if receiver.endswith("()"):  # the value a call returns: its declared return type
            called = self.reference(func, receiver[:-2])
            return called.fact.returns if called is not None else None
        if receiver.endswith("[]"):  # an item of a container: what is appended to it
            return self._element_type(func, receiver, _depth + 1) if _depth < 3 else None
        parts = receiver.split(".")
        if receiver in ("self", "cls"):
            klass = self.class_of(func)
            return klass.qualified if klass is not None else None
        if parts[0] in ("self", "cls") and len(parts) == 2:
            klass = self.class_of(func)
            return self.attr_type(klass, parts[1]) if klass is not None else None
        if len(parts) > 1 and parts[0] not in dict(func.module.imports):
            # a chain: "client.configuration", "self._plugin.storage"
            owner = self.receiver_type(func, ".".join(parts[:-1]), _depth + 1) if _depth < 3 else None
            owner_class = self.find_class(owner) if owner and "." in owner else None
            return self.attr_type(owner_class, parts[-1]) if owner_class is not None else None
        if len(parts) == 1:
            local = dict(func.fact.local_types).get(parts[0])
            if local:
                return local
            iterated = dict(func.fact.loop_variables).get(parts[0])
            if iterated and _depth < 3:
                return self._element_type(func, iterated, _depth + 1)
            for index, param in enumerate(func.fact.params):
                if param.name == parts[0]:
                    if param.annotation:
                        return param.annotation
                    if _depth < 3:
                        return self._argument_type(func, index, param.name, _depth + 1)
            return dict(func.module.module_types).get(parts[0])
        return None

    def _element_type(self, func: Func, iterated: str, depth: int) -> str | None:
        """The type of the items of ``self._lanes`` when it was built as ``[self._main, self._ai]``,
        or of the items appended to it (``self.plugins[kind].append(plugin)``) by the class's methods."""
        container = iterated.removesuffix("[]")
        parts = container.split(".")
        klass = self.class_of(func)
        if klass is None or len(parts) != 2 or parts[0] != "self":
            return None
        for method, assign in self.assignments_to(klass, container):
            if assign.elements:
                return self.receiver_type(method, assign.elements[0], depth)
        for method, call in self.calls_on(klass, container):
            if call.method in ("append", "appendleft", "add") and call.args:
                found = self.value_type(method, call.args[0], depth)
                if found:
                    return found
        return None

    def assignments_to(self, klass: Klass, target: str) -> list[tuple[Func, AttrAssignFact]]:
        """The assignments to ``target`` (``self._queue``) in the class's methods, own and
        inherited, in method order."""
        return self._attribute_uses(klass)[0].get(target, [])

    def calls_on(self, klass: Klass, container: str) -> list[tuple[Func, CallFact]]:
        """The calls the class's methods make on ``container`` or on one of its items
        (``self.plugins[kind].append``), in method and call order."""
        return self._attribute_uses(klass)[1].get(container, [])

    def _attribute_uses(
        self, klass: Klass
    ) -> tuple[dict[str, list[tuple[Func, AttrAssignFact]]], dict[str, list[tuple[Func, CallFact]]]]:
        if klass.key not in self._uses:
            assigns: dict[str, list[tuple[Func, AttrAssignFact]]] = {}
            calls: dict[str, list[tuple[Func, CallFact]]] = {}
            for method in self.methods(klass).values():
                for assign in method.fact.attr_assigns:
                    assigns.setdefault(assign.target, []).append((method, assign))
                for call in method.fact.calls:
                    calls.setdefault(call.receiver.removesuffix("[]"), []).append((method, call))
            self._uses[klass.key] = (assigns, calls)
        return self._uses[klass.key]

    def value_type(self, func: Func, value: str, depth: int = 0) -> str | None:
        """The type of an argument's value: ``Plugin(...)`` builds a Plugin, a name has its own type."""
        if value.endswith("(...)"):
            return self._returned_type(func, value)
        if value in ("<expr>", "<lambda>", "[...]", "[]", "{}") or value[:1].isdigit() or value[:1] in "-'\"":
            return None
        return self.receiver_type(func, value, depth)

    def _returned_type(self, func: Func, value: str, depth: int = 0) -> str | None:
        """The type ``value`` (``X(...)``) yields: a project class it constructs, the declared
        return type of the function or method it calls, or the type of what that returns."""
        callee = value.removesuffix("(...)")
        if not callee or "(" in callee or "[" in callee:
            return None
        constructed = self.find_class(_qualify(func.module, callee)) if "." in _qualify(func.module, callee) else None
        if constructed is not None:
            return constructed.qualified
        called = self.reference(func, callee)
        if called is None:
            return None
        if called.fact.returns:
            return called.fact.returns
        for returned in called.fact.return_stmts if depth < 3 else ():
            if returned.kind == "value" and returned.value.endswith("(...)"):
                found = self._returned_type(called, returned.value, depth + 1)
                if found:
                    return found
        return None

    def passed_type(self, func: Func, name: str) -> str | None:
        """The type of parameter ``name`` from what the project's calls of ``func`` pass in."""
        for index, param in enumerate(func.fact.params):
            if param.name == name:
                return self._argument_type(func, index, name, 1)
        return None

    def _argument_type(self, func: Func, index: int, name: str, depth: int) -> str | None:
        """An unannotated parameter's type, from what the project's calls of ``func`` pass in
        (the first whose type is known, in file order)."""
        key = (func.key, name)
        if key in self._argument_types:
            return self._argument_types[key]
        if key in self._arguments_in_progress:
            return None  # a cycle of calls passing the value round gives nothing
        self._arguments_in_progress.add(key)
        try:
            found = self._passed_type(func, index, name, depth)
        finally:
            self._arguments_in_progress.discard(key)
        self._argument_types[key] = found
        return found

    def _passed_type(self, func: Func, index: int, name: str, depth: int) -> str | None:
        method = self.class_of(func) is not None and not func.fact.is_static
        position = index - 1 if method else index  # "self" is not passed
        owner = self.class_of(func)
        sites = self.call_sites(func.fact.name)
        if func.fact.name == "__init__" and owner is not None:
            sites = sites + self.call_sites(owner.fact.name)  # Event(data, client=self) runs Event.__init__
        for caller, call in sites:
            argument = call.keyword(name) or (call.args[position] if 0 <= position < len(call.args) else None)
            if not argument:
                continue
            if func.key not in {target.key for target in self.resolve_calls(caller, call)}:
                continue
            found = self.value_type(caller, argument, depth)
            if found:
                return found
        return None

    def call_sites(self, name: str) -> list[tuple[Func, CallFact]]:
        """Every call of a function or method called ``name`` in the parsed modules."""
        if len(self._sited) != len(self._by_path):
            for path, facts in list(self._by_path.items()):
                if path not in self._sited:
                    self._sited.add(path)
                    self._add_call_sites(facts)
            self._argument_types = {k: v for k, v in self._argument_types.items() if v is not None}
        return self._call_sites.get(name, [])

    def _add_call_sites(self, facts: ModuleFacts) -> None:
        """Index a newly parsed module's calls, keeping each list in file, function, call order."""
        for function_index, fn in enumerate(facts.functions):
            for call_index, call in enumerate(fn.calls):
                keys = self._call_site_keys.setdefault(call.method, [])
                sites = self._call_sites.setdefault(call.method, [])
                key = (str(facts.path), function_index, call_index)
                at = bisect.bisect(keys, key)
                keys.insert(at, key)
                sites.insert(at, (Func(facts, fn), call))

    def external_name(self, func: Func, call: CallFact) -> str:
        """``queue.Queue.put`` for ``self._q.put(...)`` when ``self._q`` is a Queue, etc."""
        if call.receiver:
            kind = self.receiver_type(func, call.receiver)
            if kind:
                return f"{kind}.{call.method}"
        return call.resolved

    # -- call resolution ----------------------------------------------------

    def resolve_call(self, func: Func, call: CallFact) -> Func | None:
        """The function a call runs; for an abstract method, its first project implementation."""
        targets = self.resolve_calls(func, call)
        return targets[0] if targets else None

    def resolve_calls(self, func: Func, call: CallFact) -> list[Func]:
        """Every function a call may run: the method it names, or — when that method is abstract
        or does nothing — each project implementation of it (``plugin.execute(event)`` runs
        whichever plugin the list holds)."""
        parsed = len(self._by_path)
        memo = self._resolved.get(id(call))
        if memo is not None and memo[0] is call and memo[1] is func.fact and memo[2] == parsed:
            return memo[3]
        found = self._resolve_calls(func, call)
        if len(self._by_path) == parsed and not self._arguments_in_progress and not self._attrs_in_progress:
            # Kept only when the answer saw one set of parsed modules and no half-worked-out type:
            # asked again in the same state, the resolution would give the same answer.
            self._resolved[id(call)] = (call, func.fact, parsed, found)
        return found

    def _resolve_calls(self, func: Func, call: CallFact) -> list[Func]:
        declared = self._declared_target(func, call)
        if isinstance(declared, Klass):  # the receiver's declared type lacks the method: its subclasses have it
            return self.subclass_methods(declared, call.method)
        if declared is None:
            return []
        if call.callee.split(".")[0] in ("self", "cls", "super()") and call.callee.count(".") == 1:
            return [declared]  # the class's own method: a subclass client is judged with its own overrides
        return self.implementations(declared)

    def subclass_methods(self, klass: Klass, name: str) -> list[Func]:
        """Method ``name`` of each project subclass of ``klass`` that defines it (in file order)."""
        return [self.methods(sub)[name] for sub in self.subclasses(klass) if name in sub.fact.methods]

    def subclasses(self, klass: Klass) -> list[Klass]:
        """The parsed project classes that have ``klass`` among their bases, in path order.

        A class's bases are worked out once (``bases``), so a module's answer is final once it
        has been scanned: asked again after more modules were parsed, only those are scanned."""
        by_module = self._subclasses.setdefault(klass.key, {})
        found: list[Klass] = []
        for facts in self.parsed_modules():
            matches = by_module.get(facts.path)
            if matches is None:
                matches = [sub for sub in self.classes_in(facts) if klass.key in self._base_keys(sub)]
                by_module[facts.path] = matches
            found.extend(matches)
        return found

    def _base_keys(self, klass: Klass) -> frozenset[tuple[str, str]]:
        if klass.key not in self._base_key_sets:
            self._base_key_sets[klass.key] = frozenset(base.key for base in self.bases(klass))
        return self._base_key_sets[klass.key]

    def _declared_target(self, func: Func, call: CallFact) -> Func | Klass | None:
        callee = call.callee
        if not callee:
            return None
        parts = callee.split(".")
        klass = self.class_of(func)
        if parts[0] in ("self", "cls") and klass is not None:
            if len(parts) == 2:
                return self.methods(klass).get(parts[1])
        if parts[0] == "super()" and klass is not None and len(parts) == 2:
            for base in self.bases(klass):
                method = self.methods(base).get(parts[1])
                if method is not None:
                    return method
            return None
        if len(parts) > 2 and parts[0] in ("self", "cls"):
            kind = self.receiver_type(func, call.receiver)
            target = self.find_class(kind) if kind else None
            return (self.methods(target).get(parts[-1]) or target) if target is not None else None
        if len(parts) == 1:
            for scope in (func.fact.qualname, func.fact.parent):
                if scope:
                    nested = func.module.function(f"{scope}.<locals>.{callee}")
                    if nested is not None:
                        return Func(func.module, nested)
            local = func.module.function(callee)
            if local is not None:
                return Func(func.module, local)
        if len(parts) >= 2 and parts[0] not in dict(func.module.imports):
            kind = self.receiver_type(func, call.receiver)
            target = self.find_class(kind) if kind else None
            if target is not None:
                return self.methods(target).get(parts[-1]) or target
        resolved = call.resolved
        found = self.find_function(resolved) if "." in resolved else None
        if found is not None:
            return found
        constructed = self.find_class(resolved) if "." in resolved else None
        if constructed is not None:
            return self.methods(constructed).get("__init__")
        return None

    def implementations(self, method: Func) -> list[Func]:
        """``method`` itself, or for an abstract or do-nothing method every override in a
        project subclass that does something (in file order); the method itself when none does."""
        fact = method.fact
        if not (fact.is_abstract or _does_nothing(fact)):
            return [method]
        owner = self.class_of(method)
        if owner is None:
            return [method]
        key = (owner.key, method.fact.name)
        if key not in self._overrides:
            overrides = [
                override
                for override in self.subclass_methods(owner, method.fact.name)
                if not override.fact.is_abstract and not _does_nothing(override.fact)
            ]
            self._overrides[key] = overrides or [method]
        return self._overrides[key]

    def reference(self, func: Func, text: str) -> Func | None:
        """The function a reference such as ``self._run`` or ``worker_loop`` names."""
        fake = CallFact(text, _qualify(func.module, text), (), (), 0, 0, False, False, None, ())
        return self.resolve_call(func, fake)

    def walk(
        self,
        start: Func,
        max_depth: int = MAX_DEPTH,
        *,
        same_thread: bool = False,
        stop: Callable[[Func, CallFact], bool] | None = None,
    ) -> Iterator[tuple[Func, tuple[Hop, ...]]]:
        """Every project function reachable from ``start`` with the chain of calls leading there.

        ``same_thread`` skips calls handed to another thread (inside a lambda given to
        ``Thread``/``Timer``/``submit``) and never descends into a queue implementation: a
        ``put`` on a queue is the enqueue itself. ``stop`` names calls not to descend into.
        """
        seen = {start.key}
        frontier: list[tuple[Func, tuple[Hop, ...]]] = [(start, ())]
        while frontier:
            func, chain = frontier.pop(0)
            yield func, chain
            if len(chain) >= max_depth:
                continue
            for call in func.fact.calls:
                if same_thread and call.offthread:
                    continue
                if stop is not None and stop(func, call):
                    continue
                for target in self.resolve_calls(func, call):
                    if target.key in seen:
                        continue
                    if same_thread and self.is_queue_implementation(self.class_of(target)):
                        continue
                    seen.add(target.key)
                    frontier.append((target, (*chain, Hop(func, call))))

    def is_drained_buffer(self, func: Func, receiver: str, publish: Func) -> bool:
        """``self.X`` (appended to by ``func``) is an event buffer: another method takes events
        back out of it — off the publishing thread. A stack pushed and popped while ``publish``
        runs (a serializer's memo) is bookkeeping, not a buffer."""
        parts = receiver.split(".")
        klass = self.class_of(func)
        if klass is None or len(parts) != 2 or parts[0] != "self":
            return False
        if publish.key not in self._same_thread:
            self._same_thread[publish.key] = {f.key for f, _chain in self.walk(publish, same_thread=True)}
        same_thread = self._same_thread[publish.key]
        for method in self.methods(klass).values():
            if method.key == func.key or method.key in same_thread:
                continue
            if method.fact.name in ("__enter__", "__exit__", "__aenter__", "__aexit__"):
                continue  # a context manager's exit pops on the caller's own thread (a memo stack)
            drains = any(c.receiver == receiver and c.method in DRAINING_METHODS for c in method.fact.calls)
            # or swaps it out for a fresh list
            if drains or (method.fact.name != "__init__" and any(a.target == receiver for a in method.fact.attr_assigns)):
                if method.key in self.thread_reach():  # a ring of breadcrumbs the caller clears is no buffer
                    return True
        return False

    def thread_reach(self) -> set[tuple[str, str]]:
        """Every function some thread of the project runs: what ``Thread(target=…)``, ``Timer``,
        ``submit``/``run_in_executor`` and ``Thread`` subclasses' ``run`` reach."""
        if self._thread_reach_of != len(self.modules):
            roots: list[Func] = []
            for facts in self.parsed_modules():
                classes, named = self._thread_starts(facts)
                for klass in classes:
                    run = self.methods(klass).get("run")
                    if run is not None and self.is_subclass(klass, THREAD_TYPES):
                        roots.append(run)
                for func, text in named:
                    roots.extend(self._functions_named_by(func, text))
            reach: set[tuple[str, str]] = set()
            for root in roots:
                if root.key not in reach:
                    reach.update(f.key for f, _ in self.walk(root, max_depth=6))
            self._thread_reach, self._thread_reach_of = reach, len(self.modules)
        return self._thread_reach

    def _thread_starts(self, facts: ModuleFacts) -> tuple[list[Klass], list[tuple[Func, str]]]:
        """What in a module may start a thread, read off its facts once: the classes with a
        ``run`` method, and each function handed to ``Thread(target=…)``, ``submit``, ``Timer`` …"""
        if facts.path not in self._starts:
            classes = [Klass(facts, k) for k in facts.classes if "run" in k.methods]
            named: list[tuple[Func, str]] = []
            for fn in facts.functions:
                for call in fn.calls:
                    texts = [v for k, v in call.keywords if k == "target"]
                    if call.method in ("submit", "apply_async", "start_new_thread") and call.args:
                        texts.append(call.args[0])
                    elif call.method in ("Timer", "run_in_executor") and len(call.args) > 1:
                        texts.append(call.args[1])
                    named.extend((Func(facts, fn), text) for text in texts)
            self._starts[facts.path] = (classes, named)
        return self._starts[facts.path]

    def _functions_named_by(self, func: Func, text: str) -> list[Func]:
        """The function ``text`` names in ``func``; for a parameter (a helper that starts threads,
        ``spawn(name, task)``), the functions its callers pass for it."""
        referenced = self.reference(func, text)
        if referenced is not None:
            return [referenced]
        names = [p.name for p in func.fact.params]
        if text not in names:
            return []
        position = names.index(text) - (1 if self.class_of(func) is not None and not func.fact.is_static else 0)
        found = []
        for caller, call in self.call_sites(func.fact.name):
            passed = call.keyword(text) or (call.args[position] if 0 <= position < len(call.args) else None)
            target = self.reference(caller, passed) if passed else None
            if target is not None and func.key in {t.key for t in self.resolve_calls(caller, call)}:
                found.append(target)
        return found

    def is_queue_implementation(self, klass: Klass | None) -> bool:
        """A project class that *is* a queue (a vendored ``queue.Queue``, a subclass of one)."""
        if klass is None:
            return False
        if self.is_subclass(klass, QUEUE_TYPES | UNBOUNDED_QUEUE_TYPES):
            return True
        return {"put", "get"} <= set(klass.fact.methods) or {"put_nowait", "get_nowait"} <= set(klass.fact.methods)

    # -- classification helpers ----------------------------------------------

    def is_http_call(self, func: Func, call: CallFact) -> bool:
        """A request sent by an HTTP client: ``requests.post``, ``Session.post``, ``urlopen`` …

        Only module-level entry points and methods of client/session/connection types count:
        ``requests.structures.CaseInsensitiveDict.get`` is not I/O.
        """
        method = call.method
        if any(fnmatch.fnmatchcase(method, pattern) for pattern in self.config.send_methods):
            return True
        if method not in HTTP_METHODS:
            return False
        name = self.external_name(func, call)
        if name in ("urllib.request.urlopen", "urllib2.urlopen") or (method == "urlopen" and name.startswith(HTTP_PACKAGES)):
            return True
        owner = name.rsplit(".", 1)[0]
        if owner in HTTP_MODULES:
            return True
        if name.startswith(HTTP_PACKAGES) and owner.rsplit(".", 1)[-1].endswith(HTTP_CLIENT_SUFFIXES):
            return True
        receiver = call.receiver.rsplit(".", 1)[-1].lower()
        known_type = self.receiver_type(func, call.receiver) if call.receiver else None
        if known_type is not None or not receiver:
            return False
        if method == "urlopen":
            return True  # urllib3's pool.urlopen(method, url, ...), whatever the pool is called
        # an injected client of unknown type: a session, or a urllib3 pool passed in as a parameter
        return method in {"post", "request", "send"} and (
            "session" in receiver or "pool" in receiver or receiver in {"http", "client", "_http", "http_client"}
        )


def _does_nothing(fact: FunctionFact) -> bool:
    """A body of ``pass``, ``...``, a docstring or ``return None``: a hook or a protocol's stub."""
    return not fact.calls and not fact.attr_assigns and all(r.kind == "none" for r in fact.return_stmts)


def _qualify(module: ModuleFacts, name: str) -> str:
    root, _, rest = name.partition(".")
    imports = dict(module.imports)
    if root in imports:
        return imports[root] + (f".{rest}" if rest else "")
    if module.module and root not in ("self", "cls"):
        return f"{module.module}.{name}"
    return name


# ---------------------------------------------------------------------------
# Discovery


def matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


@dataclass
class Client:
    klass: Klass
    publish_methods: list[Func]

    @property
    def name(self) -> str:
        return self.klass.fact.qualname


@dataclass
class Publisher:
    """Everything the rules judge: clients and the project functions they reach."""

    project: Project
    clients: list[Client]
    reach: dict[tuple[str, str], Func] = field(default_factory=dict)
    reach_classes: dict[tuple[str, str], Klass] = field(default_factory=dict)
    components: set[tuple[str, str]] = field(default_factory=set)  # classes it builds or stores (not its bases)
    cache: dict[str, object] = field(default_factory=dict)  # analyses from parts.py, computed once

    @property
    def config(self) -> Config:
        return self.project.config

    def functions(self) -> Iterator[Func]:
        return iter(self.reach.values())



def _is_client_reach(project: Project, func: Func) -> bool:
    """True when ``func`` (a publish method) reaches an enqueue or an HTTP send."""
    if func.fact.is_abstract:
        return False
    for reached, _chain in project.walk(func, max_depth=5):
        for call in reached.fact.calls:
            if call.method in ENQUEUE_METHODS or project.is_http_call(reached, call):
                return True
            if call.method in APPEND_METHODS and project.is_drained_buffer(reached, call.receiver, func):
                return True
    return False


# Public methods that manage a publisher rather than hand it events: never entry points by behaviour.
LIFECYCLE_NAMES = frozenset(
    {
        "close", "shutdown", "stop", "terminate", "join", "flush", "start", "run", "wait", "drain", "kill",
        "on", "off", "setup", "reset", "restart", "pause", "resume", "clear",
    }
)


def _puts_on_a_queue(project: Project, func: Func) -> bool:
    """True when ``func`` (any public method) hands something to a known queue type on its own thread."""
    if func.fact.is_abstract:
        return False
    closures = [Func(func.module, fn) for fn in func.module.nested_in(func.fact.qualname)]
    if any(_puts_on_a_queue(project, closure) for closure in closures):
        return True  # a closure handed to an error-boundary helper (run_safely(capture)) is the entry's body
    for reached, _chain in project.walk(func, max_depth=5, same_thread=True):
        for call in reached.fact.calls:
            if call.method in ENQUEUE_METHODS and call.receiver:
                kind = project.receiver_type(reached, call.receiver)
                if kind in QUEUE_TYPES or kind in UNBOUNDED_QUEUE_TYPES or kind in ASYNC_QUEUE_TYPES:
                    return True
            if call.method in APPEND_METHODS and call.receiver and project.is_drained_buffer(reached, call.receiver, func):
                return True  # a deque or list another thread empties
    return False


def entry_points(project: Project, klass: Klass) -> list[Func]:
    """Public methods, whatever their names, that put events on a queue: ``push``, ``send``, ``add_record``."""
    found = []
    config = project.config
    managing = config.flush_methods + config.close_methods + config.handler_methods
    for name, method in sorted(project.methods(klass).items()):
        if name.startswith("_") or name.lower() in LIFECYCLE_NAMES or matches(name, managing) or method.fact.is_static:
            continue
        if any(f.name in ("property", "contextmanager", "contextlib.contextmanager") for f in method.fact.decorators):
            continue
        if _puts_on_a_queue(project, method):
            found.append(method)
    return found


def _class_uses_concurrency_or_http(project: Project, klass: Klass) -> bool:
    for method in project.methods(klass).values():
        for reached, _chain in project.walk(method, max_depth=4):
            for call in reached.fact.calls:
                name = project.external_name(reached, call)
                if name in THREAD_TYPES or name in EXECUTOR_TYPES or project.is_http_call(reached, call):
                    return True
                kind = project.find_class(call.resolved) if "." in call.resolved else None
                if kind is not None and project.is_subclass(kind, THREAD_TYPES):
                    return True
                if call.method in ENQUEUE_METHODS:
                    receiver_kind = project.receiver_type(reached, call.receiver) if call.receiver else None
                    if receiver_kind in QUEUE_TYPES or receiver_kind in UNBOUNDED_QUEUE_TYPES:
                        return True
    return False


def is_logging_handler(project: Project, klass: Klass) -> bool:
    """A ``logging.Handler`` subclass: the logging module builds it (``dictConfig``) and drives its
    lifecycle (``logging.shutdown`` flushes and closes every handler at exit)."""
    return any(name.startswith("logging.") and name.endswith("Handler") for name in project.all_base_names(klass))


TEST_BASES = frozenset({"unittest.TestCase", "unittest.case.TestCase", "unittest.IsolatedAsyncioTestCase"})


def is_test_code(project: Project, klass: Klass) -> bool:
    """A test drives a publisher; it never is one (``tests/``, ``test_*.py``, ``TestCase`` subclasses)."""
    parts = klass.module.module.split(".")
    if any(p in ("test", "tests", "testing", "conftest") or p.startswith("test_") or p.endswith("_test") for p in parts):
        return True
    return klass.fact.name.startswith("Test") or bool(project.all_base_names(klass) & TEST_BASES)


def is_task_runner(klass: Klass) -> bool:
    """A worker whose queue holds callables it runs (sentry's BackgroundWorker, an executor):
    it carries whatever its caller submits; the caller's sends are judged with the caller."""
    return bool(klass.fact.runs_what_it_takes)


def discover(project: Project) -> list[Publisher]:
    """One publisher view per client class.

    Each client is judged on what *it* reaches, so two publishers in one repository never
    lend each other a classifier or a retry loop. A client reached from another client
    (a worker or lane object with its own ``submit``/``enqueue``) is a component of that
    client, not a client of its own.
    """
    config = project.config
    clients: list[Client] = []
    for facts in list(project.modules.values()):
        for klass_fact in facts.classes:
            project.between()
            klass = Klass(facts, klass_fact)
            configured = matches(klass_fact.name, config.client_classes) or matches(klass.qualified, config.client_classes)
            publish = [
                Func(facts, fn)
                for fn in facts.functions
                if fn.class_name == klass_fact.qualname and matches(fn.name, config.publish_methods)
            ]
            if configured:
                clients.append(Client(klass, publish))
                continue
            if project.is_queue_implementation(klass) or is_test_code(project, klass) or is_task_runner(klass):
                continue
            live = [p for p in publish if _is_client_reach(project, p)] or entry_points(project, klass)
            if live and _class_uses_concurrency_or_http(project, klass):
                clients.append(Client(klass, live))
    publishers = []
    for client in clients:
        publisher = Publisher(project, [client])
        _compute_reach(publisher)
        publishers.append(publisher)
    configured_keys = {
        c.klass.key for c in clients if matches(c.klass.fact.name, config.client_classes) or matches(c.klass.qualified, config.client_classes)
    }

    def component_of_another(publisher: Publisher) -> bool:
        key = publisher.clients[0].klass.key
        if key in configured_keys:
            return False
        entries = {func.key for func in publisher.clients[0].publish_methods}
        return any(
            other is not publisher
            and (
                key in other.components  # built or stored by the other
                or (entries & other.reach.keys() and not {f.key for f in other.clients[0].publish_methods} & publisher.reach.keys())
            )
            and other.clients[0].klass.key not in publisher.components
            and key not in {base.key for base in project.bases(other.clients[0].klass)}  # a base is no component
            for other in publishers
        )

    def extends_another(publisher: Publisher) -> bool:
        """A subclass of another client (a wrapper adding a feature) is judged through that client."""
        key = publisher.clients[0].klass.key
        bases = {base.key for base in project.bases(publisher.clients[0].klass)}
        return key not in configured_keys and any(other.clients[0].klass.key in bases for other in publishers)

    return [p for p in publishers if not component_of_another(p) and not extends_another(p)]


def _compute_reach(publisher: Publisher) -> None:
    """Client methods, what they call, classes they build or store, thread targets: closed over."""
    project = publisher.project
    pending: list[Klass] = [client.klass for client in publisher.clients]
    funcs: list[Func] = []
    while pending or funcs:
        while pending:
            klass = pending.pop()
            if klass.key in publisher.reach_classes:
                continue
            publisher.reach_classes[klass.key] = klass
            funcs.extend(project.methods(klass).values())
            for base in project.bases(klass):
                pending.append(base)
        if not funcs:
            break
        func = funcs.pop()
        if func.key in publisher.reach:
            continue
        publisher.reach[func.key] = func
        for call in func.fact.calls:
            for target in project.resolve_calls(func, call):
                funcs.append(target)
                owner = project.class_of(target)
                if owner is not None and target.fact.name == "__init__":
                    pending.append(owner)
                    if not call.callee.startswith("super()") and call.method != "__init__":
                        publisher.components.add(owner.key)
            for key, value in call.keywords:
                if key == "target":
                    referenced = project.reference(func, value)
                    if referenced is not None:
                        funcs.append(referenced)
            if call.method in {"submit", "run_in_executor"} and call.args:
                referenced = project.reference(func, call.args[-1] if call.method == "run_in_executor" else call.args[0])
                if referenced is not None:
                    funcs.append(referenced)
        owner = project.class_of(func)
        if owner is not None:
            for assign in func.fact.attr_assigns:
                if assign.target.startswith("self.") and assign.value_call:
                    stored = project.find_class(assign.value_call) if "." in assign.value_call else None
                    if stored is not None:
                        pending.append(stored)
                        publisher.components.add(stored.key)
        # Nested functions are reachable through their parent.
        for fn in func.module.nested_in(func.fact.qualname):
            funcs.append(Func(func.module, fn))
