import queue
from typing import Optional
import threading
import time
import requests

from side import SideClient, setup_side


class Client:
    side: "Optional[SideClient]" = None

    def __init__(self, url: str) -> None:
        self._url = url
        self.side = setup_side(url)
        self._queue: queue.Queue = queue.Queue(maxsize=100)
        self._session = requests.Session()
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._run, daemon=True)
        self._worker.start()

    def publish(self, event: dict) -> None:
        if self.side is not None:
            self.side.capture_envelope(repr(event).encode())
        self._queue.put_nowait(event)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                event = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                self._deliver(event)
            finally:
                self._queue.task_done()

    def _deliver(self, event: dict) -> None:
        for attempt in range(5):
            response = self._session.post(self._url, json=event, timeout=10)
            status = response.status_code
            if 200 <= status < 400:
                return
            if status == 429:
                time.sleep(float(response.headers.get("Retry-After", 2 ** attempt)))
                continue
            if status >= 500 or status == 409:
                time.sleep(2 ** attempt)
                continue
            if 400 <= status < 500:
                return

    def flush(self) -> None:
        self._queue.join()

    def close(self) -> None:
        self.flush()
        self._stop.set()
        self._worker.join()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
