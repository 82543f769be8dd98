"""Deliver the metrics object to an MCP tool: the orchestrator's ``store-skill-metrics``.

The same promises as ``--metrics-url`` (``orchestrator.py``): the call never decides the run,
it is bounded in time, and a failure is one stderr line that names the server (the program's
name, or the URL's host) and what happened, never an argument, a header or a query string.

The metrics object is the tool's arguments. Bounded: connecting, the handshake and the call
share ``DEADLINE`` seconds; after that the call is abandoned and the SDK stops the server
process it started (closing its stdin, then SIGTERM and SIGKILL, each wait bounded by the SDK).

Importing this module imports the ``mcp`` SDK: the CLI does it only when a ``--metrics-mcp-*``
option was given.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import AsyncExitStack, contextmanager
from typing import Any

import anyio
import click
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client import Transport
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from ..reports.orchestrator import DEADLINE, REQUEST_TIMEOUT, PostOutcome
from .options import McpTarget


@contextmanager
def _quiet_sdk() -> Iterator[None]:
    """Mute the SDK's own log lines: a failure is our one line, and theirs could show a URL."""
    logger = logging.getLogger("mcp")
    previous = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _leaves(exc: BaseException) -> Iterator[BaseException]:
    """The exceptions inside task-group exception groups, which the SDK's transports raise."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _leaves(inner)
    else:
        yield exc


def _failure(exc: BaseException) -> str:
    """What went wrong, in words and without the exception's text (it can hold the URL or a token)."""
    for leaf in _leaves(exc):
        if isinstance(leaf, MCPError):
            return f"the server answered with an error (code {leaf.code})"
        if isinstance(leaf, FileNotFoundError):
            return "cannot start the command: no such program"
        if isinstance(leaf, PermissionError):
            return "cannot start the command: permission denied"
        if isinstance(leaf, (httpx2.ConnectError, ConnectionRefusedError)):
            return "connection refused"
        if isinstance(leaf, httpx2.HTTPStatusError):
            return f"HTTP {leaf.response.status_code}"
        if isinstance(leaf, (httpx2.TimeoutException, TimeoutError)):
            return "timed out"
    first = next(_leaves(exc))
    return f"failed ({type(first).__name__})"


async def _call(target: McpTarget, arguments: dict[str, Any], headers: Mapping[str, str]) -> PostOutcome:
    with open(os.devnull, "w") as devnull:
        async with AsyncExitStack() as stack:
            transport: Transport
            if target.url is not None:
                http = await stack.enter_async_context(
                    httpx2.AsyncClient(headers=dict(headers), timeout=httpx2.Timeout(REQUEST_TIMEOUT, read=DEADLINE))
                )
                transport = streamable_http_client(target.url, http_client=http)
            else:
                command, *args = target.argv
                # The server inherits our environment (an orchestrator's server may take its token
                # from there); its stderr goes nowhere, so what it prints adds no line to ours.
                params = StdioServerParameters(command=command, args=args, env=dict(os.environ))
                transport = stdio_client(params, errlog=devnull)
            client = await stack.enter_async_context(Client(transport, read_timeout_seconds=DEADLINE, cache=None))
            result = await client.call_tool(target.tool, arguments)
    if result.is_error:
        return PostOutcome(False, f"the tool {target.tool} answered with an error")
    return PostOutcome(True, "stored")


async def _bounded(target: McpTarget, arguments: dict[str, Any], headers: Mapping[str, str]) -> PostOutcome:
    with anyio.move_on_after(DEADLINE):
        return await _call(target, arguments, headers)
    return PostOutcome(False, f"timed out (no answer within {DEADLINE:g} s)")


def call_metrics_tool(target: McpTarget, metrics: Mapping[str, Any], headers: Mapping[str, str]) -> PostOutcome:
    """Call ``target.tool`` with ``metrics`` as its arguments; returns within about ``DEADLINE`` seconds."""
    with _quiet_sdk():
        try:
            return anyio.run(_bounded, target, dict(metrics), headers)
        except Exception as exc:  # any failure of the delivery is one line: the run's verdict stands
            return PostOutcome(False, _failure(exc))


def deliver(target: McpTarget, metrics: Mapping[str, Any], headers: Mapping[str, str]) -> None:
    """The CLI's METRICS step for ``--metrics-mcp-*``: deliver, and say so on stderr only when it failed."""
    outcome = call_metrics_tool(target, metrics, headers)
    if not outcome.sent:
        where = f"MCP tool {target.tool} on {target.describe()}"
        click.echo(f"publisher-check: metrics not delivered to {where}: {outcome.detail}", err=True)
