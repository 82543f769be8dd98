"""--format text|json|sarif|github and --output, on the fixtures: every report validated, every line one line."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import jsonschema
import pytest
from click.testing import CliRunner

from publisher_check.cli.check import main
from publisher_check.ftypes import FixReport, Metrics, Notes, Run, RunResult, Severity, Violation
from publisher_check.registry import rules_by_id
from publisher_check.reports.github import command, escape_data, escape_property, render_github
from publisher_check.reports.report import report_schema

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
CONSOLE_SCRIPT = Path(sys.executable).with_name("publisher-check")
# Every fixture project: the top-level ones and each one-rule project under violations/.
PROJECTS = sorted(
    [p for p in FIXTURES.iterdir() if p.is_dir() and p.name != "violations"]
    + [p for p in (FIXTURES / "violations").iterdir() if p.is_dir()]
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@cache
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json") and schema["title"].startswith(
        "Static Analysis Results"
    )
    validator_class = jsonschema.validators.validator_for(schema)
    checker = jsonschema.FormatChecker()
    # URIs are what code scanning is strict about: make sure the format is really checked, not skipped.
    assert "uri" in checker.checkers and "uri-reference" in checker.checkers
    return validator_class(schema, format_checker=checker)


def assert_valid_sarif(document: dict[str, Any]) -> None:
    errors = sorted(sarif_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # paths relative to the working folder, as CI runs it


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_every_format_on_every_fixture(project: Path) -> None:
    target = project.relative_to(REPO)
    json_code, out, _ = invoke(
        target, "--format", "json", "--session-id", "s-1", "--report-unused-suppressions"
    )
    report = json.loads(out)
    jsonschema.validate(report, report_schema())

    sarif_code, out, _ = invoke(
        target, "--format", "sarif", "--session-id", "s-1", "--report-unused-suppressions"
    )
    sarif = json.loads(out)
    assert_valid_sarif(sarif)
    run = sarif["runs"][0]
    assert run["properties"]["metrics"]["sessionId"] == "s-1"
    assert run["properties"]["status"] == report["status"]
    located = [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
        )
        for r in run["results"]
    ]
    assert located == [(v["rule"], v["file"], v["line"], v["column"]) for v in report["violations"]]
    notifications = run["invocations"][0].get("toolExecutionNotifications", [])
    assert len([n for n in notifications if n["descriptor"]["id"] == "file-not-checked"]) == len(
        report["errors"]
    )

    github_code, out, _ = invoke(target, "--format", "github", "--session-id", "s-1")
    lines = out.splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    assert len(annotations) == len(report["violations"]) + len(report["errors"])
    assert lines[-1].startswith("publisher-check: ") and "session s-1" in lines[-1]

    text_code, out, _ = invoke(target, "--session-id", "s-1")
    assert "Session s-1:" in out and not ANSI.search(out)

    assert json_code == sarif_code == github_code == text_code == (1 if report["status"] == "failed" else 0)


def test_sarif_driver_describes_every_rule() -> None:
    _code, out, _ = invoke("fixtures/sample", "--format", "sarif")
    sarif = json.loads(out)
    driver = sarif["runs"][0]["tool"]["driver"]
    assert sarif["version"] == "2.1.0" and driver["name"] == "publisher-check" and driver["version"]
    assert [r["id"] for r in driver["rules"]] == sorted(rules_by_id())
    levels = {"critical": "error", "error": "error", "warn": "warning", "low": "note"}
    for descriptor in driver["rules"]:
        rule = rules_by_id()[descriptor["id"]]
        assert descriptor["name"] == rule.__name__
        assert descriptor["shortDescription"]["text"] == rule.check
        assert descriptor["fullDescription"]["text"].startswith(f"{rule.id} ")
        assert "What it checks" in descriptor["fullDescription"]["text"]
        assert "Why it matters" in descriptor["help"]["text"]
        assert "```python" in descriptor["help"]["markdown"]
        assert descriptor["defaultConfiguration"]["level"] == levels[rule.severity.label]
        assert descriptor["properties"]["fixable"] == rule.fixable
    for result in sarif["runs"][0]["results"]:
        rule = driver["rules"][result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%" and location["uri"].startswith("fixtures/sample/")
        assert isinstance(result["properties"]["fixable"], bool)
        assert re.fullmatch(r"[0-9a-f]{32}:[0-9]+", result["partialFingerprints"]["publisherCheckLine/v1"])
    assert sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == REPO.as_uri() + "/"


def test_sarif_fingerprints_survive_shifted_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    source = (FIXTURES / "sample" / "audit_events" / "worker.py").read_text(encoding="utf-8")
    Path("worker.py").write_text(source, encoding="utf-8")
    (tmp_path / "client.py").write_text(
        (FIXTURES / "sample" / "audit_events" / "client.py").read_text(encoding="utf-8")
    )

    def prints() -> list[tuple[str, int]]:
        results = json.loads(invoke(".", "--format", "sarif")[1])["runs"][0]["results"]
        return [
            (
                r["partialFingerprints"]["publisherCheckLine/v1"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in results
        ]

    before = prints()
    Path("worker.py").write_text("# an unrelated comment\n\n" + source, encoding="utf-8")
    after = prints()
    assert sorted(p for p, _ in before) == sorted(p for p, _ in after)
    assert sorted(line for _, line in before) != sorted(line for _, line in after)


def test_sarif_outside_the_working_folder_uses_absolute_uris(tmp_path: Path) -> None:
    (tmp_path / "client.py").write_text(
        textwrap.dedent(
            """
            import queue


            class Client:
                def __init__(self) -> None:
                    self._queue: queue.Queue[dict] = queue.Queue()

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)
            """
        ),
        encoding="utf-8",
    )
    sarif = json.loads(invoke(tmp_path, "--format", "sarif")[1])
    assert_valid_sarif(sarif)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]
    }
    assert uris == {(tmp_path / "client.py").resolve().as_uri()}


# GitHub annotations -----------------------------------------------------------------------


def test_github_escaping_follows_the_workflow_command_rules() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert command("error", "x", file="a,b:c.py", line=3) == "::error file=a%2Cb%3Ac.py,line=3::x"


def test_github_annotations_are_one_line_each_whatever_the_text() -> None:
    tricky = Violation(
        Path("src/we,ird:name.py"), 4, 2, "PUB005", "Daemon", "line one\nline two 50%\r", Severity.LOW, None
    )
    result = RunResult((tricky,), (), 1, True)
    metrics = Metrics("id\n::error::injected", 1, 1, 0, 1, "informative", 0.1)
    fixes = FixReport(result, result, 0, 0, (), True, ())
    out = render_github(Run(result, fixes, metrics, Notes(), Severity.LOW, failed=False))
    lines = out.splitlines()
    assert len(lines) == 2 and out.endswith("\n") and "\r" not in out
    assert lines[0] == (
        "::notice file=src/we%2Cird%3Aname.py,line=4,col=2,title=PUB005::line one%0Aline two 50%25%0D (Daemon, low)"
    )
    assert not lines[1].startswith("::") and "%0A::error::injected" in lines[1]


def test_github_levels_follow_severity() -> None:
    _code, out, _ = invoke("fixtures/sample", "--format", "github")
    levels = {"critical": "::error ", "error": "::error ", "warn": "::warning ", "low": "::notice "}
    report = json.loads(invoke("fixtures/sample", "--format", "json")[1])
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    for violation, annotation in zip(report["violations"], annotations, strict=True):
        assert annotation.startswith(levels[violation["severity"]])
        assert f",title={violation['rule']}::" in annotation
        assert f"file={violation['file']},line={violation['line']},col={violation['column']}," in annotation


# Unused suppressions, --output -------------------------------------------------------------


def test_unused_suppressions_are_warnings_in_every_format(tmp_path: Path) -> None:
    source = (FIXTURES / "sample" / "audit_events" / "client.py").read_text(encoding="utf-8")
    (tmp_path / "client.py").write_text(
        source.replace("import queue\n", "import queue  # publisher-check: ignore[PUB005]\n", 1)
    )
    plain = invoke(tmp_path, "--format", "json")
    code, out, _ = invoke(tmp_path, "--format", "json", "--report-unused-suppressions")
    report = json.loads(out)
    jsonschema.validate(report, report_schema())
    assert code == plain[0] and report["violations"] == json.loads(plain[1])["violations"]
    assert "unusedSuppressions" not in json.loads(plain[1])
    [unused] = report["unusedSuppressions"]
    assert unused["rules"] == ["PUB005"] and unused["line"] == 1 + source.splitlines().index("import queue")

    _code, out, _ = invoke(tmp_path, "--report-unused-suppressions")
    assert (
        f"client.py:{unused['line']}:{unused['column']}: warning: unused suppression: PUB005 reported nothing"
        in out
    )
    _code, out, _ = invoke(tmp_path, "--format", "github", "--report-unused-suppressions")
    where = f"file={unused['file']},line={unused['line']},col={unused['column']}"
    assert f"::warning {where},title=publisher-check%3A unused suppression::unused suppression: PUB005" in out
    sarif = json.loads(invoke(tmp_path, "--format", "sarif", "--report-unused-suppressions")[1])
    assert_valid_sarif(sarif)
    [notification] = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notification["descriptor"]["id"] == "unused-suppression" and notification["level"] == "warning"


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "github"])
def test_output_writes_the_report_to_a_file(tmp_path: Path, output_format: str) -> None:
    target = tmp_path / "report.out"
    code, out, _ = invoke(
        "fixtures/sample", "--format", output_format, "--output", target, "--session-id", "s-9"
    )
    assert code == 1 and out == ""
    written = target.read_text(encoding="utf-8")
    assert "s-9" in written and not ANSI.search(written)
    assert [p.name for p in tmp_path.iterdir()] == ["report.out"]  # no temporary file left behind


def test_output_to_a_missing_folder_is_a_one_line_error(tmp_path: Path) -> None:
    code, out, err = invoke("fixtures/sample", "--output", tmp_path / "missing" / "report.txt")
    assert code == 2 and out == ""
    assert err.startswith("publisher-check: cannot write report file") and err.count("\n") == 1


# A person at a terminal --------------------------------------------------------------------


def run_on_pty(args: list[str], env: dict[str, str], *, stdout_on_pty: bool) -> tuple[int, str, str]:
    """Run the console script with stdout (or stderr) on a pseudo-terminal; the other one is a pipe."""
    leader, follower = pty.openpty()
    piped = subprocess.PIPE
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), *args],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=follower if stdout_on_pty else piped,
        stderr=piped if stdout_on_pty else follower,
    )
    os.close(follower)
    captured = bytearray()
    deadline = time.monotonic() + 120

    def drain() -> Iterator[bytes]:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the terminal closed: the process is done with it
                    return
                if not chunk:
                    return
                yield chunk
            elif process.poll() is not None:
                return

    for chunk in drain():
        captured.extend(chunk)
    pipe = process.stderr if stdout_on_pty else process.stdout
    assert pipe is not None
    piped_output = pipe.read()
    code = process.wait(timeout=60)
    os.close(leader)
    on_pty = captured.decode("utf-8", "replace")
    return code, on_pty, piped_output.decode("utf-8", "replace")


def test_text_is_coloured_on_a_terminal_unless_no_color() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    code, on_pty, _ = run_on_pty(["fixtures/sample"], env, stdout_on_pty=True)
    assert code == 1 and ANSI.search(on_pty) and "PUB005" in on_pty
    code, on_pty, _ = run_on_pty(["fixtures/sample"], {**env, "NO_COLOR": "1"}, stdout_on_pty=True)
    assert code == 1 and not ANSI.search(on_pty) and "PUB005" in on_pty


def test_progress_only_on_a_terminal_for_many_files(tmp_path: Path) -> None:
    for number in range(260):
        (tmp_path / f"module_{number}.py").write_text(f"VALUE = {number}\n", encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1"}
    code, on_pty, stdout = run_on_pty([str(tmp_path)], env, stdout_on_pty=False)
    assert code == 0 and "no publisher found in 260 files" in stdout
    assert "Checking [" in on_pty and "260/260 files" in on_pty
    assert on_pty.endswith("\r") and "Checking" not in stdout
    completed = subprocess.run(
        [str(CONSOLE_SCRIPT), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert completed.returncode == 0 and completed.stderr == ""


def _apply_sarif_replacement(text: str, replacement: dict[str, Any]) -> str:
    region = replacement["deletedRegion"]
    lines = text.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:
        return sum(len(lines[i]) for i in range(line - 1)) + column - 1

    start = offset(region["startLine"], region["startColumn"])
    end = offset(region["endLine"], region["endColumn"])
    return text[:start] + replacement["insertedContent"]["text"] + text[end:]


@pytest.mark.parametrize("project", ["pub005_thread_target", "pub003_unbounded_queue", "pub011_no_context_manager"])
def test_sarif_fixes_are_the_edits_fix_makes(tmp_path: Path, project: str) -> None:
    """A result's SARIF fix, applied by a viewer, gives the file --fix writes for that violation."""
    source = FIXTURES / "violations" / project
    copy = tmp_path / project
    shutil.copytree(source, copy)
    sarif = json.loads(CliRunner().invoke(main, [str(copy), "--format", "sarif", "--no-cache"]).stdout)
    sarif_validator().validate(sarif)
    fixed = [r for r in sarif["runs"][0]["results"] if r.get("fixes")]
    assert fixed, "the violating fixture has a fixable result"
    result = fixed[0]
    change = result["fixes"][0]["artifactChanges"][0]
    uri = change["artifactLocation"]["uri"]
    path = Path(unquote(urlparse(uri).path)) if uri.startswith("file:") else Path.cwd() / unquote(uri)
    expected = _apply_sarif_replacement(path.read_text(encoding="utf-8"), change["replacements"][0])
    CliRunner().invoke(main, [str(copy), "--fix", "--select", result["ruleId"], "--no-cache"])
    assert path.read_text(encoding="utf-8") == expected
