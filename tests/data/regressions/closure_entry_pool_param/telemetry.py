"""An entry point named track_event whose body is a closure run by an error-boundary helper,
and a urllib3 pool injected as an untyped parameter (shapes from unseen SDKs)."""

import queue
import threading


def run_safely(fn):
    try:
        return fn()
    except Exception:
        return None


class Telemetry:
    def __init__(self, pool, url):
        self._pool = pool
        self._url = url
        self._events = queue.Queue(maxsize=1000)
        self._worker = threading.Thread(target=self._loop, daemon=True)
        self._worker.start()

    def track_event(self, name):
        def capture():
            self._events.put_nowait({"name": name})

        run_safely(capture)

    def _loop(self):
        while True:
            event = self._events.get()
            self._pool.urlopen("POST", self._url, body=str(event))
            self._events.task_done()
