import threading

import requests


class _Memo:
    def __init__(self) -> None:
        self._stack: list = []

    def enter(self, obj: object) -> None:
        self._stack.append(id(obj))

    def leave(self) -> None:
        self._stack.pop()


class Client:
    def __init__(self, url: str) -> None:
        self._url = url
        self._session = requests.Session()
        self._memo = _Memo()
        self._lock = threading.Lock()

    def capture_event(self, event: dict) -> None:
        self._memo.enter(event)
        try:
            self._session.post(self._url, json=event, timeout=5)
        finally:
            self._memo.leave()
