"""rollbar: on a 413 the response handler sends a new, short 'payload too large' notice through
the same queue. That is a new message, not a retry of the failed one."""
import queue
import threading

import requests


class Client:
    def __init__(self) -> None:
        self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
        self._session = requests.Session()
        threading.Thread(target=self._run, daemon=True).start()

    def report(self, payload: dict) -> None:
        self._queue.put_nowait(payload)

    def _run(self) -> None:
        while True:
            payload = self._queue.get()
            response = self._session.post("https://collector.invalid", json=payload, timeout=10)
            self._handle(response, payload)
            self._queue.task_done()

    def _handle(self, response: requests.Response, payload: dict) -> None:
        if response.status_code == 413:
            self.report({"message": "payload too large", "size": len(str(payload))})
