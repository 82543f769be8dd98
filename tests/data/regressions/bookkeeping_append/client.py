import threading
from queue import Full, Queue
from typing import List


def _new_lane_queue(maxsize: int) -> Queue:
    return Queue(maxsize)


class Consumer(threading.Thread):
    def __init__(self, queue: Queue) -> None:
        super().__init__(daemon=True)
        self.queue = queue


class Lane:
    def __init__(self, max_queue_size: int) -> None:
        self.queue: Queue = _new_lane_queue(max_queue_size)
        self.consumers: List[Consumer] = []
        self._started = False

    def _start(self) -> None:
        if not self._started:
            consumer = Consumer(self.queue)
            self.consumers.append(consumer)
            consumer.start()
            self._started = True

    def enqueue(self, msg: dict) -> bool:
        self._start()
        try:
            self.queue.put(msg, block=False)
            return True
        except Full:
            raise
