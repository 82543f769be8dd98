"""A fault-injecting HTTP(S) server in its own process, so that a test can kill and restart it.

As a script (standard library only, so it also serves ``benchmarks/soak.py``)::

    python fault_server.py --port 0 --record requests.jsonl [--plan JSON] [--cert F --key F]

prints ``READY <port>`` once it listens on 127.0.0.1. Every request is appended to the record
file as one JSON line, written and flushed *before* the answer, so the record survives SIGKILL:
anything a client saw answered is in it. A request's line holds its Idempotency-Key, the event
ids in its body (``{"id": ...}`` or ``{"batch": [{"id": ...}, ...]}``) and what it got.

The plan says how to answer: ``script`` replies in arrival order first, then ``cycle`` replies
by arrival number, then ``default``. A reply is a dict made by ``reply()``; its action is one of

- ``answer``: status, headers and body (after ``delay`` seconds: a slow server);
- ``reset``: close the socket with SO_LINGER 0, so the client gets a TCP RST and no response;
- ``close``: close the connection cleanly without a response;
- ``truncate``: send the status line and a Content-Length larger than the body, then close;
- ``hang``: never answer (until the process dies);
- ``drip``: send the status line and headers at once, then the body one byte every ``delay``
  seconds (a server, or a proxy, that trickles).

In the tests, ``ServerProcess`` starts it, kills it (SIGKILL: the harshest death) and restarts it
on the same port, and reads the record back.
"""

import argparse
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

Plan = dict[str, Any]
ReplySpec = dict[str, Any]
Record = dict[str, Any]

ACTIONS: Final = ("answer", "reset", "close", "truncate", "hang", "drip")
#: How long start() waits for the child to say READY.
START_TIMEOUT: Final = 15.0


def reply(
    status: int = 200,
    *,
    headers: Mapping[str, str] | None = None,
    body: str = "",
    repeat: int = 1,
    delay: float = 0.0,
    action: str = "answer",
) -> ReplySpec:
    """One answer of a plan (JSON-serialisable, to pass on the child's command line).

    The body sent is ``body * repeat``: a long body without a long command line.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return {
        "status": status,
        "headers": dict(headers or {}),
        "body": body,
        "repeat": repeat,
        "delay": delay,
        "action": action,
    }


def free_port() -> int:
    """A port nothing listens on right now (for a server that is dead at the client's start)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- the child process --------------------------------------------------------------------------


class _Planner:
    """Picks each request's reply and appends its record line, under one lock."""

    def __init__(self, plan: Plan, record_path: str) -> None:
        self._script: list[ReplySpec] = list(plan.get("script", []))
        self._cycle: list[ReplySpec] = list(plan.get("cycle", []))
        self._default: ReplySpec = plan.get("default") or reply()
        self._arrivals = 0
        self._lock = threading.Lock()
        self._record = open(record_path, "a", encoding="utf-8")  # noqa: SIM115 - open for the process

    def arrive(self, method: str, path: str, headers: Message, body: bytes, client_port: int) -> ReplySpec:
        """Record the request (flushed) and return the reply the plan has for it."""
        with self._lock:
            number = self._arrivals
            self._arrivals += 1
            if number < len(self._script):
                chosen = self._script[number]
            elif self._cycle:
                chosen = self._cycle[(number - len(self._script)) % len(self._cycle)]
            else:
                chosen = self._default
            line = {
                "pid": os.getpid(),
                "number": number,
                "t": time.monotonic(),  # CLOCK_MONOTONIC: comparable across processes on Linux
                "method": method,
                "path": path,
                "client_port": client_port,  # the same for two requests: one reused connection
                "key": headers.get("Idempotency-Key"),
                "authorization": headers.get("Authorization"),
                "ids": _event_ids(body),
                "action": chosen["action"],
                "status": chosen["status"] if chosen["action"] in ("answer", "truncate", "drip") else None,
            }
            self._record.write(json.dumps(line) + "\n")
            self._record.flush()  # in the kernel before the answer: survives SIGKILL
        return chosen


def _event_ids(body: bytes) -> list[Any] | None:
    """The ``id`` of every event in a body, or None for a body that is not JSON."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    events = document.get("batch", [document]) if isinstance(document, dict) else []
    return [event.get("id") for event in events if isinstance(event, dict)]


def _handler_class(planner: _Planner) -> type[BaseHTTPRequestHandler]:
    never = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            chosen = planner.arrive(self.command, self.path, self.headers, body, self.client_address[1])
            action = chosen["action"]
            if action == "hang":
                never.wait()
            if action == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()  # RST, no response
                self.close_connection = True
                return
            if action == "close":
                self.close_connection = True
                return
            if chosen["delay"] and action != "drip":
                time.sleep(chosen["delay"])
            payload = chosen["body"].encode("utf-8", "surrogateescape") * chosen["repeat"]
            if action == "drip":
                self.send_response(chosen["status"])
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.flush()
                for byte in payload:
                    time.sleep(chosen["delay"])
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                return
            self.send_response(chosen["status"])
            for name, value in chosen["headers"].items():
                self.send_header(name, value)
            if action == "truncate":
                self.send_header("Content-Length", str(len(payload) + 1000))
                self.end_headers()
                self.wfile.write(payload)
                self.close_connection = True
                return
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST  # a followed redirect would show up as a GET
        do_PUT = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    tls: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        if self.tls is not None:  # the handshake happens in the handler's thread, on first read
            connection = self.tls.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
        return connection, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets, failed handshakes and killed clients are the point here


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", required=True)
    parser.add_argument("--plan", default="{}")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    options = parser.parse_args(argv)
    planner = _Planner(json.loads(options.plan), options.record)
    server = _Server(("127.0.0.1", options.port), _handler_class(planner))
    if options.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options.cert, options.key)
        server.tls = context
    print(f"READY {server.server_address[1]}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server.serve_forever(poll_interval=0.05)


# -- the test side ------------------------------------------------------------------------------


class ServerProcess:
    """Starts the server above in a child process; kill() and restart() keep its port."""

    def __init__(self, record: Path, *, cert: Path | None = None, key: Path | None = None) -> None:
        self.record = record
        self.record.touch()
        self._tls = (str(cert), str(key)) if cert and key else None
        self._process: subprocess.Popen[str] | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}/ingest"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, plan: Plan | None = None, port: int | None = None) -> None:
        """Start on ``port`` (default: the last one, or any free one) and wait until it listens."""
        if self.running:
            raise RuntimeError("the server is already running")
        port = port if port is not None else (self.port or 0)
        command = [sys.executable, __file__, "--port", str(port), "--record", str(self.record)]
        command += ["--plan", json.dumps(plan or {})]
        if self._tls:
            command += ["--cert", self._tls[0], "--key", self._tls[1]]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(self._process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(START_TIMEOUT)
        if not ready or not ready[0].startswith("READY "):
            self.kill()
            raise RuntimeError(f"the fault server did not start on port {port}: {ready!r}")
        self.port = int(ready[0].split()[1])

    def kill(self) -> None:
        """SIGKILL: no goodbye to open connections beyond what the kernel sends."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait(10)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None

    def restart(self, plan: Plan | None = None) -> None:
        self.kill()
        self.start(plan)

    def records(self) -> list[Record]:
        """Every request recorded so far by every run of this server (a torn last line is left out)."""
        records = []
        for line in self.record.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return records

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` requests have been recorded."""
        deadline = time.monotonic() + timeout
        while len(self.records()) < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True


if __name__ == "__main__":
    main()
