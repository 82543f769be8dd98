import queue
import threading
import time
import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry


class Client:
    def __init__(self, url: str) -> None:
        self._url = url
        self._queue: queue.Queue = queue.Queue(maxsize=100)
        self._session = requests.Session()
        # retries are done by _deliver; the adapter must not retry on its own
        self._session.mount("https://", HTTPAdapter(max_retries=Retry(total=0, connect=0, read=0, status=0)))
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._run, daemon=True)
        self._worker.start()

    def publish(self, event: dict) -> None:
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
        response = self._session.post(self._url, json=event, timeout=10)
        if not response.ok:
            raise RuntimeError(response.status_code)

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
