"""``publisher-check mcp`` and ``--metrics-mcp-*``, driven by the MCP SDK's own client.

The server runs as a real subprocess (stdio, and once over streamable HTTP on 127.0.0.1).
The metrics tests start small MCP servers written here that record what they were sent,
refuse, or never answer. Skipped when the ``mcp`` extra is not installed; the ``test``
extra installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import jsonschema
import pytest

pytest.importorskip("mcp")

import anyio  # noqa: E402 - after the skip: these come with the mcp extra
from mcp import Client, StdioServerParameters  # noqa: E402
from mcp.types import CallToolResult, TextContent  # noqa: E402

from publisher_check.registry import rules_by_id  # noqa: E402
from publisher_check.reports.orchestrator import DEADLINE  # noqa: E402
from publisher_check.reports.report import report_schema  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TOOLS = {"check", "fix", "explain", "list_rules", "plan", "scaffold", "show_model"}
SECRET = "s3cr3t-t0ken-value"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "sample", root / "sample")
    return root


def server_params(*args: str, cwd: Path | None = None) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "publisher_check.cli.entry", "mcp", *args],
        env=dict(os.environ),
        cwd=cwd,
    )


@asynccontextmanager
async def connected(root: Path) -> AsyncIterator[Client]:
    async with Client(server_params("--root", str(root)), read_timeout_seconds=120) as client:
        yield client


def run(test: Callable[[Client], Awaitable[None]], root: Path) -> None:
    async def main() -> None:
        async with connected(root) as client:
            await test(client)

    anyio.run(main)


def error_text(result: CallToolResult) -> str:
    assert result.is_error, result
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


# -- the server ---------------------------------------------------------------------------------


def test_every_tool_is_listed_with_input_and_output_schemas(project: Path) -> None:
    async def test(client: Client) -> None:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == TOOLS
        for tool in tools.values():
            assert tool.input_schema["type"] == "object"
            assert tool.output_schema is not None and tool.output_schema["type"] == "object"
            assert tool.description
        check_output = tools["check"].output_schema
        assert check_output is not None and check_output["required"] == report_schema()["required"]

    run(test, project)


def test_check_returns_the_spec_report_and_reports_progress(project: Path) -> None:
    async def test(client: Client) -> None:
        seen: list[tuple[float, float | None]] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            seen.append((progress, total))

        result = await client.call_tool(
            "check", {"paths": ["sample"], "session_id": "mcp-1"}, progress_callback=on_progress
        )
        report = structured(result)
        jsonschema.validate(report, report_schema())
        assert report["status"] == "failed"
        assert report["metrics"]["sessionId"] == "mcp-1" and report["metrics"]["mode"] == "informative"
        assert {v["rule"] for v in report["violations"]} >= {"PUB001", "PUB005"}
        assert all(v["file"].startswith("sample/") for v in report["violations"])  # relative to the root
        assert json.loads(result.content[0].text) == report  # type: ignore[union-attr]
        assert seen, "no progress notification"
        values = [value for value, _ in seen]
        assert values == sorted(set(values)) and seen[-1][0] == seen[-1][1]

    run(test, project)


def test_check_select_ignore_and_fail_on(project: Path) -> None:
    async def test(client: Client) -> None:
        only = structured(await client.call_tool("check", {"paths": ["sample"], "select": ["pub001"]}))
        assert {v["rule"] for v in only["violations"]} == {"PUB001"}
        rest = structured(await client.call_tool("check", {"paths": ["sample"], "ignore": ["PUB001"]}))
        assert "PUB001" not in {v["rule"] for v in rest["violations"]} and rest["violations"]
        low = structured(
            await client.call_tool("check", {"paths": ["sample"], "select": ["PUB017"], "fail_on": "critical"})
        )
        assert low["violations"] and low["status"] == "success"
        bad = await client.call_tool("check", {"paths": ["sample"], "fail_on": "fatal"})
        assert "invalid arguments for check at fail_on" in error_text(bad)
        unknown = await client.call_tool("check", {"paths": ["sample"], "colour": True})
        assert "invalid arguments for check" in error_text(unknown)

    run(test, project)


def test_missing_path_is_a_tool_error(project: Path) -> None:
    async def test(client: Client) -> None:
        text = error_text(await client.call_tool("check", {"paths": ["nowhere"]}))
        assert text.startswith("check: nowhere: no such file or folder")

    run(test, project)


def test_paths_cannot_escape_the_root(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    shutil.copytree(FIXTURES / "sample", outside)
    (project / "link").symlink_to(outside, target_is_directory=True)
    (project / "file-link.py").symlink_to(outside / "audit_events" / "client.py")

    async def test(client: Client) -> None:
        for path in ("..", "../outside", str(outside), "sample/../../outside", "/etc"):
            text = error_text(await client.call_tool("check", {"paths": [path]}))
            assert "outside the server's roots" in text, (path, text)
        for path in ("link", "link/audit_events", "file-link.py"):
            text = error_text(await client.call_tool("check", {"paths": [path]}))
            assert "a symbolic link leads out of the server's roots" in text, (path, text)
        for tool, args in (
            ("fix", {"paths": ["link"], "dry_run": True}),
            ("plan", {"volume": 5, "reliability": "best-effort", "example_files": ["../outside/x.json"]}),
            ("scaffold", {"dest": "link/out", "package": "evil", "volume": 5, "reliability": "best-effort"}),
            ("scaffold", {"dest": "../out", "package": "evil", "volume": 5, "reliability": "best-effort"}),
        ):
            assert "the server's roots" in error_text(await client.call_tool(tool, args)), tool
        # A folder walked below a given path never follows a link out either.
        report = structured(await client.call_tool("check", {"paths": ["."]}))
        assert not any(v["file"].startswith("link/") for v in report["violations"])

    run(test, project)
    assert not (outside / "out").exists() and not (tmp_path / "out").exists()


def test_fix_dry_run_returns_the_diff_and_writes_nothing(project: Path) -> None:
    before = {path: path.read_bytes() for path in project.rglob("*.py")}

    async def test(client: Client) -> None:
        preview = structured(await client.call_tool("fix", {"paths": ["sample"], "dry_run": True}))
        assert {path: path.read_bytes() for path in project.rglob("*.py")} == before
        assert preview["dryRun"] is True and preview["metrics"]["mode"] == "executive"
        assert preview["metrics"]["fixesApplied"] > 0 and preview["changedFiles"]
        assert preview["diff"].startswith("--- sample/") and "\n+" in preview["diff"]
        jsonschema.validate(
            {k: v for k, v in preview.items() if k not in ("dryRun", "changedFiles", "diff")}, report_schema()
        )

        fixed = structured(await client.call_tool("fix", {"paths": ["sample"]}))
        assert fixed["dryRun"] is False and fixed["diff"] == preview["diff"]
        assert fixed["metrics"]["finalViolations"] < fixed["metrics"]["initialViolations"]
        changed = {p for p, data in before.items() if p.read_bytes() != data}
        assert {p.relative_to(project).as_posix() for p in changed} == set(fixed["changedFiles"])
        again = structured(await client.call_tool("check", {"paths": ["sample"]}))
        assert len(again["violations"]) == fixed["metrics"]["finalViolations"]

    run(test, project)


def test_explain_and_list_rules(project: Path) -> None:
    async def test(client: Client) -> None:
        rules = structured(await client.call_tool("list_rules", {}))["rules"]
        assert [rule["id"] for rule in rules] == sorted(rules_by_id())
        assert all(rule["fixSafety"] in (("safe", "unsafe") if rule["fixable"] else (None,)) for rule in rules)
        explained = structured(await client.call_tool("explain", {"rule": "pub005"}))
        assert explained["id"] == "PUB005" and explained["documentation"] == rules_by_id()["PUB005"].documentation()
        assert explained["failingExample"] and explained["passingExample"]
        assert explained["fixedExample"]  # PUB005 has a fix: the example is shown after it too
        assert "unknown rule 'PUB999'" in error_text(await client.call_tool("explain", {"rule": "PUB999"}))

    run(test, project)


def test_plan_and_scaffold(project: Path) -> None:
    (project / "event.json").write_text(json.dumps({"type": "order.created", "id": "o-1"}))

    async def test(client: Client) -> None:
        answers = {"volume": 50, "reliability": "guaranteed", "framework": "flask", "example_files": ["event.json"]}
        plan = structured(
            await client.call_tool("plan", {**answers, "examples": [{"type": "order.paid", "id": "o-2"}]})
        )
        assert plan["volumeClass"] == "medium" and plan["answers"]["reliability"] == "guaranteed"
        assert plan["answers"]["examples"] == ["examples[0]", str(project / "event.json")]
        assert {"type", "id"} <= set(plan["schema"]["properties"])
        impossible = await client.call_tool("plan", {"volume": 1e6, "reliability": "exactly-once"})
        assert error_text(impossible).startswith("plan: --volume:")

        made = structured(await client.call_tool("scaffold", {**answers, "dest": "app", "package": "orders"}))
        assert "app/orders/client.py" in made["files"] and "app/orders/integrations/flask.py" in made["files"]
        assert (project / "app" / "orders" / "client.py").is_file()
        again = await client.call_tool("scaffold", {**answers, "dest": "app", "package": "orders"})
        assert "pass --force" in error_text(again)
        checked = structured(await client.call_tool("check", {"paths": ["app"]}))
        assert checked["status"] == "success", checked["violations"]

    run(test, project)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


def test_streamable_http_on_loopback(project: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "publisher_check.cli.entry", "mcp", "--root", str(project), "--http", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)

        async def main() -> None:
            async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=120) as client:
                assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS
                report = structured(await client.call_tool("check", {"paths": ["sample"]}))
                jsonschema.validate(report, report_schema())
                assert "outside" in error_text(await client.call_tool("check", {"paths": ["/"]}))

        anyio.run(main)
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- metrics to an MCP tool ---------------------------------------------------------------------

RECORDER = textwrap.dedent(
    """
    # A small MCP server: records the tool call it gets (and the Authorization header over HTTP).
    import json, sys
    import anyio
    from mcp import types
    from mcp.server.lowlevel import Server

    out, mode = sys.argv[1], sys.argv[2]

    async def list_tools(ctx, params):
        tool = types.Tool(name="store-skill-metrics", input_schema={"type": "object"})
        return types.ListToolsResult(tools=[tool])

    async def call_tool(ctx, params):
        request = getattr(ctx, "request", None)
        header = request.headers.get("authorization") if request is not None else None
        with open(out, "w") as file:
            json.dump({"tool": params.name, "arguments": params.arguments, "authorization": header}, file)
        if mode == "hang":
            await anyio.sleep(60)
        text = types.TextContent(type="text", text="refused" if mode == "refuse" else "stored")
        return types.CallToolResult(content=[text], is_error=mode == "refuse")

    server = Server("recorder", on_list_tools=list_tools, on_call_tool=call_tool)

    async def stdio():
        from mcp.server.stdio import stdio_server
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    if mode == "http":
        import uvicorn
        app = server.streamable_http_app(host="127.0.0.1")
        uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
    else:
        anyio.run(stdio)
    """
)
SILENT = "import time\ntime.sleep(60)  # never reads stdin, never answers\n"


def cli(*args: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "publisher_check.cli.entry", str(FIXTURES / "sample"), "--format", "json", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


@pytest.fixture
def recorder(tmp_path: Path) -> Path:
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER)
    return script


def test_metrics_reach_the_mcp_tool_over_stdio(recorder: Path, tmp_path: Path) -> None:
    out = tmp_path / "received.json"
    command = f"{sys.executable} {recorder} {out} store --token {SECRET}"
    code, stdout, stderr, _ = cli("--session-id", "mcp-run", "--metrics-mcp-command", command)
    assert code == 1 and stderr == ""  # the sample has violations: the delivery changes nothing
    received = json.loads(out.read_text())
    assert received["tool"] == "store-skill-metrics"
    assert received["arguments"] == json.loads(stdout)["metrics"]
    assert received["arguments"]["sessionId"] == "mcp-run"


def test_metrics_tool_name_and_a_refusal(recorder: Path, tmp_path: Path) -> None:
    out = tmp_path / "received.json"
    command = f"{sys.executable} {recorder} {out} refuse"
    code, _, stderr, _ = cli("--metrics-mcp-command", command, "--metrics-mcp-tool", "mcp__orch__store")
    assert code == 1
    assert json.loads(out.read_text())["tool"] == "mcp__orch__store"
    assert stderr.splitlines() == [
        f"publisher-check: metrics not delivered to MCP tool mcp__orch__store on {Path(sys.executable).name}: "
        "the tool mcp__orch__store answered with an error"
    ]


def test_metrics_reach_the_mcp_tool_over_streamable_http(recorder: Path, tmp_path: Path) -> None:
    out = tmp_path / "received.json"
    port = free_port()
    process = subprocess.Popen([sys.executable, str(recorder), str(out), "http", str(port)], stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        url = f"http://127.0.0.1:{port}/mcp?token={SECRET}"
        code, stdout, stderr, _ = cli("--metrics-mcp-url", url, "--metrics-header", f"Authorization: Bearer {SECRET}")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert code == 1 and stderr == ""
    received = json.loads(out.read_text())
    assert received["arguments"] == json.loads(stdout)["metrics"]
    assert received["authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize("server", ["silent", "hang"])
def test_a_server_that_never_answers_is_bounded(server: str, recorder: Path, tmp_path: Path) -> None:
    silent = tmp_path / "silent.py"
    silent.write_text(SILENT)
    script = f"{silent}" if server == "silent" else f"{recorder} {tmp_path / 'received.json'} hang"
    _, plain, _, _ = cli("--session-id", "s")
    code, stdout, stderr, elapsed = cli(
        "--session-id", "s", "--metrics-mcp-command", f"{sys.executable} {script} {SECRET}"
    )
    assert code == 1 and json.loads(stdout)["violations"] == json.loads(plain)["violations"]
    lines = stderr.splitlines()
    assert len(lines) == 1 and "timed out" in lines[0], stderr
    assert SECRET not in stderr and str(tmp_path) not in stderr
    # DEADLINE for the call, then the SDK's bounded stop of the process (stdin closed, then SIGTERM).
    assert elapsed < DEADLINE + 12


def test_unreachable_metrics_servers_are_one_line(tmp_path: Path) -> None:
    code, _, stderr, elapsed = cli("--metrics-mcp-command", f"no-such-program-here --token {SECRET}")
    assert code == 1 and stderr.splitlines() == [
        "publisher-check: metrics not delivered to MCP tool store-skill-metrics on no-such-program-here: "
        "cannot start the command: no such program"
    ]
    url = f"http://127.0.0.1:{free_port()}/mcp?token={SECRET}"
    code, _, stderr, elapsed = cli("--metrics-mcp-url", url)
    assert code == 1 and len(stderr.splitlines()) == 1 and SECRET not in stderr, stderr
    assert "127.0.0.1" in stderr and "connection refused" in stderr
    assert elapsed < DEADLINE + 12


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--metrics-mcp-command", "a", "--metrics-mcp-url", "http://127.0.0.1:1/mcp"), "cannot be combined"),
        (("--metrics-mcp-tool", "x"), "--metrics-mcp-tool needs --metrics-mcp-command or --metrics-mcp-url"),
        (("--metrics-mcp-command", "  "), "the command is empty"),
        (("--metrics-mcp-command", "'unclosed"), "cannot be split"),
        (("--metrics-mcp-url", "ftp://x"), "expected an http:// or https:// URL"),
    ],
)
def test_metrics_mcp_usage_errors_exit_2(args: tuple[str, ...], needle: str) -> None:
    code, stdout, stderr, _ = cli(*args)
    assert code == 2 and stdout == "" and needle in stderr


def test_show_model_describes_each_client_with_its_lines(project: Path) -> None:
    async def test(client: Client) -> None:
        model = structured(await client.call_tool("show_model", {"paths": ["."]}))
        assert model["clients"], model
        first = model["clients"][0]
        assert first["entry_points"] and first["buffers"] and first["sends"]
        assert all(":" in part["at"] for part in first["entry_points"] + first["buffers"] + first["sends"])
        assert "outside the server's roots" in error_text(await client.call_tool("show_model", {"paths": [".."]}))

    run(test, project)
