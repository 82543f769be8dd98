import queue
import threading


class OtherClient:
    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue(100)
        threading.Thread(target=self._run, daemon=True).start()

    def track(self, msg: dict) -> None:
        self.queue.put(msg, block=False)

    def _run(self) -> None:
        pass
