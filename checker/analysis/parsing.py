"""Parsing target files in child processes.

Every file is compiled (syntax errors anywhere are reported) and the files that can hold
publisher parts are turned into facts. That runs in worker processes, which give the run
both cores: the files discovery needs are parsed while it waits for them, every other file's
syntax is checked in the background meanwhile. A linter must survive any file, so a worker
that dies or runs past the time budget is replaced and the file it was working on is
reported as a per-file error.
"""

from __future__ import annotations

import ast
import faulthandler
import multiprocessing
import os
import pickle
import sys
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkContext, SpawnContext
from multiprocessing.process import BaseProcess
from pathlib import Path

from .facts import ModuleFacts

Request = tuple[Path, str, bytes, bool]  # path, module name, source, syntax check only
Outcome = ModuleFacts | str | None  # facts; the reason the file could not be parsed; None: syntax fine

DEFAULT_TIMEOUT = 30.0
BUDGET_LINES = 10_000  # a file of more lines gets the time budget once per this many lines
WALK_DEPTH = 20_000  # the recursion limit for walking a tree ast.parse built at the default limit


def time_budget(timeout: float, source: bytes) -> float:
    """How long one file may take: ``timeout``, scaled with its length, since a parse takes
    time in proportion to the lines (a 50,000-line module is slow, not hostile)."""
    return timeout * max(1.0, source.count(b"\n") / BUDGET_LINES)


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, (RecursionError, MemoryError)):  # CPython's parser runs out of stack
        return f"too deeply nested to parse ({type(exc).__name__})"
    cst = sys.modules.get("libcst")  # a libcst error means libcst is loaded (a warm run never loads it)
    if cst is not None and isinstance(exc, cst.ParserSyntaxError):
        return f"syntax error at line {exc.raw_line}, column {exc.raw_column + 1}: {exc.message}"
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


NOT_TEXT = "not UTF-8 text (a binary file, or another encoding without a coding line)"


def describe_syntax_error(exc: SyntaxError) -> str:
    """Where the file went wrong; a file that is no text at all (NUL bytes, bytes its encoding
    cannot decode) says so instead of naming a line it has none of."""
    if "null bytes" in exc.msg or "unicode error" in exc.msg or "codec can't decode" in exc.msg:
        return NOT_TEXT
    if exc.lineno is None:
        return f"syntax error: {exc.msg}"
    return f"syntax error at line {exc.lineno}, column {exc.offset}: {exc.msg}"


def compile_source(path: Path, source: bytes) -> None:
    """The one compile check (VERIFY's and the fix loop's); raises SyntaxError or ValueError.

    A full compile, not only the parser's: CPython finds some syntax errors later ('return'
    outside a function, a misplaced or unknown __future__ import), which neither ``ast.parse``
    nor libcst reports."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings in the target's code are not our verdict
        compile(source, str(path), "exec", dont_inherit=True)


def _compile_tree(path: Path, source: bytes, tree: ast.Module) -> None:
    """``compile_source`` for a source already parsed into ``tree``: the compiler's own checks
    (the same errors, at the same places) without parsing it a second time. Compiling a tree
    refuses shallower nesting than compiling its text, so a tree too deep is compiled as text."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(tree, str(path), "exec", dont_inherit=True)
    except (RecursionError, MemoryError):
        compile_source(path, source)


def parse_one(path: Path, module_name: str, source: bytes, syntax_only: bool, compiled: bool = False) -> Outcome:
    """Facts of one file, or only whether it compiles (files that cannot hold publisher parts).

    ``compiled``: this run already compiled this source, so the facts need no second compile."""
    from .extraction import extract  # imported where facts are made: a warm run makes none

    try:
        if syntax_only:
            compile_source(path, source)
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, str(path))
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, WALK_DEPTH))  # what CPython parsed, our walk must not refuse
        try:
            facts = extract(path, module_name, source, tree)
        finally:
            sys.setrecursionlimit(limit)
        if not compiled:
            _compile_tree(path, source, tree)
        return facts
    except SyntaxError as exc:
        return describe_syntax_error(exc)
    except UnicodeDecodeError:
        return NOT_TEXT
    except (Exception, RecursionError) as exc:  # any failure on a strange file is that file's error
        return describe_error(exc)


Job = tuple[Path, str, bytes, bool, bool]  # a request, and whether this run already compiled that source
BATCH_BYTES = 256 * 1024  # background work handed to a worker at once: ~25 ms of compiling


def _serve(connection: Connection) -> None:
    """Child process: run each batch of jobs it is sent, answering job by job, until told to stop.

    Each answer carries the moment it was finished, so that the parent, reading answers late,
    still knows when the next job began (its time budget runs from then); the outcome comes
    pickled, so that facts read ahead cost the parent nothing until they are used."""
    faulthandler.disable()  # a native crash here is expected and reported by the parent
    while True:
        jobs = connection.recv()
        if jobs is None:
            return
        for job in jobs:
            outcome = parse_one(*job)
            connection.send(
                (pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL), isinstance(outcome, ModuleFacts), time.monotonic())
            )


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection
    jobs: deque[Job] = field(default_factory=deque)  # sent and not answered yet, in order
    urgent: bool = False  # its job is one a caller waits for, not background work
    started: float = 0.0  # when its first unanswered job began


class ParserPool:
    """Worker processes that parse files: what a caller waits for first (``parse``); in the
    background while the caller works, the facts of files it will likely ask for next
    (``read_ahead``) and the syntax of every other file (``check_later``, collected by
    ``finish``), so that both cores are busy from the first file."""

    def __init__(
        self, size: int | None = None, timeout: float = DEFAULT_TIMEOUT, on_done: Callable[[int], None] | None = None
    ) -> None:
        methods = multiprocessing.get_all_start_methods()
        self._context: SpawnContext | ForkContext = (
            multiprocessing.get_context("fork") if "fork" in methods else multiprocessing.get_context("spawn")
        )
        self._size = max(1, size or min(os.cpu_count() or 1, 4))
        self._timeout = timeout
        self._on_done = on_done  # told how many more files have their outcome (a progress line)
        self._workers: list[_Worker] = []
        self._ahead: dict[Path, Request] = {}  # facts to read ahead, not handed out yet
        self._fetched: dict[Path, tuple[bytes, bytes]] = {}  # path -> (source, pickled outcome) read ahead
        self._later: dict[Path, Request] = {}  # background syntax checks not handed out yet
        self._checked: dict[Path, Outcome] = {}  # their outcomes
        self._answered: dict[Path, Outcome] = {}  # outcomes of the jobs ``parse`` waits for
        self._compiled: dict[Path, bytes] = {}  # sources this run compiled without error
        self._pickled: dict[Path, bytes] = {}  # the facts ``parse`` answered, as the worker pickled them

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spawn(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(child,), daemon=True)
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join()
        worker.connection.close()
        self._workers.remove(worker)

    def close(self) -> None:
        for worker in list(self._workers):
            try:
                worker.connection.send(None)
            except OSError:
                pass
            worker.process.join(timeout=1)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.connection.close()
        self._workers.clear()

    def parse(self, requests: Iterable[Request]) -> dict[Path, Outcome]:
        """Parse every request and wait for them; results keyed by path, in any order."""
        wanted: dict[Path, Request] = {request[0]: request for request in requests}
        for path in wanted:
            self._later.pop(path, None)  # parsing a file checks its syntax too
            self._ahead.pop(path, None)
        reading = self._reading() & wanted.keys()
        pending = deque(self._job(r) for path, r in wanted.items() if path not in reading and not self._read(r))
        while pending or any(w.jobs and w.urgent for w in self._workers) or reading & self._reading():
            self._hand_out(pending, keep_free=0)
            self._collect(block=True)
        for path in reading:  # read ahead meanwhile (or, if that worker was lost, not at all)
            if not self._read(wanted[path]):
                self._answered.update(self.parse([wanted[path]]))
        return {path: self._answered.pop(path) for path in wanted}

    def take_pickled(self, path: Path) -> bytes | None:
        """The outcome ``parse`` last answered for ``path`` as the worker pickled it (once), so
        that a cache stores it without pickling it again."""
        return self._pickled.pop(path, None)

    def _reading(self) -> set[Path]:
        """The files whose facts are being read ahead right now."""
        return {job[0] for w in self._workers if not w.urgent for job in w.jobs if not job[3]}

    def _read(self, request: Request) -> bool:
        """Answer a facts request from what was read ahead, if the source is the one asked about."""
        path, _name, source, syntax_only = request
        fetched = self._fetched.pop(path, None)
        if syntax_only or fetched is None or fetched[0] != source:
            return False
        self._answered[path] = pickle.loads(fetched[1])
        self._pickled[path] = fetched[1]
        if self._on_done is not None:
            self._on_done(1)
        return True

    def read_ahead(self, requests: Iterable[Request], keep_free: int = 1) -> None:
        """Work out these files' facts in the background, in this order, for ``parse`` to answer
        from; ``keep_free=0`` when the caller will ask for nothing else before these."""
        busy = self._reading()
        fresh = {r[0]: r for r in requests if r[0] not in self._fetched and r[0] not in busy}
        self._ahead = {**fresh, **{path: r for path, r in self._ahead.items() if path not in fresh}}  # newest first
        self.pump(keep_free)

    def check_later(self, requests: Iterable[Request]) -> None:
        """Check these files' syntax in the background; ``finish`` gives the outcomes."""
        for request in requests:
            self._later[request[0]] = request
        self.pump()

    def pump(self, keep_free: int = 1) -> None:
        """Take in finished background work and hand out more, keeping one worker free for the
        next file a caller will wait for. Never blocks: call it between pieces of other work."""
        if self._ahead or self._later or any(w.jobs for w in self._workers):
            self._collect(block=False)
            self._hand_out(deque(), keep_free=keep_free)

    def finish(self) -> dict[Path, Outcome]:
        """Wait for every background syntax check (reading ahead stops); their outcomes by path."""
        self._ahead.clear()
        while self._later or any(w.jobs for w in self._workers):
            self._hand_out(deque(), keep_free=0)
            self._collect(block=True)
        checked, self._checked = self._checked, {}
        return checked

    def _job(self, request: Request) -> Job:
        path, _name, source, syntax_only = request
        return (*request, not syntax_only and self._compiled.get(path) == source)

    def _hand_out(self, pending: deque[Job], keep_free: int) -> None:
        """Give idle workers work: the jobs a caller waits for first, then background batches
        (facts to read ahead before syntax checks) while more than ``keep_free`` workers would stay idle."""
        while len(self._workers) < self._size and (pending or self._ahead or self._later):
            self._spawn()
        idle = [w for w in self._workers if not w.jobs]
        for worker in idle:
            if pending:
                self._send(worker, [pending.popleft()], urgent=True)
            elif (self._ahead or self._later) and sum(1 for w in self._workers if not w.jobs) > keep_free:
                batch: list[Job] = []
                size = 0
                while (self._ahead or self._later) and (not batch or size < BATCH_BYTES):
                    queue = self._ahead or self._later
                    request = queue.pop(next(iter(queue)))
                    batch.append(self._job(request))
                    size += len(request[2])
                self._send(worker, batch, urgent=False)

    def _send(self, worker: _Worker, jobs: list[Job], urgent: bool) -> None:
        worker.jobs.extend(jobs)
        worker.urgent = urgent
        worker.started = time.monotonic()
        worker.connection.send(jobs)

    def _budget(self, worker: _Worker) -> float:
        return time_budget(self._timeout, worker.jobs[0][2])

    def _collect(self, block: bool) -> None:
        """Take the answers that have arrived; a worker past its job's budget, or dead, has that
        job reported as the file's error, its other jobs handed out again, and is replaced."""
        busy = [w for w in self._workers if w.jobs]
        if not busy:
            return
        deadline = min(w.started + self._budget(w) for w in busy)
        ready = wait([w.connection for w in busy], timeout=max(0.0, deadline - time.monotonic()) if block else 0)
        settled = 0
        for worker in busy:
            failure = ""
            if worker.connection in ready:
                try:
                    while worker.jobs and worker.connection.poll():
                        outcome, parsed, finished = worker.connection.recv()
                        settled += self._settle(worker.jobs.popleft(), outcome, parsed, worker.urgent)
                        worker.started = finished
                except (EOFError, OSError):
                    failure = "the parser process died on this file"
            if not failure and worker.jobs and time.monotonic() - worker.started >= self._budget(worker):
                failure = f"parsing took longer than {self._budget(worker):g} s"
            if failure:
                settled += self._settle(worker.jobs.popleft(), pickle.dumps(failure), False, worker.urgent)
                for path, name, source, syntax_only, _compiled in worker.jobs:  # not reached: try again
                    if syntax_only:
                        self._later[path] = (path, name, source, syntax_only)
                self._retire(worker)
        if self._on_done is not None and settled:
            self._on_done(settled)

    def _settle(self, job: Job, pickled: bytes, parsed: bool, urgent: bool) -> int:
        """File the outcome of a job (``parsed``: facts came out); how many files that gives their
        syntax check's outcome."""
        path, _name, source, syntax_only, compiled = job
        if not urgent and not syntax_only:
            self._fetched[path] = (source, pickled)  # a failure too: asked for, it is the file's error
            if parsed and not compiled and path in self._later:  # it compiled: no need to check it again
                del self._later[path]
                self._compiled[path] = source
                self._checked[path] = None
                return 1
            return 0
        outcome = pickle.loads(pickled)
        if urgent and not syntax_only:
            self._pickled[path] = pickled
        if syntax_only and outcome is None:
            self._compiled[path] = source
        (self._answered if urgent else self._checked)[path] = outcome
        return 1
