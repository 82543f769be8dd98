"""The ``mcp`` extra is optional: a plain run never imports the SDK, and without it the MCP
features exit 2 with one line naming the extra. Runs whether or not ``mcp`` is installed
(the SDK is hidden from the child process by a ``None`` in ``sys.modules``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample"
HINT = "pip install 'mcp>=2,<3' (the mcp extra)"


def run_entry(args: list[str], *, hide_sdk: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the console script's ``main`` in a child; print whether the SDK got imported."""
    code = (
        "import sys\n"
        + ("sys.modules['mcp'] = None\n" if hide_sdk else "")
        + "from publisher_check.cli.entry import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exc:\n"
        "    status = exc.code\n"
        "else:\n"
        "    status = 0\n"
        "print('SDK imported:', sys.modules.get('mcp') is not None, file=sys.stderr)\n"
        "sys.exit(status)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "args", [[str(SAMPLE), "--format", "json"], ["--list-rules"], ["plan", "--volume", "5", "--sla", "best-effort"]]
)
def test_a_plain_run_does_not_import_the_sdk(args: list[str]) -> None:
    done = run_entry(args)
    assert done.stderr.splitlines()[-1] == "SDK imported: False", done.stderr


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["mcp"], "publisher-check mcp"),
        ([str(SAMPLE), "--metrics-mcp-command", "orchestrator --stdio"], "--metrics-mcp-command"),
        ([str(SAMPLE), "--metrics-mcp-url", "http://127.0.0.1:9/mcp"], "--metrics-mcp-url"),
    ],
)
def test_without_the_extra_mcp_features_exit_2_with_one_line(args: list[str], what: str) -> None:
    done = run_entry(args, hide_sdk=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines()[:-1] == [
        f"publisher-check: {what} needs the MCP SDK, which is not installed: {HINT}"
    ]
