"""skill.md: its promises, and the walk an agent makes following it from an empty folder.

The walk runs every line of every ```sh block of skill.md, in order, in an empty folder, with
this environment's ``publisher-check`` and ``python`` first on PATH, and the orchestrator
endpoint pointing at a real server on 127.0.0.1. It must end with a plan, a scaffolded
publisher that passes the checker and its tests, a JSON report and the metrics, sent.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from publisher_check.cli.entry import main
from publisher_check.ftypes import SKILL
from publisher_check.registry import rules_by_id
from publisher_check.reports.report import report_schema

from .publisher.server import ScriptedServer

REPO = Path(__file__).resolve().parents[1]
TEXT = (REPO / "skill.md").read_text(encoding="utf-8")


def sh_lines() -> list[str]:
    return [
        line
        for block in re.findall(r"```sh\n(.*?)```", TEXT, flags=re.DOTALL)
        for line in block.splitlines()
        if line.strip()
    ]


def help_text(*command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.fixture
def orchestrator() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.stop()


def test_front_matter_names_the_skill_and_when_to_use_it() -> None:
    front, _body = TEXT.removeprefix("---\n").split("\n---\n", 1)
    assert f"name: {SKILL.split(':', 1)[1]}" in front.splitlines()
    description = " ".join(front.split("description:", 1)[1].split())
    for use in (
        "activity or audit logging",
        "telemetry clients",
        "event-driven architectures",
        "async job submission",
        "Python",
    ):
        assert use in description


def test_the_four_phases_come_in_order() -> None:
    headings = re.findall(r"^## (.+)$", TEXT, flags=re.MULTILINE)
    phases = [h for h in headings if h.startswith("Phase")]
    assert [p.split(" — ")[0] for p in phases] == ["Phase 1", "Phase 2", "Phase 3", "Phase 4"]
    plan = TEXT.split("## Phase 1", 1)[1].split("## Phase 2", 1)[0]
    for topic in (
        "low < 10/s",
        "medium 10–1000/s",
        "high > 1000/s",
        "fan-out",
        "exactly-once",
        "FastAPI",
        "Flask",
        "standalone",
        "Queue size",
        "Retry policy",
        "Workers and batching",
        "Validation",
        "Error handling and alerting",
        "Testing strategy",
        "wait for approval",
    ):
        assert topic in plan, topic


def test_the_checklist_has_one_line_per_rule_named_as_the_checker_names_it() -> None:
    checklist = TEXT.split("## The checklist", 1)[1]
    items = re.findall(r"^- \*\*(PUB\d{3})\*\* ([^:]+): (.+)$", checklist, flags=re.MULTILINE)
    assert [rule for rule, _, _ in items] == sorted(rules_by_id())
    for rule, check, passing in items:
        assert check == rules_by_id()[rule].check
        assert passing.strip()


def test_every_flag_the_skill_mentions_exists(capsys: pytest.CaptureFixture[str]) -> None:
    known = "".join(help_text(*command, capsys=capsys) for command in ((), ("plan",), ("scaffold",), ("mcp",)))
    for flag in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", TEXT))):
        assert re.search(rf"(?<![\w-]){flag}(?![\w-])", known), f"skill.md mentions {flag}, which no command has"


def test_every_command_line_is_a_publisher_check_python_or_shell_step() -> None:
    lines = sh_lines()
    assert lines
    for line in lines:
        assert line.split()[0] in {"publisher-check", "python", "mkdir", "echo"}, line


def path_environment(**extra: str) -> dict[str, str]:
    """This environment's publisher-check and python first on PATH, as after the README's install."""
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **extra,
    }
    environment.pop("PYTHONPATH", None)
    return environment


def test_the_readme_skill_commands_work(tmp_path: Path) -> None:
    section = (REPO / "README.md").read_text(encoding="utf-8").split("\n## The skill\n", 1)[1].split("\n## ", 1)[0]
    (script,) = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    clone = tmp_path / "clone"
    (clone / "docs" / "examples").mkdir(parents=True)
    for example in (REPO / "docs" / "examples").iterdir():
        (clone / "docs" / "examples" / example.name).write_bytes(example.read_bytes())
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=clone,
        env=path_environment(),
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Found 0 violations" in done.stdout and " passed" in done.stdout
    assert (tmp_path / "orders-demo" / "orders_publisher" / "integrations" / "fastapi.py").is_file()


def test_following_the_skill_from_an_empty_folder(tmp_path: Path, orchestrator: ScriptedServer) -> None:
    environment = path_environment(ORCHESTRATOR_METRICS_URL=orchestrator.url)
    for line in sh_lines():
        done = subprocess.run(
            ["bash", "-c", line],
            cwd=tmp_path,
            env=environment,
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{line}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}"

    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert plan["volumeClass"] == "medium" and plan["schema"]["required"]
    planned = {item["name"]: item["value"] for item in plan["parameters"]}
    client = (tmp_path / "orders_publisher" / "client.py").read_text(encoding="utf-8")
    assert f"max_queue_size: int = {planned['max_queue_size']:_}," in client
    assert (tmp_path / "orders_publisher" / "integrations" / "fastapi.py").is_file()

    report = json.loads((tmp_path / "publisher-report.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, report_schema())
    assert (report["status"], report["violations"]) == ("success", [])
    assert report["metrics"]["sessionId"] == "orders-publisher-build"
    assert report["metrics"]["finalViolations"] == 0 and report["metrics"]["fixRate"] == 1.0

    metrics = json.loads((tmp_path / "publisher-metrics.json").read_text(encoding="utf-8"))
    assert metrics["sessionId"] == "orders-publisher-build" and metrics["skill"] == SKILL
    assert orchestrator.wait_for(1, timeout=10.0)
    sent = orchestrator.requests[0].json()
    assert sent["sessionId"] == "orders-publisher-build" and sent["finalViolations"] == 0
