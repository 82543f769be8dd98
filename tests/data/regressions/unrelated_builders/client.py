import queue
import threading


class Client:
    def __init__(self) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=100)
        threading.Thread(target=self._run, daemon=True).start()

    def publish(self, event: dict) -> None:
        self._q.put_nowait(event)

    def _run(self) -> None:
        pass
