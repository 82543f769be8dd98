"""bugsnag: a ring of breadcrumbs appended on every notify() and cleared by the caller is context
for later reports, not an event buffer; the reports go out on a thread per request."""
import threading
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

    def notify(self, message: str) -> None:
        self.configuration.breadcrumbs.append(message)
        threading.Thread(target=self._deliver, args=(message,), daemon=True).start()

    def _deliver(self, message: str) -> None:
        requests.post("https://collector.invalid", json={"message": message}, timeout=10)
