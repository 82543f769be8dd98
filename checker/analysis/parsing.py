"""Parsing target files in child processes.

Every file is compiled (syntax errors anywhere are reported) and the files that can hold
publisher parts are turned into facts. That runs in worker processes, which give the run
both cores; and a linter must survive any file, so a worker that dies or runs past the time
budget is replaced and the file it was working on is reported as a per-file error.
"""

from __future__ import annotations

import ast
import faulthandler
import multiprocessing
import os
import sys
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkContext, SpawnContext
from multiprocessing.process import BaseProcess
from pathlib import Path

from libcst import ParserSyntaxError

from .extraction import extract
from .facts import ModuleFacts

Request = tuple[Path, str, bytes, bool]  # path, module name, source, syntax check only
Outcome = ModuleFacts | str | None  # facts; the reason the file could not be parsed; None: syntax fine

DEFAULT_TIMEOUT = 30.0
BUDGET_LINES = 10_000
WALK_DEPTH = 20_000  # the recursion limit for walking a tree ast.parse built at the default limit  # a file of more lines gets the time budget once per this many lines


def time_budget(timeout: float, source: bytes) -> float:
    """How long one file may take: ``timeout``, scaled with its length, since a parse takes
    time in proportion to the lines (a 50,000-line module is slow, not hostile)."""
    return timeout * max(1.0, source.count(b"\n") / BUDGET_LINES)


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, (RecursionError, MemoryError)):  # CPython's parser runs out of stack
        return f"too deeply nested to parse ({type(exc).__name__})"
    if isinstance(exc, ParserSyntaxError):
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


def parse_one(path: Path, module_name: str, source: bytes, syntax_only: bool) -> Outcome:
    """Facts of one file, or only whether it compiles (files that cannot hold publisher parts)."""
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
        compile_source(path, source)  # not the tree: compiling an ast refuses shallower nesting
        return facts
    except SyntaxError as exc:
        return describe_syntax_error(exc)
    except UnicodeDecodeError:
        return NOT_TEXT
    except (Exception, RecursionError) as exc:  # any failure on a strange file is that file's error
        return describe_error(exc)


def _serve(connection: Connection) -> None:
    """Child process: parse requests until told to stop."""
    faulthandler.disable()  # a native crash here is expected and reported by the parent
    while True:
        request = connection.recv()
        if request is None:
            return
        connection.send(parse_one(*request))


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection
    request: Request | None = None
    started: float = 0.0
    budget: float = 0.0


class ParserPool:
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

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spawn(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(child,), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

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
        """Parse every request; results keyed by path, in any order."""
        pending = deque(requests)
        results: dict[Path, Outcome] = {}
        while len(self._workers) < min(self._size, len(pending)):
            self._workers.append(self._spawn())
        while pending or any(w.request for w in self._workers):
            for worker in self._workers:
                if worker.request is None and pending:
                    worker.request = pending.popleft()
                    worker.started = time.monotonic()
                    worker.budget = time_budget(self._timeout, worker.request[2])
                    worker.connection.send(worker.request)
            busy = [w for w in self._workers if w.request is not None]
            deadline = min(w.started + w.budget for w in busy)
            ready = wait([w.connection for w in busy], timeout=max(0.0, deadline - time.monotonic()))
            finished = len(results)
            for worker in busy:
                assert worker.request is not None
                path = worker.request[0]
                if worker.connection in ready:
                    try:
                        results[path] = worker.connection.recv()
                        worker.request = None
                        continue
                    except (EOFError, OSError):
                        results[path] = "the parser process died on this file"
                elif time.monotonic() - worker.started >= worker.budget:
                    results[path] = f"parsing took longer than {worker.budget:g} s"
                else:
                    continue
                self._retire(worker)
                if pending:
                    self._workers.append(self._spawn())
            if self._on_done is not None and len(results) > finished:
                self._on_done(len(results) - finished)
        return results
