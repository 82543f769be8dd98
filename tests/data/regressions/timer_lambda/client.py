import threading
from typing import List, Optional

import requests


class SpanExporter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._queue: List[dict] = []
        self._timer: Optional[threading.Timer] = None

    def enqueue(self, record: dict) -> None:
        with self._lock:
            if len(self._queue) < 1000:
                self._queue.append(record)
            if self._timer is None:
                timer = threading.Timer(5.0, lambda: self._timer_flush())
                timer.daemon = True
                timer.start()
                self._timer = timer

    def _timer_flush(self) -> None:
        self.flush()

    def flush(self) -> None:
        with self._lock:
            batch, self._queue = self._queue, []
        for attempt in range(3):
            if requests.post("https://x.invalid", json=batch, timeout=5).ok:
                return
            if self._closing.wait(2 ** attempt):
                return
