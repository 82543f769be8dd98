import threading
from queue import Full, Queue


class _Lane:
    def __init__(self, max_queue_size: int) -> None:
        self.queue: Queue = Queue(max_queue_size)

    def enqueue(self, msg: dict) -> bool:
        try:
            self.queue.put(msg, block=False)
            return True
        except Full:
            return False


class Client:
    def __init__(self) -> None:
        self._analytics_lane = _Lane(10_000)

    def capture(self, event: str) -> None:
        self._capture(event, self._analytics_lane)

    def _capture(self, event: str, lane: _Lane) -> None:
        self._submit_event({"event": event}, lane)

    def _submit_event(self, msg, lane):  # unannotated, as in posthog/client.py
        return lane.enqueue(msg)
