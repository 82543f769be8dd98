"""The bounded event queue, which is also the ledger of every accepted event's outcome.

``queue.Queue`` calls ``_put`` and ``_get`` with its mutex held. Hooking them means that accepting
an event, a worker taking it, recording its outcome and close() claiming what is left all happen
under one lock: an event is always either queued, held by a worker, or settled, so it gets exactly
one terminal outcome even when close() gives up on a worker mid-request. publish() takes no lock
of its own: ``put_nowait`` is all it does.
"""

import queue
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from .encoding import encode_text
from .reports import DROPPED, EVENT_NAMES, REPLAYED, SPOOL_EVENT_NAMES, TERMINAL_OUTCOMES, DeliveryStats


class ClientClosedError(RuntimeError):
    """publish*() was called after close() (or while close() runs)."""

    def __init__(self) -> None:
        super().__init__("the activity client is closed: nothing can be published after close()")


class QueueFullError(queue.Full):
    """The bounded queue is full: the event was not published. ``max_size`` is the bound."""

    def __init__(self, max_size: int) -> None:
        super().__init__(f"the activity queue is full ({max_size} events); the event was not published")
        self.max_size = max_size


class SpoolFullError(QueueFullError):
    """The spool holds ``max_size`` events without an outcome: the event was not published."""

    def __init__(self, max_size: int, path: str) -> None:
        queue.Full.__init__(
            self, f"the activity spool {path} is full ({max_size} events not yet delivered); the event was not published"
        )
        self.max_size = max_size


class Entry:
    """One published event; compared by identity, since one dict may be published twice.

    A plain slotted class, not a frozen dataclass: publish() makes one per event, and a frozen
    dataclass's ``__init__`` costs three times as much. With a spool, ``id`` is the event's
    stable id (sent with it, so a collector can de-duplicate): given for a replayed event, made
    from ``number`` by ``EventQueue.stable_id`` when first needed for a new one, so that
    publish() does not format it. ``body`` is the event's JSON once ``encoded(entry)``: with
    a spool, the worker and the spool writer share one encoding. ``settled`` tells the spool
    writer that an event it has not written yet needs no writing any more.
    """

    __slots__ = ("event", "id", "number", "body", "settled")

    def __init__(self, event: dict[str, Any], event_id: str = "") -> None:
        self.event = event
        self.id = event_id
        self.number = 0  # its place among the client's accepted events: set with a spool only
        self.body: str | None = None
        self.settled = False  # it has its terminal outcome (set under the queue's lock)


def encoded(entry: Entry) -> str:
    """The entry's event as JSON text, encoded on the first call (from any thread: the result is
    the same) and kept in ``entry.body``; raises as ``encode()`` does for one that is not JSON."""
    body = entry.body
    if body is None:
        body = entry.body = encode_text(entry.event)
    return body


class EventQueue(queue.Queue[Entry]):
    """A bounded ``queue.Queue`` of entries that also counts every entry's outcome."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be >= 1: 0 would make queue.Queue unbounded")
        super().__init__(maxsize=maxsize)
        self.accepting = True
        self._accepted = 0  # events are numbered 1, 2, ... as they are accepted
        self._taken = 0  # the queue is FIFO: the next entry _get hands out is number _taken + 1
        self._working: dict[Entry, int] = {}  # handed out, not done() yet -> its number
        self._held: dict[Entry, int] = {}  # taken by a worker, no outcome yet -> failed attempts
        self._awaited: list[int] = []  # what each waiting flush() waits for: finished_up_to(number)
        self._counts: Counter[str] = Counter()
        self._refused = 0  # puts refused because the queue was full (never published)
        # With a spool: what its writer is to commit (entries, and ids of settled entries), how
        # many events without an outcome it may hold, and what this client's ids start with.
        self.spool_ops: deque[Entry | str] | None = None
        self.spool_limit = 0
        self.spool_path = ""
        self.spool_id_prefix = ""

    def _put(self, item: Entry) -> None:
        if not self.accepting:  # close() won the race against this publish()
            raise ClientClosedError()
        ops = self.spool_ops
        if ops is not None:  # under the lock that workers take: the entry is in ops before them
            if self.unfinished_tasks >= self.spool_limit:
                raise SpoolFullError(self.spool_limit, self.spool_path)
            ops.append(item)
            item.number = self._accepted + 1
        super()._put(item)
        self._accepted += 1

    def stable_id(self, entry: Entry) -> str:
        """A spooled entry's stable id: unique to this client, the same from every thread."""
        if not entry.id:
            entry.id = f"{self.spool_id_prefix}{entry.number}"
        return entry.id

    def replay(self, entries: list[Entry]) -> None:
        """Queue what the spool held from an earlier run, before any new event (beyond maxsize)."""
        with self.mutex:
            for entry in entries:
                super()._put(entry)
            self._accepted += len(entries)
            self.unfinished_tasks += len(entries)
            self._counts[REPLAYED] += len(entries)

    def put_nowait(self, item: Entry) -> None:
        """``Queue.put(item, block=False)``, the hot path of publish(), without its generality.

        Raises ``queue.Full`` when full. The consumer is woken only if one is waiting: with a
        busy worker there is none, and ``Condition.notify()`` costs as much as the rest.
        """
        with self.mutex:
            if self._qsize() >= self.maxsize:
                raise queue.Full
            self._put(item)
            self.unfinished_tasks += 1
            if self.not_empty._waiters:  # type: ignore[attr-defined]  # read under the lock that guards it
                self.not_empty.notify()

    def take(self, limit: int, timeout: float) -> list[Entry]:
        """Up to ``limit`` entries at once: wait at most ``timeout`` for the first, then take only
        what is queued (one lock for the whole batch, not one ``get()`` per event)."""
        with self.not_empty:
            if not self._qsize():
                self.not_empty.wait(timeout)
                if not self._qsize():
                    return []
            waiting = self.queue
            entries = [waiting.popleft() for _ in range(min(limit, len(waiting)))]
            self._hand_out(entries)
            self.not_full.notify(len(entries))
        return entries

    def _get(self) -> Entry:
        item = super()._get()
        self._hand_out([item])
        return item

    def _hand_out(self, entries: list[Entry]) -> None:
        """Entries just taken off the queue: working (numbered in queue order) and held."""
        first = self._taken + 1
        self._taken += len(entries)
        self._working.update(zip(entries, range(first, self._taken + 1), strict=True))
        self._held.update(dict.fromkeys(entries, 0))

    def wait_for_accepted(self, remaining: Callable[[], float | None]) -> bool:
        """Wait until every event accepted so far is finished (flush()); False once ``remaining()``,
        the seconds it may still wait (None: no bound), comes to 0 first.

        ``done()`` wakes a waiter only when the events it waits for are finished, not once per batch.
        """
        with self.all_tasks_done:
            number = self._accepted  # the number of the last event accepted
            self._awaited.append(number)
            try:
                while not self.finished_up_to(number):
                    left = remaining()
                    if left == 0:
                        return False
                    self.all_tasks_done.wait(left)
                return True
            finally:
                self._awaited.remove(number)

    def finished_up_to(self, number: int) -> bool:
        """Whether every event numbered up to ``number`` is done. Hold ``mutex``.

        Done means its outcome is counted and its reports handed out (``done()``), or close()
        claimed it as dropped. Events accepted later do not matter: flush() waits for what was
        published before it was called, not for a steady stream behind it.
        """
        oldest = min(self._working.values(), default=self._taken + 1)
        return oldest > number

    def done(self, entries: list[Entry]) -> None:
        """``task_done()`` for each of a worker's entries, once their reports are handed out."""
        with self.all_tasks_done:
            for entry in entries:
                self._working.pop(entry, None)
            unfinished = self.unfinished_tasks - len(entries)
            if unfinished < 0:
                raise ValueError("done() called for more entries than were queued")
            self.unfinished_tasks = unfinished
            # flush() waits for its own events, join() for zero; nobody else is woken (a woken
            # thread takes the GIL from the workers, once per batch)
            if not unfinished or (self._awaited and self.finished_up_to(min(self._awaited))):
                self.all_tasks_done.notify_all()

    def stop_accepting(self) -> bool:
        """Refuse every later put; True only for the first call."""
        with self.mutex:
            was_accepting, self.accepting = self.accepting, False
        return was_accepting

    def record(self, entries: list[Entry], outcome: str, attempt: int) -> list[Entry]:
        """Count ``outcome`` for the entries still held, and return them.

        Entries that close() has already claimed as dropped are left out, so the caller reports
        nothing for them; a terminal outcome settles the entries it returns.
        """
        with self.mutex:
            held = [entry for entry in entries if entry in self._held]
            settled = outcome in TERMINAL_OUTCOMES
            for entry in held:
                if settled:
                    del self._held[entry]
                    entry.settled = True
                else:
                    self._held[entry] = attempt
            if settled and self.spool_ops is not None:  # after the entry itself: see _put
                self.spool_ops.extend(self.stable_id(entry) for entry in held)
            self._counts[outcome] += len(held)
        return held

    def claim_unsettled(self) -> list[tuple[Entry, int]]:
        """Settle as dropped every entry without an outcome (queued or held), with its attempts.

        Call only after stop_accepting(), so that nothing can be queued behind the drain.
        """
        while True:
            try:
                entry = self.get_nowait()  # _get moves it to the held entries
            except queue.Empty:
                break
            self.done([entry])
        with self.all_tasks_done:
            claimed = list(self._held.items())
            self._held.clear()
            for entry, _ in claimed:  # settled now: flush() need not wait for their workers
                self._working.pop(entry, None)
            self.all_tasks_done.notify_all()
            self._counts[DROPPED] += len(claimed)
        return claimed

    def count(self, name: str, events: int) -> None:
        """Add ``events`` to the counter ``name`` (the spool writer's persisted, persist_failed)."""
        with self.mutex:
            self._counts[name] += events

    def count_refused(self) -> None:
        """Count one event that publish() refused with QueueFullError."""
        with self.mutex:
            self._refused += 1

    def stats(self) -> DeliveryStats:
        with self.mutex:
            counts = {name: self._counts[name] for name in EVENT_NAMES + SPOOL_EVENT_NAMES}
            published = self._accepted - counts[REPLAYED]
            return DeliveryStats(published=published, refused=self._refused, **counts)
