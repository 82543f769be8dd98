import threading
from typing import Any, Dict, List

from requests_futures.sessions import FuturesSession

session = FuturesSession(max_workers=4)


class EventProcessor:
    def __init__(self, url: str, max_buffer: int = 1000, interval: float = 10.0) -> None:
        self._url = url
        self._max = max_buffer
        self._interval = interval
        self._buffer: List[Dict[str, Any]] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(interval, self._timer_flush)
        self._timer.daemon = True
        self._timer.start()

    def publish(self, event: Dict[str, Any]) -> None:
        with self._lock:
            self._buffer.append(event)
            full = len(self._buffer) >= self._max
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            events, self._buffer = self._buffer, []
        if not events:
            return
        try:
            future = session.post(self._url, json={"events": events}, timeout=3)
        except RuntimeError:
            return
        future.add_done_callback(lambda f: self._done(f, events))

    def _done(self, future: Any, events: List[Dict[str, Any]]) -> None:
        try:
            future.result().raise_for_status()
        except Exception:
            with self._lock:
                self._buffer = (events + self._buffer)[: self._max]

    def _timer_flush(self) -> None:
        self.flush()
        self._timer = threading.Timer(self._interval, self._timer_flush)
        self._timer.daemon = True
        self._timer.start()

    def close(self) -> None:
        self._timer.cancel()
        self.flush()
