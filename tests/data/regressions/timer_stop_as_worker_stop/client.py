import queue
import threading
import requests


class Repeating:
    def __init__(self, interval: float, fn) -> None:
        self._stop = threading.Event()
        self._fn = fn
        self._interval = interval

    def start(self) -> None:
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._fn()

    def stop(self) -> None:
        self._stop.set()


class Processor:
    def __init__(self) -> None:
        self.q: "queue.Queue[object]" = queue.Queue(maxsize=1000)
        self._flush_timer = Repeating(5.0, self.flush)  # only *triggers* flushes
        self._flush_timer.start()
        self._worker = threading.Thread(target=self._run, daemon=True)
        self._worker.start()

    def send_event(self, event: dict) -> None:
        self.q.put_nowait(event)

    def _run(self) -> None:
        while True:
            ev = self.q.get()
            if ev is None:
                self.q.task_done()
                return
            requests.post("https://example.invalid/e", json=ev, timeout=5)
            self.q.task_done()

    def flush(self) -> None:
        self.q.join()

    def close(self) -> None:
        self._flush_timer.stop()   # stops the periodic trigger, not the worker
        self.flush()               # drains the queue
        self.q.put(None)           # then stops the worker
        self._worker.join(5.0)
