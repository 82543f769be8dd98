"""bugsnag: a ring of breadcrumbs appended on every notify() and cleared by the caller is context
for later reports, not an event buffer; the reports go through a list the worker swaps out."""
import threading
import time
from collections import deque

import requests


class Breadcrumbs:
    def __init__(self, size: int) -> None:
        self._ring: deque[str] = deque(maxlen=size)

    def append(self, crumb: str) -> None:
        self._ring.append(crumb)

    def clear(self) -> None:
        self._ring.clear()


class Configuration:
    def __init__(self) -> None:
        self.breadcrumbs = Breadcrumbs(25)


class Client:
    def __init__(self) -> None:
        self.configuration = Configuration()
        self._lock = threading.Lock()
        self._pending: list[str] = []
        threading.Thread(target=self._run, daemon=True).start()

    def notify(self, message: str) -> None:
        self.configuration.breadcrumbs.append(message)
        with self._lock:
            self._pending.append(message)

    def _run(self) -> None:
        while True:
            time.sleep(1.0)
            with self._lock:
                batch, self._pending = self._pending, []
            if batch:
                requests.post("https://collector.invalid", json={"messages": batch}, timeout=10)
