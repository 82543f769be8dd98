import queue
import threading
from abc import ABC, abstractmethod
from typing import Optional

import requests


class Transport(ABC):
    @abstractmethod
    def send_envelope(self, envelope: dict) -> None: ...

    def flush(self) -> None:
        return None


class HttpTransport(Transport):
    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=100)
        self._session = requests.Session()
        threading.Thread(target=self._run, daemon=True).start()

    def send_envelope(self, envelope: dict) -> None:
        self._queue.put_nowait(envelope)

    def _run(self) -> None:
        while True:
            envelope = self._queue.get()
            self._session.post("https://example.invalid", json=envelope, timeout=10)
            self._queue.task_done()

    def flush(self) -> None:
        self._queue.join()


def make_transport() -> Optional[Transport]:
    return HttpTransport()


class Client:
    def __init__(self) -> None:
        self.transport: Optional[Transport] = make_transport()

    def capture_event(self, event: dict) -> None:
        if self.transport is not None:
            self.transport.send_envelope(event)

    def flush(self) -> None:
        if self.transport is not None:
            self.transport.flush()

    def close(self) -> None:
        self.flush()
