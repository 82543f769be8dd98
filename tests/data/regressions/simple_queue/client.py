import queue
import threading


class Executor:
    def __init__(self) -> None:
        self._work_queue: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._run, daemon=True).start()

    def submit(self, job: dict) -> None:
        self._work_queue.put(job)

    def _run(self) -> None:
        pass
