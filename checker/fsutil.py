"""Writing a file the way a user expects: atomically when it is a regular file, into it otherwise.

A regular file (or a new one) is replaced by a temporary file in the same folder and a
rename, so readers see the old or the new content, never half of one. A symlink is followed
and its target replaced (the link stays a link). Anything else — a character device such as
``/dev/null`` or ``/dev/stdout``, a named pipe, a socket — is written into directly: renaming
over it would replace the device with a regular file. A replaced file keeps its mode; a new
one gets the mode ``open()`` would give it (0666 less the umask).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes, mode: int | None = None, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` (see the module's docstring); ``mode`` overrides the kept or default mode.

    ``durable=False`` skips the fsync: for caches, where losing a write only costs time.
    """
    target = Path(os.path.realpath(path))
    try:
        existing: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        with open(target, "wb") as handle:
            handle.write(data)
        return
    if mode is None:
        mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~_current_umask()
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
