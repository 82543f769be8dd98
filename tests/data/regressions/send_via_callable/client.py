import queue
import threading
import time
import requests


class Uploader:
    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def __call__(self, batch: list) -> requests.Response:
        return self.session.post(self.url, json=batch, timeout=5)


class Publisher:
    def __init__(self, url: str) -> None:
        self.q: "queue.Queue[dict]" = queue.Queue(maxsize=1000)
        self.upload = Uploader(url)
        threading.Thread(target=self._run, daemon=True).start()

    def publish(self, event: dict) -> None:
        self.q.put_nowait(event)

    def _run(self) -> None:
        while True:
            ev = self.q.get()
            for delay in (1, 2):          # fixed-table retry, 5xx only, 2xx-only success
                resp = self.upload([ev])
                if not 500 <= resp.status_code < 600:
                    break
                time.sleep(delay)
            self.q.task_done()

    def flush(self) -> None:
        self.q.join()

    def close(self) -> None:
        self.flush()
