"""``--metrics-mcp-command``, ``--metrics-mcp-url``, ``--metrics-mcp-tool``: where to deliver the metrics.

Checked before the run, so a usage error exits 2 before any work; the SDK is not imported
here (``metrics.py`` does it when the metrics are delivered).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import PurePath

import click

from . import require_sdk

DEFAULT_TOOL = "store-skill-metrics"


@dataclass(frozen=True, slots=True)
class McpTarget:
    """An MCP server to call ``tool`` on: a command to start (stdio) or a streamable HTTP URL."""

    tool: str
    argv: tuple[str, ...] = ()
    url: str | None = None

    def describe(self) -> str:
        """The server as a failure line names it: the program, or the URL's host; never arguments or a query."""
        from ..reports.orchestrator import host_of

        return host_of(self.url) if self.url is not None else PurePath(self.argv[0]).name


def metrics_mcp_target(command: str | None, url: str | None, tool: str | None) -> McpTarget | None:
    if command is not None and url is not None:
        raise click.UsageError("--metrics-mcp-command and --metrics-mcp-url cannot be combined: give one MCP server")
    if command is None and url is None:
        if tool is not None:
            raise click.UsageError("--metrics-mcp-tool needs --metrics-mcp-command or --metrics-mcp-url")
        return None
    require_sdk("--metrics-mcp-command" if command is not None else "--metrics-mcp-url")
    name = tool or DEFAULT_TOOL
    if not name.strip():
        raise click.BadParameter("the tool name is empty", param_hint="--metrics-mcp-tool")
    if url is not None:
        return McpTarget(name, url=url)
    try:
        argv = tuple(shlex.split(command or ""))
    except ValueError as exc:  # an unclosed quote; the command itself is not echoed (it may hold a token)
        raise click.BadParameter(f"cannot be split into words: {exc}", param_hint="--metrics-mcp-command") from None
    if not argv:
        raise click.BadParameter("the command is empty", param_hint="--metrics-mcp-command")
    return McpTarget(name, argv=argv)
