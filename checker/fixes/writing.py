"""Writing fixed files: atomically, only when the file is still what the fixes were computed on,
and never a file its user could not write (a read-only file is refused, as ruff refuses it).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from ..fsutil import write_atomic
from ..ftypes import FileChange, FileError


def writable(path: Path) -> bool:
    """Whether the user may write ``path``: ``os.access`` for a normal user; for root, which
    ``os.access`` lets through, whether any write permission bit is set (a 0444 file stays read-only)."""
    if os.geteuid() == 0:
        return bool(stat.S_IMODE(path.stat().st_mode) & 0o222)
    return os.access(path, os.W_OK)


def write_changes(changes: Sequence[FileChange]) -> list[FileError]:
    errors: list[FileError] = []
    written: dict[Path, bytes] = {}
    for change in changes:
        target = change.path.resolve()  # through a symlink: replace the file, keep the link
        if target in written:  # the same file seen under two paths (a link inside the tree)
            if written[target] != change.after:
                errors.append(FileError(change.path, "is also another path, fixed differently there; left as it is"))
            continue
        try:
            if target.read_bytes() != change.before:
                errors.append(FileError(change.path, "changed on disk while it was being fixed; left as it is"))
                continue
            if not writable(target):
                errors.append(FileError(change.path, "is read-only; not fixed"))
                continue
            write_atomic(target, change.after, stat.S_IMODE(target.stat().st_mode))
            written[target] = change.after
        except OSError as exc:
            errors.append(FileError(change.path, f"cannot write the fixed file: {exc.strerror or exc}"))
    return errors
