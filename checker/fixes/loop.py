"""Executive mode: VERIFY → apply non-overlapping fixes → check → VERIFY again, bounded.

What the loop guarantees (each is tested in ``tests/checker/test_fixer.py``):

- Every fix is computed on a file's current text and becomes one text edit within its scope
  (the node it replaced). Fixes whose scopes overlap or touch are not applied together: the
  later ones wait for the next round, when they are recomputed on the new text — nested
  fixes are deferred, never dropped or double-counted.
- A changed file must parse again with libcst (so the next VERIFY sees it) and ``compile()``
  for the running Python. If it does not, the file goes back to its previous text and the
  offending fix is dropped, counted as failed and never retried.
- Nothing is written until the loop ends: ``--diff`` and a real run compute the same changes.
  Files are written atomically (temporary file + rename in the same folder), keeping their
  encoding, line endings and permissions; a file without a fix is never rewritten, and a
  file that changed on disk meanwhile is left alone and reported.
- The loop stops when a round finds nothing to apply or after ``MAX_ROUNDS`` rounds; hitting
  the bound is reported (``converged`` is false).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from ..analysis.cache import FactsCache
from ..analysis.parsing import compile_source, describe_error
from ..config import Config
from ..ftypes import FileChange, FileError, FixFailure, FixReport, FixSafety, Replacement, RunResult, Violation
from ..registry import rules_by_id
from .writing import write_changes

if TYPE_CHECKING:
    from ..rule import Rule
    from .codemods import FixTarget

Verify = Callable[[Mapping[Path, bytes]], RunResult]

MAX_ROUNDS = 10


@dataclass(frozen=True, slots=True)
class Edit:
    """One fix as a text edit on the decoded file: ``text`` replaces ``[start, end)``."""

    violation: Violation
    start: int
    end: int
    text: str
    replaced: str  # the text it replaces, to recognise the same fix in a later round
    scope: tuple[int, int]  # what the fix rewrote (covers [start, end)); no other fix may touch it


@dataclass
class _Plan:
    edits: dict[Path, list[Edit]] = field(default_factory=dict)  # the ones this run may apply
    available: dict[Violation, FixSafety] = field(default_factory=dict)  # every violation with a fix
    failures: list[FixFailure] = field(default_factory=list)
    targets: dict[Path, FixTarget] = field(default_factory=dict)  # the parsed files the edits are on


_RejectKey = tuple[Path, str, str, str]


def _reject_key(path: Path, edit: Edit) -> _RejectKey:
    return (path, edit.violation.rule, edit.replaced, edit.text)


def _edit(before: str, after: str, violation: Violation, scope: tuple[int, int]) -> Edit | None:
    """The smallest single edit turning ``before`` into ``after`` (common prefix and suffix kept)."""
    if before == after:
        return None
    limit = min(len(before), len(after))
    start = 0
    while start < limit and before[start] == after[start]:
        start += 1
    suffix = 0
    while suffix < limit - start and before[-1 - suffix] == after[-1 - suffix]:
        suffix += 1
    end = len(before) - suffix
    scope = (min(scope[0], start), max(scope[1], end))
    return Edit(violation, start, end, after[start : len(after) - suffix], before[start:end], scope)


def _splice(code: str, edits: Sequence[Edit]) -> str:
    parts: list[str] = []
    position = 0
    for edit in sorted(edits, key=lambda e: e.start):
        parts.extend((code[position : edit.start], edit.text))
        position = edit.end
    parts.append(code[position:])
    return "".join(parts)


def _disjoint(edits: Sequence[Edit]) -> list[Edit]:
    """Edits whose scopes have at least one untouched character between them; the rest wait a round."""
    chosen: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.scope, e.start)):
        if chosen and edit.scope[0] <= chosen[-1].scope[1]:
            continue
        chosen.append(edit)
    return chosen


def _parse_checked(path: Path, data: bytes, config: Config, *, count_only: bool = False) -> FixTarget | str:
    """``data`` parsed, or why it cannot be a file we fix or write: libcst must reproduce it
    byte for byte (edits are made on its text; the next VERIFY parses it) and CPython must
    compile it."""
    import libcst as cst  # loaded only when a file is parsed for fixing: a warm run parses none

    from .codemods import FixTarget

    try:
        module = cst.parse_module(data)
    except Exception as exc:  # noqa: BLE001 - any parser failure means "do not write this"
        return f"libcst cannot parse it ({describe_error(exc)})"
    if count_only:  # nothing is written: a fix that exists is counted, reproducing the file is --fix's check
        return FixTarget(module, config, count_only=True, text=data.decode(module.encoding))
    parsed = FixTarget(module, config)
    if parsed.code.encode(module.encoding) != data:
        return "libcst does not reproduce it byte for byte"
    try:
        compile_source(path, data)
    except (SyntaxError, ValueError) as exc:
        detail = f"{type(exc).__name__}: {exc.msg}" if isinstance(exc, SyntaxError) else describe_error(exc)
        return f"it does not compile ({detail})"
    return parsed


def _read(path: Path, sources: Mapping[Path, bytes]) -> bytes | None:
    if path in sources:
        return sources[path]
    try:
        return path.read_bytes()
    except OSError:
        return None  # VERIFY reports unreadable files


def _by_file(violations: Sequence[Violation]) -> dict[Path, list[Violation]]:
    """The violations of fixable rules, per file."""
    by_file: dict[Path, list[Violation]] = {}
    for violation in violations:
        if violation.fix is not None:  # until fixability has been worked out: its rule has fixes
            by_file.setdefault(violation.path, []).append(violation)
    return by_file


def _plan(
    found: Sequence[Violation],
    config: Config,
    sources: Mapping[Path, bytes],
    unsafe: bool,
    rejected: set[_RejectKey],
    *,
    count_only: bool = False,
) -> _Plan:
    """Ask each fixable rule for a fix of each of its violations (nothing is applied here).

    ``count_only`` fills only ``available``: no edit is computed for a fix that says what it
    replaced, which leaves the file's text untouched."""
    plan = _Plan()
    rules: dict[str, Rule] = {}
    for path, violations in _by_file(found).items():
        source = _read(path, sources)
        if source is None:
            continue
        target = _parse_checked(path, source, config, count_only=count_only)
        if isinstance(target, str):
            reason = f"no fix is applied to a file that cannot be verified before fixing: {target}"
            plan.failures.extend(FixFailure(v, reason) for v in violations)
            continue
        plan.targets[path] = target
        for violation in violations:
            rule = rules.setdefault(violation.rule, rules_by_id()[violation.rule]())
            target.replaced = None
            try:
                fixed = rule.fix(violation, target)
            except Exception as exc:  # noqa: BLE001 - a broken fix is reported, it never stops the run
                plan.failures.append(FixFailure(violation, f"the fix failed ({describe_error(exc)})"))
                continue
            if count_only and fixed is target.module:  # built by ``replace``, which only recorded it
                if target.changed:
                    plan.available[violation] = rule.fix_safety
                continue
            # A fix that did not say what it rewrote may have touched anything in the file.
            scope = target.span(target.replaced) if target.replaced is not None else (0, len(target.code))
            edit = _edit(target.code, fixed.code, violation, scope) if fixed is not None else None
            if edit is None or _reject_key(path, edit) in rejected:
                continue
            plan.available[violation] = rule.fix_safety
            if rule.fix_safety == "safe" or unsafe:
                plan.edits.setdefault(path, []).append(edit)
    return plan


@dataclass
class _Applied:
    data: bytes
    encoding: str
    kept: list[Edit]
    failed: list[tuple[Edit, str]]


def _apply(path: Path, target: FixTarget, edits: Sequence[Edit], config: Config) -> _Applied:
    """Apply the disjoint ``edits``; if the result does not check, keep only those that do."""
    encoding = target.module.encoding
    chosen = _disjoint(edits)

    def build(subset: Sequence[Edit]) -> bytes:
        return _splice(target.code, subset).encode(encoding)

    data = build(chosen)
    if not isinstance(_parse_checked(path, data, config), str):
        return _Applied(data, encoding, chosen, [])
    kept: list[Edit] = []
    failed: list[tuple[Edit, str]] = []
    for edit in chosen:  # find the culprits: add the fixes one at a time
        problem = _parse_checked(path, build([*kept, edit]), config)
        if isinstance(problem, str):
            failed.append((edit, f"the fixed file was restored: {problem}"))
        else:
            kept.append(edit)
    return _Applied(build(kept), encoding, kept, failed)


def _with_fixability(result: RunResult, available: Collection[Violation]) -> RunResult:
    violations = tuple(replace(v, fix=v.fix if v in available else None) for v in result.violations)
    return replace(result, violations=violations)


def _cache_key(path: Path, source: bytes, violations: Sequence[Violation], config: Config) -> list[bytes]:
    """What decides which of a file's violations have a fix: its bytes, the violations, the
    configuration (fixes read default-queue-size, the method names …)."""
    described = "\n".join(f"{v.rule}:{v.line}:{v.column}:{v.message}" for v in violations)
    return [b"fixability", str(path).encode(), source, described.encode(), repr(config).encode()]


def fixability(result: RunResult, config: Config, cache: FactsCache | None = None) -> RunResult:
    """``result`` with each violation's ``fixable`` saying whether a fix (safe or unsafe) exists for it.

    Trying the fixes costs a parse and a position pass per file, more than a warm (cached)
    VERIFY; so the answer per file is cached next to the facts, under the same content key."""
    available: set[Violation] = set()
    missed: list[tuple[Path, bytes, list[Violation]]] = []
    for path, violations in _by_file(result.violations).items():
        source = _read(path, {})
        if source is None:
            continue
        hit, flags = cache.lookup(_cache_key(path, source, violations, config)) if cache else (False, None)
        if hit and isinstance(flags, list) and len(flags) == len(violations):
            available.update(v for v, flag in zip(violations, flags, strict=True) if flag)
        else:
            missed.append((path, source, violations))
    found = _fixable_on_two_cores([vs for _path, _source, vs in missed], config)
    available.update(found)
    if cache is not None:
        for path, source, violations in missed:
            cache.store(_cache_key(path, source, violations, config), [v in found for v in violations])
    return _with_fixability(result, available)


def _fixable(per_file: Sequence[list[Violation]], config: Config) -> set[Violation]:
    plan = _plan(
        [v for violations in per_file for v in violations], config, {}, unsafe=True, rejected=set(), count_only=True
    )
    return set(plan.available)


def _fixable_on_two_cores(per_file: Sequence[list[Violation]], config: Config) -> set[Violation]:
    """``_fixable``, the files split in two by size, one half in a forked child meanwhile (each
    file's answer is its own). Without fork, or if the child fails, the main process does all."""
    if len(per_file) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return _fixable(per_file, config)
    halves: tuple[list[list[Violation]], list[list[Violation]]] = ([], [])
    sizes = [0, 0]
    for violations in sorted(per_file, key=lambda vs: -_size(vs[0].path)):
        lighter = 0 if sizes[0] <= sizes[1] else 1
        halves[lighter].append(violations)
        sizes[lighter] += _size(violations[0].path)
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_send_fixable, args=(sending, halves[1], config), daemon=True)
    child.start()
    sending.close()
    found = _fixable(halves[0], config)
    try:
        answer: set[Violation] = receiving.recv()
    except (EOFError, OSError):
        answer = _fixable(halves[1], config)
    finally:
        receiving.close()
        child.join()
    return found | answer


def _send_fixable(connection: Connection, per_file: Sequence[list[Violation]], config: Config) -> None:
    connection.send(_fixable(per_file, config))
    connection.close()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _position(code: str, offset: int) -> tuple[int, int]:
    line = code.count("\n", 0, offset) + 1
    return line, offset - (code.rfind("\n", 0, offset) + 1) + 1


def proposed_fixes(result: RunResult, config: Config) -> dict[Violation, Replacement]:
    """Each violation's fix, computed on the file as it is (nothing is written)."""
    plan = _plan(result.violations, config, {}, unsafe=True, rejected=set())
    found: dict[Violation, Replacement] = {}
    for path, edits in plan.edits.items():
        code = plan.targets[path].code
        for edit in edits:
            start, end = _position(code, edit.start), _position(code, edit.end)
            found[edit.violation] = Replacement(*start, *end, edit.text, plan.available[edit.violation])
    return found


def execute(
    verify: Verify,
    config: Config,
    *,
    unsafe: bool = False,
    write: bool = True,
    max_rounds: int = MAX_ROUNDS,
    cache: FactsCache | None = None,
) -> FixReport:
    """Fix what ``verify`` finds; with ``write=False`` only compute the changes.

    ``verify(sources)`` is VERIFY over the run's paths with ``sources`` (path -> bytes) read
    instead of the files on disk: the caller (``api``) binds it to the engine, so that the
    loop knows nothing of how violations are found."""
    sources: dict[Path, bytes] = {}
    originals: dict[Path, bytes] = {}
    encodings: dict[Path, str] = {}
    kept_per_file: dict[Path, int] = {}
    rejected: set[_RejectKey] = set()
    failures: list[FixFailure] = []
    initial = result = verify({})
    rounds = 0
    while True:
        plan = _plan(result.violations, config, sources, unsafe, rejected)
        if not plan.edits or rounds == max_rounds:
            break
        rounds += 1
        for path, edits in plan.edits.items():
            target = plan.targets[path]
            originals.setdefault(path, target.code.encode(target.module.encoding))
            applied = _apply(path, target, edits, config)
            failures.extend(FixFailure(edit.violation, reason) for edit, reason in applied.failed)
            rejected.update(_reject_key(path, edit) for edit, _reason in applied.failed)
            if applied.kept:
                sources[path] = applied.data
                encodings[path] = applied.encoding
                kept_per_file[path] = kept_per_file.get(path, 0) + len(applied.kept)
        result = verify(sources)
    converged = not plan.edits
    changes = tuple(
        FileChange(path, encodings[path], originals[path], sources[path], kept_per_file[path])
        for path in sorted(sources)
        if sources[path] != originals[path]
    )
    final = _with_fixability(result, plan.available)
    failures.extend(plan.failures)
    fixes_applied = sum(change.fixes for change in changes)
    write_errors: list[FileError] = []
    if write and changes:
        write_errors = write_changes(changes)
        if write_errors:  # what is on disk is the truth now
            unwritten = {e.path for e in write_errors}
            fixes_applied -= sum(c.fixes for c in changes if c.path in unwritten)
            changes = tuple(c for c in changes if c.path not in unwritten)
            final = fixability(verify({}), config, cache)
    return FixReport(
        initial=initial,
        final=final,
        rounds=rounds,
        fixes_applied=fixes_applied,
        failures=tuple(failures),
        converged=converged,
        changes=changes,
        write_errors=tuple(write_errors),
    )
