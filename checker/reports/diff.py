"""``--diff``: the fix loop's changes as one unified diff."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from ..ftypes import FileChange
from .report import display_path


def unified_diff(changes: Sequence[FileChange]) -> str:
    """The changes as one unified diff; both headers name the file as the report does (as ruff does)."""
    chunks: list[str] = []
    for change in changes:
        name = display_path(change.path)
        before = change.before.decode(change.encoding).splitlines(keepends=True)
        after = change.after.decode(change.encoding).splitlines(keepends=True)
        for line in difflib.unified_diff(before, after, fromfile=name, tofile=name):
            chunks.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(chunks)
