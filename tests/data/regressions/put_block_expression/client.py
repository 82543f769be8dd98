import queue
import threading
import requests


class Publisher:
    def __init__(self, drop_when_full: bool = True) -> None:
        self.drop_when_full = drop_when_full
        self.q: "queue.Queue[dict]" = queue.Queue(maxsize=1000)
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def publish(self, event: dict) -> None:
        # default drop_when_full=True -> block=False: never blocks
        self.q.put(event, block=not self.drop_when_full)

    def _run(self) -> None:
        while True:
            ev = self.q.get()
            requests.post("https://example.invalid/e", json=ev, timeout=5)
            self.q.task_done()

    def flush(self) -> None:
        self.q.join()

    def close(self) -> None:
        self.flush()
