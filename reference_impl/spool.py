"""The durable spool: a SQLite file (standard library, WAL mode) holding every event that has no
terminal outcome yet, so that a new client replays them after a crash or a restart.

Only the spool writer thread (``spool_writer.py``) writes here; publish() never touches the
disk. One client at a time: an exclusive lock on ``<path>.lock`` (``flock``; ``msvcrt.locking``
on Windows) is taken at open, and a second client (in this process or another) gets
SpoolLockedError. A file that is not a database is moved aside to
``<path>.corrupt-<time>-<pid>`` (never deleted) and SpoolCorruptError names it.
"""

import contextlib
import json
import os
import sqlite3
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import IO, Any, Final

#: How long SQLite waits for a lock held by another connection before it raises.
BUSY_TIMEOUT: Final = 1.0
#: One row per event; the rowid keeps publish order, the primary key makes a delete by id cheap.
_SCHEMA: Final = "CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, body TEXT NOT NULL)"
#: One row per new event, bound from the JSON the worker sends (``executemany``: the loop is in C).
_INSERT: Final = "INSERT OR IGNORE INTO events (id, body) VALUES (?, ?)"
#: Every settled id of a group in one statement: SQLite unpacks the JSON array itself (json_each).
_DELETE: Final = "DELETE FROM events WHERE id IN (SELECT value FROM json_each(?))"


class SpoolError(RuntimeError):
    """The spool cannot be opened or used; the message names the file and the reason."""


class SpoolLockedError(SpoolError):
    """Another client (another process, or this one) has the spool open."""


class SpoolCorruptError(SpoolError):
    """The spool file was not a database; it was moved aside to ``moved_to``."""

    def __init__(self, path: str, moved_to: str, reason: str) -> None:
        super().__init__(f"spool {path} is corrupt ({reason}); moved aside to {moved_to}, a new spool starts empty")
        self.moved_to = moved_to


def _lock_exclusively(lock_file: IO[bytes]) -> None:
    """Lock the whole file for this open file, without waiting; OSError if someone holds it."""
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(lock_file.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _take_lock(path: str) -> IO[bytes]:
    lock_path = f"{path}.lock"
    try:
        lock_file = open(lock_path, "ab")  # noqa: SIM115 - held open for the spool's lifetime
    except OSError as exc:
        raise SpoolError(f"cannot open spool lock {lock_path}: {exc}") from exc
    try:
        _lock_exclusively(lock_file)
    except OSError as exc:
        lock_file.close()
        raise SpoolLockedError(
            f"spool {path} is in use by another client (lock {lock_path} is held): "
            "two clients must not share one spool; give each its own spool_path"
        ) from exc
    return lock_file


def _move_aside(path: str) -> str:
    moved_to = f"{path}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    os.replace(path, moved_to)
    for suffix in ("-wal", "-shm"):  # the journal of a corrupt file is no use to a new one
        if os.path.exists(path + suffix):
            os.replace(path + suffix, moved_to + suffix)
    return moved_to


class Spool:
    """The open spool file. ``connection`` is used from one thread at a time (the writer's, or
    the constructor's and close()'s before and after it runs)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock_file = _take_lock(self.path)
        try:
            self.connection = self._connect()
        except BaseException:
            self._lock_file.close()
            raise
        #: What this client's event ids start with (``EventQueue.stable_id`` adds a number).
        self.id_prefix = f"{uuid.uuid4().hex}-"

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise SpoolError(f"cannot open spool {self.path}: {exc}") from exc
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a process crash
            connection.execute(_SCHEMA)
            connection.execute("SELECT count(*) FROM events").fetchone()
        except sqlite3.DatabaseError as exc:
            connection.close()
            if isinstance(exc, sqlite3.OperationalError):  # locked, read-only, disk full: not corrupt
                raise SpoolError(f"cannot use spool {self.path}: {exc}") from exc
            raise SpoolCorruptError(self.path, _move_aside(self.path), str(exc)) from exc
        return connection

    def pending(self) -> list[tuple[str, dict[str, Any]]]:
        """Every event still in the spool, oldest first, as (id, event).

        A spool that cannot be read closes itself: SpoolError, or SpoolCorruptError once the
        file is moved aside (damage past the first page shows only when every row is read).
        """
        try:
            rows = self.connection.execute("SELECT id, body FROM events ORDER BY rowid").fetchall()
            return [(event_id, json.loads(body)) for event_id, body in rows]
        except (sqlite3.DatabaseError, ValueError) as exc:
            self.close()
            if isinstance(exc, sqlite3.OperationalError):
                raise SpoolError(f"cannot read spool {self.path}: {exc}") from exc
            raise SpoolCorruptError(self.path, _move_aside(self.path), str(exc)) from exc

    def apply(self, inserts: Iterable[tuple[str, str]], deletes: Sequence[str]) -> None:
        """One transaction: add the new events (``(id, event as JSON)`` rows), remove the
        settled ones (by id). Raises sqlite3.Error."""
        connection = self.connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(_INSERT, inserts)
            if deletes:
                connection.execute(_DELETE, (json.dumps(deletes),))
            connection.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # the first error is the one to report
                connection.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the file and release the lock; idempotent."""
        try:
            self.connection.close()
        finally:
            self._lock_file.close()
