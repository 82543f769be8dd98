"""Baselines: record today's violations once, then report only new ones.

A violation is matched on its file, its rule and the text of its line (stripped), not on
its line number. Edits elsewhere in the file shift line numbers, and the recorded findings
must not come back because of that. Each key is stored with a count, so a second identical
finding (the same text, rule and file) is still reported as new.

Paths in the file are relative to the baseline file's folder, so the same baseline works
whatever folder the checker is run from. The file is JSON with a ``version`` field; a file
that is missing, is not JSON or does not have this shape is a usage error.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..fsutil import write_atomic
from ..ftypes import RunResult, Violation

VERSION = 1
TOOL = "publisher-check"

Key = tuple[str, str, str]  # (path, rule id, stripped line text)

_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as libcst numbers lines

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "violations"],
    "properties": {
        "version": {"type": "integer"},
        "tool": {"type": "string"},
        "violations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["file", "rule", "text", "count"],
                "properties": {
                    "file": {"type": "string", "minLength": 1},
                    "rule": {"type": "string", "minLength": 1},
                    "text": {"type": "string"},
                    "count": {"type": "integer", "minimum": 1},
                },
                "additionalProperties": False,
            },
        },
    },
}


class BaselineError(ValueError):
    """A baseline file that cannot be read or is not a publisher-check baseline."""


class LineTexts:
    """The stripped text of a file's line, each file read and decoded once."""

    def __init__(self) -> None:
        self._lines: dict[Path, list[str]] = {}

    def __call__(self, path: Path, line: int) -> str:
        lines = self._lines.get(path)
        if lines is None:
            lines = self._lines[path] = _read_lines(path)
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _read_lines(path: Path) -> list[str]:
    try:
        source = path.read_bytes()
    except OSError:
        return []
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        text = source.decode(encoding, errors="replace")
    except (SyntaxError, LookupError):
        text = source.decode("utf-8", errors="replace")
    return _LINE_BREAK.split(text)


def keys(violations: Sequence[Violation], name: Callable[[Path], str], texts: LineTexts | None = None) -> list[Key]:
    """The baseline key of each violation, in order; ``name`` turns a path into its stored form."""
    texts = texts or LineTexts()
    return [(name(v.path), v.rule, texts(v.path, v.line)) for v in violations]


def _namer(folder: Path) -> Callable[[Path], str]:
    base = folder.resolve()

    def name(path: Path) -> str:
        resolved = path.resolve()
        return resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else resolved.as_posix()

    return name


@dataclass(frozen=True, slots=True)
class Baseline:
    counts: Counter[Key]
    folder: Path  # paths in ``counts`` are relative to it

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            document = json.loads(path.read_bytes())
        except OSError as exc:
            raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise BaselineError(f"baseline {path} is not JSON: {exc}") from None
        import jsonschema  # only a run with --baseline pays for loading it

        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(_SCHEMA).iter_errors(document))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "top level"
            raise BaselineError(f"baseline {path} is not a publisher-check baseline ({where}: {error.message})")
        if document["version"] != VERSION:
            raise BaselineError(
                f"baseline {path} has version {document['version']}; this publisher-check reads version {VERSION}"
            )
        counts: Counter[Key] = Counter()
        for entry in document["violations"]:
            counts[(entry["file"], entry["rule"], entry["text"])] += entry["count"]
        return cls(counts, path.parent)

    @classmethod
    def of(cls, violations: Sequence[Violation], folder: Path) -> Baseline:
        return cls(Counter(keys(violations, _namer(folder))), folder)

    def to_json(self) -> str:
        entries = [
            {"file": file, "rule": rule, "text": text, "count": count}
            for (file, rule, text), count in sorted(self.counts.items())
        ]
        return (
            json.dumps({"version": VERSION, "tool": TOOL, "violations": entries}, indent=2, ensure_ascii=False) + "\n"
        )

    def write(self, path: Path) -> None:
        write_atomic(path, self.to_json().encode())

    def new_violations(self, violations: Sequence[Violation]) -> list[Violation]:
        """The violations the baseline does not account for, in their order."""
        left = Counter(self.counts)
        new: list[Violation] = []
        for violation, key in zip(violations, keys(violations, _namer(self.folder)), strict=True):
            if left[key] > 0:
                left[key] -= 1
            else:
                new.append(violation)
        return new

    def filter(self, result: RunResult) -> tuple[RunResult, int]:
        """``result`` with only new violations, and how many known ones were left out."""
        new = self.new_violations(result.violations)
        return replace(result, violations=tuple(new)), len(result.violations) - len(new)


def files_in(violations: Iterable[Violation]) -> int:
    return len({v.path for v in violations})
