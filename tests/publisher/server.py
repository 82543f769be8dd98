"""A real HTTP server for the publisher tests: scripted replies, every request recorded.

Bound to 127.0.0.1 on a free port. Replies come from a script (one per request, in order), then
from a responder function if one is set, then from the default reply. A reply can be slow
(``delay``) or never come (``hang``); stop() lets every waiting handler go at once.
"""

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True, slots=True)
class Reply:
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer: a slow server
    hang: bool = False  # no answer at all until the server stops


@dataclass(frozen=True, slots=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival
    client_port: int  # the same port for two requests: one pooled connection

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)


Responder = Callable[[Recorded], Reply]


class ScriptedServer:
    def __init__(self, replies: Iterable[Reply] = (), default: Reply = Reply()) -> None:
        self._script: deque[Reply] = deque(replies)
        self._default = default
        self._responder: Responder | None = None
        self._requests: list[Recorded] = []
        self._arrived = threading.Condition()
        self._released = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ingest"

    @property
    def requests(self) -> list[Recorded]:
        with self._arrived:
            return list(self._requests)

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order."""
        with self._arrived:
            self._script.extend(replies)

    def respond_with(self, responder: Responder) -> None:
        """Answer every unscripted request with ``responder(request)``."""
        with self._arrived:
            self._responder = responder

    def set_default(self, reply: Reply) -> None:
        with self._arrived:
            self._default = reply

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` requests have arrived."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._arrived.wait(remaining)
        return True

    def release(self) -> None:
        """Let every hung or slow handler answer (hung ones close without answering)."""
        self._released.set()

    def stop(self) -> None:
        self.release()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _arrive(self, request: Recorded) -> Reply:
        with self._arrived:
            self._requests.append(request)
            self._arrived.notify_all()
            if self._script:
                return self._script.popleft()
            if self._responder is not None:
                return self._responder(request)
            return self._default

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = Recorded(
                    self.command,
                    self.path,
                    dict(self.headers.items()),
                    body,
                    time.monotonic(),
                    self.client_address[1],
                )
                reply = server._arrive(request)
                if reply.hang:
                    server._released.wait()
                    self.close_connection = True
                    return
                if reply.delay:
                    server._released.wait(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST  # a followed redirect would show up as a GET

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return Handler
