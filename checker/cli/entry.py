"""The ``publisher-check`` console script: ``plan``, ``scaffold`` and ``mcp`` subcommands, else the checker.

``publisher-check src/`` must keep meaning "check src/", so this is no click group: when the
first argument names a subcommand, that command runs on the rest; otherwise the checker's own
command (``cli.check.main``) gets every argument. (A folder called ``plan`` is checked as ``./plan``.)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..mcp.command import mcp_command
from . import check
from .commands import plan_command, scaffold_command

SUBCOMMANDS: dict[str, click.Command] = {"plan": plan_command, "scaffold": scaffold_command, "mcp": mcp_command}


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    command = SUBCOMMANDS.get(args[0]) if args else None
    if command is None:
        _run(check.main, args, "publisher-check")
    else:
        _run(command, args[1:], f"publisher-check {args[0]}")


def _run(command: click.Command, args: list[str], prog_name: str) -> None:
    """Run ``command``; a usage error is one line (``prog: error: ...``) and exit 2, not click's block."""
    try:
        status = command.main(args=args, prog_name=prog_name, standalone_mode=False)
    except click.ClickException as exc:
        click.echo(f"{prog_name}: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.Abort:
        click.echo(f"{prog_name}: aborted", err=True)
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":
    main()
