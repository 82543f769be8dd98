import queue
import threading

import requests


class Client:
    """Segment's shape: an opt-in sync_mode sends on the caller's thread."""

    def __init__(self, url: str, sync_mode: bool = False) -> None:
        self.url = url
        self.sync_mode = sync_mode
        self.queue: queue.Queue = queue.Queue(maxsize=100)
        threading.Thread(target=self._run, daemon=True).start()

    def track(self, event: dict) -> None:
        if self.sync_mode:
            self._post(event)
            return
        self.queue.put_nowait(event)

    def _post(self, event: dict) -> None:
        requests.post(self.url, json=event, timeout=5)

    def _run(self) -> None:
        while True:
            self._post(self.queue.get())
            self.queue.task_done()
