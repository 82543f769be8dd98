import queue
import threading
import time
import requests


class Client:
    def __init__(self, url: str) -> None:
        self._url = url
        self._queue: queue.Queue = queue.Queue(maxsize=100)
        self._session = requests.Session()
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._run, daemon=True)
        self._worker.start()

    def publish(self, event: dict) -> None:
        self._queue.put_nowait(event)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                self._queue.task_done()
                return
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
        self._queue.put(None)  # FIFO: every event queued before the sentinel is sent first
        self._worker.join()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
