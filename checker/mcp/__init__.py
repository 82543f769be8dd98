"""The checker over the Model Context Protocol: ``publisher-check mcp`` and ``--metrics-mcp-*``.

The ``mcp`` SDK is an optional extra (``pip install -e '.[mcp]'`` in a clone). Nothing in this
package imports it at import time; ``server.py`` and ``metrics.py`` do, and they are imported
only once ``require_sdk()`` has said the SDK is there (it imports the SDK itself, and is called
only when ``publisher-check mcp`` or a ``--metrics-mcp-*`` option is used).
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

INSTALL_HINT = "pip install 'mcp>=2,<3' (the mcp extra)"


def _missing(what: str) -> NoReturn:
    click.echo(f"publisher-check: {what} needs the MCP SDK, which is not installed: {INSTALL_HINT}", err=True)
    sys.exit(2)


def require_sdk(what: str) -> None:
    """Exit 2 with one line naming the extra when the ``mcp`` SDK cannot be imported."""
    try:
        import mcp  # noqa: F401 - only to learn whether it can be imported
    except ImportError:
        _missing(what)
