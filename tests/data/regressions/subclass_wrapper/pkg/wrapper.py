import threading

from .client import AClient


class ToolClient(AClient):
    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def publish(self, event: dict) -> None:
        super().publish(dict(event, source="tool"))
