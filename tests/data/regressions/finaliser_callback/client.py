import queue
import threading
import weakref


class Finalize:
    """Like multiprocessing.util.Finalize: _callback is the finaliser, not an error callback."""

    def __init__(self, obj: object, callback: "object") -> None:
        self._callback = callback

    def __call__(self) -> None:
        self._callback()


class Client:
    def __init__(self) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=10)
        self._finalizer = Finalize(self, self._q.join)
        threading.Thread(target=self._run, daemon=True).start()

    def publish(self, event: dict) -> None:
        self._q.put_nowait(event)

    def _run(self) -> None:
        while True:
            self._q.get()
            self._finalizer()
            self._q.task_done()
