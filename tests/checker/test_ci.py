"""The CI integrations as documented: the pre-commit hook, the workflow in docs/ci.md, README's commands."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from publisher_check.cli.check import main
from publisher_check.cli.entry import SUBCOMMANDS

REPO = Path(__file__).resolve().parents[2]
OPTIONS = {opt for param in main.params for opt in param.opts if opt.startswith("-")}
EXPRESSION = re.compile(r"\$\{\{[^}]*\}\}")  # GitHub expressions: values, not flags


def code_blocks(path: Path, language: str) -> list[str]:
    return re.findall(
        rf"^ *```{language}\n(.*?)^ *```", path.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE
    )


def runs(node: Any) -> Iterator[str]:
    """Every ``run:`` script in a parsed workflow (or a fragment of one)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "run" and isinstance(value, str):
                yield value
            else:
                yield from runs(value)
    elif isinstance(node, list):
        for item in node:
            yield from runs(item)


def commands(script: str) -> list[list[str]]:
    """The checker's invocations in a shell script (not plan/scaffold), split as the shell would."""
    found = []
    for line in script.splitlines():
        words = shlex.split(EXPRESSION.sub("VALUE", line), comments=True)
        if words[:1] == ["publisher-check"] and words[1:2] != [] and words[1] not in SUBCOMMANDS:
            found.append(words[1:])
    return found


def flags(args: list[str]) -> set[str]:
    return {arg.split("=", 1)[0] for arg in args if arg.startswith("-")}


def test_pre_commit_hook_definition() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = hooks
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert hook["id"] == "publisher-check" and hook["entry"] in scripts
    assert hook["language"] == "python" and hook["types"] == ["python"]
    assert (
        hook["pass_filenames"] is False
    )  # a publisher spans modules: staged files alone are not the project
    assert flags(hook.get("args", [])) <= OPTIONS


def test_docs_workflow_parses_and_uploads_what_it_wrote() -> None:
    blocks = [yaml.safe_load(block) for block in code_blocks(REPO / "docs" / "ci.md", "yaml")]
    [workflow] = [b for b in blocks if isinstance(b, dict) and "jobs" in b]
    [job] = workflow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    steps = job["steps"]
    [check] = [commands(s["run"]) for s in steps if "run" in s and commands(s["run"])]
    [args] = check
    sarif_file = args[args.index("--output") + 1]
    assert args[args.index("--format") + 1] == "sarif"
    [upload] = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == sarif_file
    assert (
        "cancelled()" in upload["if"] or "always()" in upload["if"]
    )  # upload also when the check failed the job


def test_every_documented_command_uses_real_options() -> None:
    docs = REPO / "docs" / "ci.md"
    scripts = [script for block in code_blocks(docs, "yaml") for script in runs(yaml.safe_load(block))]
    scripts += code_blocks(docs, "sh") + code_blocks(REPO / "README.md", "sh")
    used = [flags(args) for script in scripts for args in commands(script)]
    assert len(used) >= 8
    unknown = set().union(*used) - OPTIONS
    assert not unknown, f"documented options the command does not have: {sorted(unknown)}"
    for block in code_blocks(docs, "yaml") + code_blocks(REPO / "README.md", "yaml"):
        config = yaml.safe_load(block)
        if isinstance(config, dict) and "repos" in config:
            [repo] = config["repos"]
            assert [h["id"] for h in repo["hooks"]] == ["publisher-check"]
            assert all(flags(h.get("args", [])) <= OPTIONS for h in repo["hooks"])


@pytest.fixture
def orchestrator() -> Iterator[tuple[str, list[Any]]]:
    received: list[Any] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/metrics", received
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_readme_ci_commands_work_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, orchestrator: tuple[str, list[Any]]
) -> None:
    url, received = orchestrator
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## CI and orchestrators", 1)[1].split("\n## ", 1)[0]
    [script] = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    shutil.copytree(REPO / "fixtures" / "sample", tmp_path / "fixtures" / "sample")
    monkeypatch.chdir(tmp_path)
    codes = []
    for line in script.strip().splitlines():
        args = shlex.split(line.replace('"$ORCHESTRATOR_URL"', url), comments=True)
        assert args[0] == "publisher-check"
        result = CliRunner().invoke(main, args[1:])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert result.stderr == "" or "wrote publisher-check-baseline.json" in result.stderr
        codes.append(result.exit_code)
    assert codes == [1, 1, 0, 0, 1]  # as the README says
    sarif = json.loads(Path("publisher-check.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert json.loads(Path("publisher-check-baseline.json").read_text(encoding="utf-8"))["version"] == 1
    assert [m["sessionId"] for m in received] == ["run-42"]


def test_docs_install_from_the_repository_and_pin_no_missing_tag() -> None:
    """The package index has no publisher-check (and the name is not ours there); the repository has no tags."""
    docs = REPO / "docs" / "ci.md"
    scripts = [script for block in code_blocks(docs, "yaml") for script in runs(yaml.safe_load(block))]
    installs = [line for script in scripts for line in script.splitlines() if "pip install" in line]
    assert installs and all("git+" in line or " ./" in line for line in installs)
    assert "not ours" in docs.read_text(encoding="utf-8")
    tags = subprocess.run(["git", "tag"], cwd=REPO, capture_output=True, text=True).stdout.split()
    for block in code_blocks(docs, "yaml") + code_blocks(REPO / "README.md", "yaml"):
        config = yaml.safe_load(block)
        if isinstance(config, dict) and "repos" in config:
            [repo] = config["repos"]
            assert repo["rev"] == "COMMIT_SHA" or repo["rev"] in tags


def test_an_unset_orchestrator_url_is_the_documented_one_line_exit_2() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "unset or empty, it exits 2" in text
    done = subprocess.run(
        [sys.executable, "-m", "publisher_check.cli.entry", str(REPO / "fixtures" / "sample"), "--metrics-url", ""],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("publisher-check: error:") and "empty" in line
