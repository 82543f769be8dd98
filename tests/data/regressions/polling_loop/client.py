import queue
import threading

import requests


class FlagsPoller:
    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._stop = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._poll, daemon=True).start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            if self._stop.wait(timeout=self._interval):
                break
            self._fetch()

    def _fetch(self) -> None:
        response = requests.get("https://x.invalid/flags", timeout=5)
        response.raise_for_status()


class Client:
    def __init__(self) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=100)
        self._flags = FlagsPoller(30.0)
        self._flags.start()
        threading.Thread(target=self._run, daemon=True).start()

    def track(self, event: dict) -> None:
        self._q.put_nowait(event)

    def _run(self) -> None:
        while True:
            self._q.get()
            self._q.task_done()
