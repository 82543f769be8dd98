import abc
import threading


class Storage(abc.ABC):
    @abc.abstractmethod
    def push(self, event, delay=0):
        pass


class StorageProvider(abc.ABC):
    @abc.abstractmethod
    def get_storage(self) -> Storage:
        pass


class MemoryStorage(Storage):
    def __init__(self):
        self.ready = []
        self.lock = threading.Condition()
        self.workers = None

    def setup(self, workers):
        self.workers = workers

    def push(self, event, delay=0):
        wait = delay + 100 * 2 ** event.retry
        with self.lock:
            self.ready.append((wait, event))
        self.workers.start()

    def pull(self, size):
        with self.lock:
            taken = self.ready[:size]
            self.ready = self.ready[size:]
        return [event for _wait, event in taken]


class MemoryProvider(StorageProvider):
    def get_storage(self) -> Storage:
        return MemoryStorage()
