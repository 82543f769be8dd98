import json
import threading
from collections import deque
from typing import Deque
from urllib import request


def send_events(endpoint: str, batch: list) -> int:
    req = request.Request(url=endpoint, data=json.dumps(batch).encode())
    resp = request.urlopen(req, timeout=5)
    return resp.getcode()


class EventsWorker:
    def __init__(self, endpoint: str, max_size: int = 1000) -> None:
        self.endpoint = endpoint
        self.max_size = max_size
        self._queue: Deque[dict] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def push(self, event: dict) -> bool:
        if len(self._queue) >= self.max_size:
            return False
        self._queue.append(event)
        return True

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            batch = []
            while self._queue:
                batch.append(self._queue.popleft())
            if batch:
                send_events(self.endpoint, batch)

    def shutdown(self) -> None:
        self._stop.set()
        self._thread.join(5.0)
