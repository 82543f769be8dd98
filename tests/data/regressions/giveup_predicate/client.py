import queue
import threading

import backoff
import requests


class APIError(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class Client:
    def __init__(self) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=100)
        threading.Thread(target=self._run, daemon=True).start()

    def track(self, event: dict) -> None:
        self._q.put_nowait(event)

    def _run(self) -> None:
        while True:
            self._request(self._q.get())
            self._q.task_done()

    def _request(self, batch: dict) -> None:
        def fatal_exception(exc: Exception) -> bool:
            if isinstance(exc, APIError):
                # give up on 4xx except 429; everything else (5xx, network) is retried
                return (400 <= exc.status < 500) and exc.status not in (409, 429)
            return False

        @backoff.on_exception(backoff.expo, Exception, max_tries=5, giveup=fatal_exception)
        def send_request() -> None:
            res = requests.post("https://x.invalid", json=batch, timeout=5)
            if not 200 <= res.status_code < 400:
                raise APIError(res.status_code)

        send_request()
