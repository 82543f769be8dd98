import collections
import threading


class BatchProcessor:
    def __init__(self, exporter: object, max_queue_size: int) -> None:
        self._exporter = exporter
        self._queue: collections.deque = collections.deque([], max_queue_size)
        self._shutdown = False
        self._awaken = threading.Event()
        self._worker = threading.Thread(target=self.worker, daemon=True)
        self._worker.start()

    def emit(self, data: dict) -> None:
        self._queue.appendleft(data)

    def worker(self) -> None:
        while not self._shutdown:
            self._awaken.wait(5.0)
            self._export()
        self._export()  # drain everything that is left once shutdown is signalled

    def _export(self) -> None:
        while self._queue:
            self._exporter.export([self._queue.pop()])

    def force_flush(self) -> bool:
        self._export()
        return True

    def shutdown(self, timeout_millis: int = 30000) -> None:
        self._shutdown = True
        self._awaken.set()
        self._worker.join(timeout_millis / 1000)
