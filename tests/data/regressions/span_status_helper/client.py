import queue
import threading
import time

import requests

from spans import span_status


class Client:
    def __init__(self) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=100)
        threading.Thread(target=self._run, daemon=True).start()

    def capture_event(self, event: dict) -> None:
        event["span_status"] = span_status(event.get("http_status", 200))
        self._q.put_nowait(event)

    def _run(self) -> None:
        while True:
            event = self._q.get()
            for attempt in range(3):
                resp = requests.post("https://x.invalid", json=event, timeout=5)
                if resp.ok:
                    break
                time.sleep(2 ** attempt)
            self._q.task_done()
