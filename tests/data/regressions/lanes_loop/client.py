import queue
import threading
from typing import List, Optional


class _Lane:
    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue(maxsize=100)
        self.worker = threading.Thread(target=self._run, daemon=True)
        self.worker.start()

    def enqueue(self, msg: dict) -> bool:
        try:
            self.queue.put(msg, block=False)
            return True
        except queue.Full:
            raise

    def _run(self) -> None:
        while True:
            self.queue.get()
            self.queue.task_done()

    def flush(self, timeout: Optional[float]) -> None:
        self.queue.join()


class Client:
    def __init__(self) -> None:
        self._main = _Lane()
        self._ai = _Lane()
        self._lanes = [self._main, self._ai]

    def capture(self, msg: dict) -> None:
        self._main.enqueue(msg)

    def flush(self, timeout: Optional[float] = 10) -> None:
        for lane in self._lanes:
            lane.flush(timeout)
