"""Unused inline suppressions (``--report-unused-suppressions``), like ruff's RUF100.

A ``# publisher-check: ignore[PUB005]`` comment is unused when this run suppressed nothing
with it. It is a warning beside the report, not a PUB violation: it never changes the
verdict or the exit code.

- Only real comments count. The comments are found with ``tokenize``, so the syntax quoted
  in a docstring or a string is not reported.
- A bare ``ignore`` is unused when no finding on its line was suppressed. An id in
  ``ignore[...]`` is unused when its rule ran and reported nothing on that line. An id that
  names no rule is always reported. An id of a rule that this run did not select is not,
  because it may suppress something when that rule runs.
- When no publisher was found, no rule judged anything, so nothing is reported.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..engine import selected_rules
from .facts import suppressions_in
from .files import collect_files
from ..ftypes import RunResult
from ..registry import RULES_BY_ID

MARK = b"publisher-check"


@dataclass(frozen=True, slots=True)
class Suppression:
    """One suppression comment: its position and the ids it names (() = every rule)."""

    line: int
    column: int
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnusedSuppression:
    path: Path
    line: int
    column: int
    rules: tuple[str, ...]  # the ids that suppressed nothing; () for a bare ignore
    unknown: tuple[str, ...]  # the ids that name no rule

    @property
    def message(self) -> str:
        if not self.rules and not self.unknown:
            return "unused suppression: nothing on this line was suppressed"
        parts = []
        if self.rules:
            parts.append(f"{', '.join(self.rules)} reported nothing on this line")
        if self.unknown:
            parts.append(f"{', '.join(self.unknown)} {'is' if len(self.unknown) == 1 else 'are'} not a rule")
        return "unused suppression: " + "; ".join(parts)


def comments_in(source: bytes) -> list[Suppression]:
    """The suppression comments of a Python file, numbered by line as libcst numbers lines."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        text = source.decode(encoding, errors="replace")
    except (SyntaxError, LookupError):  # a bad coding cookie: the file did not parse either
        return []
    found: list[Suppression] = []
    # newline=None: \r\n and a lone \r end a line, as they do for libcst.
    readline = io.StringIO(text, newline=None).readline
    try:
        for token in tokenize.generate_tokens(readline):
            if token.type == tokenize.COMMENT and "publisher-check" in token.string:
                for _, rules in suppressions_in(token.string):
                    found.append(Suppression(token.start[0], token.start[1] + 1, rules))
    except (tokenize.TokenError, SyntaxError):
        pass  # keep what came before the part tokenize cannot read
    return found


def find_unused(
    result: RunResult, files: Iterable[Path], selected: Collection[str]
) -> tuple[UnusedSuppression, ...]:
    """The suppression comments in ``files`` that suppressed nothing in ``result``.

    ``selected`` holds the ids of the rules that ran.
    """
    if not result.publisher_found or not selected:
        return ()
    used: dict[tuple[Path, int], set[str]] = {}
    for path, line, rule in result.suppressed:
        used.setdefault((path.resolve(), line), set()).add(rule)
    unreadable = {error.path.resolve() for error in result.errors}
    unused: list[UnusedSuppression] = []
    for path in files:
        resolved = path.resolve()
        if resolved in unreadable:
            continue
        try:
            source = path.read_bytes()
        except OSError:
            continue
        if MARK not in source:
            continue
        for comment in comments_in(source):
            hits = used.get((resolved, comment.line), set())
            if not comment.rules:
                if not hits:
                    unused.append(UnusedSuppression(path, comment.line, comment.column, (), ()))
                continue
            unknown = tuple(r for r in comment.rules if r not in RULES_BY_ID)
            idle = tuple(r for r in comment.rules if r in selected and r not in hits)
            if unknown or idle:
                unused.append(UnusedSuppression(path, comment.line, comment.column, idle, unknown))
    return tuple(sorted(unused, key=lambda u: (u.path.as_posix(), u.line)))


def unused_in_run(result: RunResult, paths: Sequence[Path], config: Config) -> tuple[UnusedSuppression, ...]:
    """``find_unused`` over the files the run looked at, with the rules it selected."""
    return find_unused(
        result, collect_files(paths, config.exclude), {rule.id for rule in selected_rules(config)}
    )
