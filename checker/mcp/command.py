"""``publisher-check mcp``: serve the checker's tools to an MCP client.

This module does not import the ``mcp`` SDK: ``entry.py`` imports it for every run to know the
subcommand, and the SDK (an optional extra) is imported only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from . import require_sdk


@click.command("mcp", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root",
    "roots",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Folder the tools may read and write under (repeatable; default: the working directory). "
    "Relative paths in tool arguments are taken from the first one.",
)
@click.option(
    "--http",
    "port",
    type=click.IntRange(1, 65535),
    default=None,
    metavar="PORT",
    help="Serve streamable HTTP on http://127.0.0.1:PORT/mcp instead of stdio (loopback only).",
)
def mcp_command(roots: tuple[Path, ...], port: int | None) -> None:
    """Serve check, fix, explain, list_rules, plan and scaffold over the Model Context Protocol.

    By default over stdio, for an MCP client that starts this command; with --http, streamable
    HTTP on 127.0.0.1. Every path a tool is given must lie under a --root: a path outside,
    a symbolic link leading out, or a missing path is a tool error.
    """
    require_sdk("publisher-check mcp")
    # Lazy: the SDK is an optional extra, imported only when the server is asked for.
    from .server import main

    main(roots or (Path.cwd(),), port)
