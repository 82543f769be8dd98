"""The spool writer: one daemon thread that group-commits what publish() queued to the spool.

Reports go through ``report`` (the client counts and hands them to its on() handlers).

The ledger appends to ``ops`` under its lock: an Entry when an event is accepted, its id when the
event reaches a terminal outcome (success, permanent error, exhausted retries; never ``dropped``,
which stays in the spool for the next run). So an event's id always comes after the event
itself, and the writer applies them in that order: an event settled before its commit (in its
group, or already when its group is written: ``Entry.settled``) costs no disk write at all.
Every ``commit_interval`` seconds (or at once while more than ``group_size`` are waiting) one
transaction takes up to ``group_size`` operations. Each event is encoded once: the JSON the
worker sends is the JSON stored (``ledger.encoded``), whichever thread needs it first. A failed commit (disk full, read-only file) is counted as ``persist_failed`` and
reported; the events are still delivered from memory, and the writer goes on.
"""

import logging
import threading
from collections.abc import Callable

from .callbacks import LogThrottle
from .ledger import Entry, EventQueue, encoded
from .reports import PERSIST_FAILED, PERSISTED, DeliveryReport, ErrorContext, ErrorSeverity
from .spool import Spool

logger = logging.getLogger(__name__)

Reporter = Callable[[DeliveryReport], None]


class SpoolWriter:
    """Commits the ``spool_ops`` of ``events`` to ``spool`` from its own thread until stop()."""

    def __init__(self, spool: Spool, events: EventQueue, commit_interval: float, group_size: int, report: Reporter) -> None:
        if events.spool_ops is None:
            raise ValueError("the queue has no spool operations to commit")
        self._spool = spool
        self._events = events
        self._ops = events.spool_ops
        self._interval = commit_interval
        self._group_size = group_size
        self._report = report
        self._unwritten: set[str] = set()  # ids of events skipped as settled, until their id comes
        self._stop = threading.Event()
        self._failure_log = LogThrottle()
        self._thread = threading.Thread(target=self._run, name="activity-publisher-spool-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None) -> bool:
        """Commit what is left, close the spool; False if that did not end within ``timeout``
        (the thread then goes on: the last commit and the lock's release come a little later)."""
        self._stop.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self._interval):
                while self._commit_group():
                    pass
            while self._commit_group():  # what publish() and the workers left behind
                pass
        finally:
            self._spool.close()

    def _commit_group(self) -> bool:
        """One transaction of up to group_size ops; True if a full group was taken (more wait)."""
        ops = self._ops
        inserts: dict[str, Entry] = {}
        deletes: list[str] = []
        taken = 0
        while taken < self._group_size and ops:
            op = ops.popleft()
            taken += 1
            if isinstance(op, Entry):
                event_id = self._events.stable_id(op)
                if op.settled:  # delivered before it was written: its id follows, write neither
                    self._unwritten.add(event_id)
                else:
                    inserts[event_id] = op
            elif op in self._unwritten:
                self._unwritten.remove(op)
            elif inserts.pop(op, None) is None:  # not settled in this group: it is on disk
                deletes.append(op)
        if not taken:
            return False
        rows = self._rows(inserts)
        try:
            self._spool.apply(rows, deletes)
        except Exception as exc:  # sqlite3.Error (disk full, read-only...) or a bug: never fatal
            self._failed(list(inserts.values()), len(deletes), exc)
        else:
            if inserts:
                self._report(DeliveryReport(PERSISTED, tuple(entry.event for entry in inserts.values()), 0, None, None))
        return taken == self._group_size

    @staticmethod
    def _rows(inserts: dict[str, Entry]) -> list[tuple[str, str]]:
        """``(id, event as JSON)`` for each new event. An event that is not JSON is left out
        (and out of ``inserts``): its worker fails it as ``error``."""
        rows = []
        for event_id, entry in list(inserts.items()):
            try:
                body = encoded(entry)
            except Exception:
                del inserts[event_id]
            else:
                rows.append((event_id, body))
        return rows

    def _failed(self, entries: list[Entry], deletes: int, exc: Exception) -> None:
        """Report the events not persisted; settled events not removed are only logged: the
        next client re-sends them (at least once still holds; the collector de-duplicates)."""
        error = f"{type(exc).__name__}: {exc}"
        if not entries:
            self._failure_log.warning(
                "activity publisher: spool %s: %d settled event(s) not removed (%s); a restart re-sends them",
                self._spool.path,
                deletes,
                error,
            )
            return
        self._failure_log.warning(
            "activity publisher: spool %s: %d event(s) not persisted (%s); they are still delivered from memory",
            self._spool.path,
            len(entries),
            error,
        )
        context = ErrorContext(ErrorSeverity.ERROR, "spool", 0, error)
        self._report(DeliveryReport(PERSIST_FAILED, tuple(entry.event for entry in entries), 0, None, context))
