"""Inline suppression comments: the one parser, and the unused ones (``--report-unused-suppressions``, like ruff's RUF100).

``# publisher-check: ignore`` (every rule) or ``# publisher-check: ignore[PUB005, PUB010]``
suppresses the findings on its line. The engine reads them from each module's facts, which
``suppressions_by_line`` fills, and ``find_unused`` reads them with the same ``comments_in``.

A ``# publisher-check: ignore[PUB005]`` comment is unused when this run suppressed nothing
with it. It is a warning beside the report, not a PUB violation: it never changes the
verdict or the exit code.

- Only real comments count. The comments are found with ``tokenize``, so the syntax quoted
  in a docstring or a string neither suppresses anything nor is reported.
- A bare ``ignore`` is unused when no finding on its line was suppressed. An id in
  ``ignore[...]`` is unused when its rule ran and reported nothing on that line. An id that
  names no rule is always reported. An id of a rule that this run did not select is not,
  because it may suppress something when that rule runs.
- When no publisher was found, no rule judged anything, so nothing is reported.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..ftypes import RunResult, UnusedSuppression

MARK = b"publisher-check"
_SUPPRESSION = re.compile(r"#\s*publisher-check\s*:\s*ignore(?:\[([A-Za-z0-9_,\s]*)\])?")


@dataclass(frozen=True, slots=True)
class Suppression:
    """One suppression comment: its position and the ids it names (() = every rule)."""

    line: int
    column: int
    rules: tuple[str, ...]


def _rules_of(comment: str) -> tuple[str, ...] | None:
    """The ids a comment's suppression names (() = every rule), or None when it holds none."""
    match = _SUPPRESSION.search(comment)
    if match is None:
        return None
    ids = match.group(1)
    return tuple(r.strip().upper() for r in ids.split(",") if r.strip()) if ids else ()


def comments_in(source: bytes) -> list[Suppression]:
    """The suppression comments of a Python file, numbered by line as libcst numbers lines."""
    if MARK not in source:
        return []
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        text = source.decode(encoding, errors="replace")
    except (SyntaxError, LookupError):  # a bad coding cookie: the file did not parse either
        return []
    found: list[Suppression] = []
    # newline=None: \r\n and a lone \r end a line, as they do for libcst (str.splitlines()
    # would also break at form feeds and other separators and shift every line below).
    readline = io.StringIO(text, newline=None).readline
    try:
        for token in tokenize.generate_tokens(readline):
            if token.type == tokenize.COMMENT:
                rules = _rules_of(token.string)
                if rules is not None:
                    found.append(Suppression(token.start[0], token.start[1] + 1, rules))
    except (tokenize.TokenError, SyntaxError):
        pass  # keep what came before the part tokenize cannot read
    return found


def suppressions_by_line(source: bytes) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """What the facts record: (line, ids) of each suppression comment (() = every rule)."""
    return tuple((comment.line, comment.rules) for comment in comments_in(source))


def find_unused(
    result: RunResult, files: Iterable[Path], selected: Collection[str], known: Collection[str]
) -> tuple[UnusedSuppression, ...]:
    """The suppression comments in ``files`` that suppressed nothing in ``result``.

    ``selected`` holds the ids of the rules that ran, ``known`` the ids of every rule.
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
        for comment in comments_in(source):
            hits = used.get((resolved, comment.line), set())
            if not comment.rules:
                if not hits:
                    unused.append(UnusedSuppression(path, comment.line, comment.column, (), ()))
                continue
            unknown = tuple(r for r in comment.rules if r not in known)
            idle = tuple(r for r in comment.rules if r in selected and r not in hits)
            if unknown or idle:
                unused.append(UnusedSuppression(path, comment.line, comment.column, idle, unknown))
    return tuple(sorted(unused, key=lambda u: (u.path.as_posix(), u.line)))
