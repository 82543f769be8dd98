import queue
import threading
import time

import requests


class AClient:
    def __init__(self) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=100)
        threading.Thread(target=self._run, daemon=True).start()

    def publish(self, event: dict) -> None:
        self._q.put_nowait(event)

    def _run(self) -> None:
        while True:
            self._send(self._q.get())
            self._q.task_done()

    def _send(self, event: dict) -> None:
        for attempt in range(5):
            resp = requests.post("https://a.invalid", json=event, timeout=5)
            if resp.status_code < 300:
                return
            if 400 <= resp.status_code < 500:
                return
            time.sleep(2 ** attempt)
