"""The bounded event queue, which is also the ledger of every accepted event's outcome.

``queue.Queue`` calls ``_put`` and ``_get`` with its mutex held. Hooking them means that accepting
an event, a worker taking it, recording its outcome and close() claiming what is left all happen
under one lock: an event is always either queued, held by a worker, or settled, so it gets exactly
one terminal outcome even when close() gives up on a worker mid-request. publish() takes no lock
of its own: ``put_nowait`` is all it does.
"""

import queue
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .reports import DROPPED, EVENT_NAMES, TERMINAL_OUTCOMES, DeliveryStats


class ClientClosedError(RuntimeError):
    """publish*() was called after close() (or while close() runs)."""

    def __init__(self) -> None:
        super().__init__("the activity client is closed: nothing can be published after close()")


class QueueFullError(queue.Full):
    """The bounded queue is full: the event was not published. ``max_size`` is the bound."""

    def __init__(self, max_size: int) -> None:
        super().__init__(f"the activity queue is full ({max_size} events); the event was not published")
        self.max_size = max_size


@dataclass(frozen=True, slots=True, eq=False)
class Entry:
    """One published event; compared by identity, since one dict may be published twice."""

    event: dict[str, Any]


class EventQueue(queue.Queue[Entry]):
    """A bounded ``queue.Queue`` of entries that also counts every entry's outcome."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be >= 1: 0 would make queue.Queue unbounded")
        super().__init__(maxsize=maxsize)
        self.accepting = True
        self._accepted = 0
        self._held: dict[Entry, int] = {}  # taken by a worker, no outcome yet -> failed attempts
        self._counts: Counter[str] = Counter()

    def _put(self, item: Entry) -> None:
        if not self.accepting:  # close() won the race against this publish()
            raise ClientClosedError()
        super()._put(item)
        self._accepted += 1

    def _get(self) -> Entry:
        item = super()._get()
        self._held[item] = 0
        return item

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
            for entry in held:
                if outcome in TERMINAL_OUTCOMES:
                    del self._held[entry]
                else:
                    self._held[entry] = attempt
            self._counts[outcome] += len(held)
        return held

    def claim_unsettled(self) -> list[tuple[Entry, int]]:
        """Settle as dropped every entry without an outcome (queued or held), with its attempts.

        Call only after stop_accepting(), so that nothing can be queued behind the drain.
        """
        while True:
            try:
                self.get_nowait()  # _get moves it to the held entries
            except queue.Empty:
                break
            self.task_done()
        with self.mutex:
            claimed = list(self._held.items())
            self._held.clear()
            self._counts[DROPPED] += len(claimed)
        return claimed

    def stats(self) -> DeliveryStats:
        with self.mutex:
            counts = {name: self._counts[name] for name in EVENT_NAMES}
            return DeliveryStats(published=self._accepted, **counts)
