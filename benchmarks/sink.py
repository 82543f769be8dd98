"""An HTTP/1.1 event sink on 127.0.0.1 for the publisher benchmark, meant to run in its own process.

    python benchmarks/sink.py [--port 0]      # prints "PORT <n>" once it listens

Keep-alive connections, TCP_NODELAY on every accepted socket (without it each response waits
for the client's delayed ACK, ~40 ms), bodies decoded from gzip/deflate and JSON. Every POST is
answered ``200 {"status":"ok"}`` and its events are counted:

- ``{"batch": [...]}`` (ours with batch_size > 1, segment's ``/v1/batch`` and posthog's
  ``/batch/`` bodies, which add ``sentAt``/``writeKey`` or ``sent_at``/``api_key``): len(batch);
- a JSON array: its length;
- any other JSON object: one event (ours with batch_size == 1, the naive publisher).

``GET /_stats`` answers the counters, including ``last_event_ns``: the ``time.monotonic_ns()``
at which the latest event-carrying request was counted. CLOCK_MONOTONIC is system-wide on Linux,
so the benchmark process can subtract its own ``time.monotonic_ns()`` start from it.
``POST /_reset`` zeroes the counters. The asyncio loop is single-threaded: counting needs no lock.

``--delay-ms D`` answers every event-carrying POST D milliseconds after counting it, as a
collector across a network would: the waits of requests on different connections overlap,
so more requests in flight get more events through, as they would against a real collector.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import socket
import sys
import time
import zlib
from collections import Counter
from typing import Any

OK_BODY = b'{"status":"ok"}'
MAX_HEADER = 64 * 1024


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.events = 0
        self.requests = 0
        self.bad_bodies = 0
        self.bytes_received = 0
        self.connections = 0
        self.last_event_ns = 0
        self.first_event_ns = 0
        self.paths: Counter[str] = Counter()
        self.cpu_at_reset = time.process_time()

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "requests": self.requests,
            "bad_bodies": self.bad_bodies,
            "bytes_received": self.bytes_received,
            "connections": self.connections,
            "first_event_ns": self.first_event_ns,
            "last_event_ns": self.last_event_ns,
            "paths": dict(self.paths),
            "cpu_s": time.process_time() - self.cpu_at_reset,
        }


def count_events(document: Any) -> int:
    """How many events one decoded body carries (see the module docstring)."""
    if isinstance(document, dict):
        batch = document.get("batch")
        if isinstance(batch, list):
            return len(batch)
        return 1
    if isinstance(document, list):
        return len(document)
    return 0


def decode_body(body: bytes, encoding: str) -> Any:
    encoding = encoding.strip().lower()
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding == "deflate":
        body = zlib.decompress(body)
    return json.loads(body)


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                # trailers, then the blank line
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(headers.get("content-length", "0") or "0")
    return await reader.readexactly(length) if length else b""


def _response(status: str, body: bytes, keep_alive: bool) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode("ascii") + body


class Sink:
    def __init__(self, delay_s: float = 0.0) -> None:
        self.stats = Stats()
        self.delay_s = delay_s

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.stats.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, version = (lines[0].split(" ", 2) + ["", ""])[:3]
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await _read_body(reader, headers)
                keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
                path = target.split("?", 1)[0]
                response = self.respond(method, path, headers, body, keep_alive)
                if self.delay_s and not path.startswith("/_"):
                    await asyncio.sleep(self.delay_s)
                writer.write(response)
                await writer.drain()
                if not keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            return
        finally:
            writer.close()

    def respond(
        self, method: str, path: str, headers: dict[str, str], body: bytes, keep_alive: bool
    ) -> bytes:
        if path == "/_stats":
            return _response("200 OK", json.dumps(self.stats.to_dict()).encode(), keep_alive)
        if path == "/_reset":
            self.stats.reset()
            return _response("200 OK", OK_BODY, keep_alive)
        stats = self.stats
        stats.requests += 1
        stats.bytes_received += len(body)
        stats.paths[f"{method} {path}"] += 1
        if method == "POST" and body:
            try:
                events = count_events(decode_body(body, headers.get("content-encoding", "")))
            except (ValueError, OSError, zlib.error):
                stats.bad_bodies += 1
                return _response("400 Bad Request", b'{"status":"bad body"}', keep_alive)
            if events:
                now = time.monotonic_ns()
                if not stats.first_event_ns:
                    stats.first_event_ns = now
                stats.events += events
                stats.last_event_ns = now
        return _response("200 OK", OK_BODY, keep_alive)


async def serve(port: int, delay_s: float = 0.0) -> None:
    sink = Sink(delay_s)
    server = await asyncio.start_server(sink.handle, "127.0.0.1", port, limit=MAX_HEADER, backlog=512)
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {bound}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on stdout)")
    parser.add_argument(
        "--delay-ms", type=float, default=0.0, help="answer each event-carrying POST this many ms after counting it"
    )
    args = parser.parse_args(argv)
    if args.delay_ms < 0:
        parser.error(f"--delay-ms must be 0 or more, not {args.delay_ms}")
    try:
        asyncio.run(serve(args.port, args.delay_ms / 1000))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
