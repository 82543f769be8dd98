"""amplitude: a status helper answers with enum members and the response handler puts the
events back on the buffer in the branch for client errors."""
import enum
import json
import threading
import time
from urllib import error, request


class Status(enum.Enum):
    OK = 200
    INVALID = 400
    FAILED = 500


def status_of(code: int) -> Status:
    if 200 <= code < 300:
        return Status.OK
    if 400 <= code < 500:
        return Status.INVALID
    return Status.FAILED


class Client:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready: list[tuple[float, str]] = []
        threading.Thread(target=self._run, daemon=True).start()

    def track(self, name: str) -> None:
        self._push(name, 0.0)

    def _push(self, name: str, delay: float) -> None:
        with self._lock:
            self._ready.append((time.monotonic() + delay, name))

    def _run(self) -> None:
        while True:
            time.sleep(1.0)
            with self._lock:
                batch, self._ready = self._ready, []
            if batch:
                self._send([name for _due, name in batch])

    def _send(self, names: list[str]) -> None:
        body = json.dumps(names).encode()
        try:
            res = request.urlopen(request.Request("https://collector.invalid", data=body), timeout=10)
        except error.HTTPError as failure:
            res = failure
        self._process(res, names)

    def _process(self, res, names: list[str]) -> None:
        status = status_of(res.status)
        if status == Status.OK:
            return
        elif status in (Status.INVALID, Status.FAILED):
            for name in names:
                self._push(name, delay=2.0)
