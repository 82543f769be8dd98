"""The command line: formats, exit codes, configuration, errors as one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from publisher_check.cli.check import main
from publisher_check.reports.report import report_schema

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REPO = FIXTURES.parent

PUBLISHER = textwrap.dedent(
    """
    import queue
    import threading


    class Client:
        def __init__(self) -> None:
            self._queue: queue.Queue[dict] = queue.Queue()
            self._worker = threading.Thread(target=self._run)

        def publish(self, event: dict) -> None:
            self._queue.put_nowait(event)

        def _run(self) -> None:
            pass
    """
)


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "client.py").write_text(PUBLISHER, encoding="utf-8")
    return tmp_path


def test_json_report_matches_schema_and_spec_shape(project: Path) -> None:
    code, out, _ = invoke(project, "--format", "json", "--session-id", "s-1")
    report = json.loads(out)
    jsonschema.validate(report, report_schema())
    assert code == 1
    assert report["status"] == "failed"
    assert report["metrics"]["sessionId"] == "s-1"
    assert report["metrics"]["mode"] == "informative"
    assert report["metrics"]["initialViolations"] == report["metrics"]["finalViolations"] == len(report["violations"])
    assert report["metrics"]["fixRate"] == 0.0
    rules = {v["rule"] for v in report["violations"]}
    assert {"PUB003", "PUB005"} <= rules
    pub003 = next(v for v in report["violations"] if v["rule"] == "PUB003")
    assert pub003["line"] == 8 and pub003["severity"] == "critical" and pub003["check"] == "Bounded queue"


def test_text_report_lists_file_line_column(project: Path) -> None:
    code, out, _ = invoke(project)
    assert code == 1
    assert "client.py:8:" in out and "PUB003 [critical]" in out
    assert "Found" in out and "critical" in out


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ((), 1),
        (("--fail-on", "critical"), 1),
        (("--select", "PUB014,PUB015"), 1),
        (("--select", "PUB014", "--fail-on", "warn"), 0),
        (("--exit-zero",), 0),
        (("--ignore", "ALL"), 0),
    ],
)
def test_exit_codes(project: Path, options: tuple[str, ...], expected: int) -> None:
    code, _out, _err = invoke(project, *options)
    assert code == expected


def test_compliant_project_exits_zero() -> None:
    code, out, _ = invoke(FIXTURES / "compliant_split", "--format", "json")
    report = json.loads(out)
    jsonschema.validate(report, report_schema())
    assert code == 0 and report["status"] == "success" and report["violations"] == []
    assert report["metrics"]["fixRate"] == 1.0


def test_no_publisher_is_a_clear_pass() -> None:
    code, out, _ = invoke(FIXTURES / "no_publisher")
    assert code == 0
    assert "no publisher found" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("does-not-exist",), "path does not exist: does-not-exist"),
        (("--select", "PUB999", "."), "unknown rule id 'PUB999'"),
        (("--fail-on", "severe", "."), "'severe' is not one of"),
        (("--explain", "PUB999"), "unknown rule 'PUB999'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: tuple[str, ...], needle: str) -> None:
    code, out, err = invoke(*args)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err + out


def test_unknown_config_key_is_named(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.publisher-check]\npublish-method = ["send"]\n', encoding="utf-8")
    code, _out, err = invoke(project)
    assert code == 2
    assert "unknown key [tool.publisher-check] 'publish-method'" in err


def test_config_select_and_per_file_ignores(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.publisher-check]\nselect = ["PUB003", "PUB005"]\nper-file-ignores = {"client.py" = ["PUB005"]}\n',
        encoding="utf-8",
    )
    code, out, _ = invoke(project, "--format", "json")
    assert code == 1
    assert {v["rule"] for v in json.loads(out)["violations"]} == {"PUB003"}


def test_command_line_select_overrides_config(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.publisher-check]\nselect = ["PUB003"]\n', encoding="utf-8")
    _code, out, _ = invoke(project, "--format", "json", "--select", "PUB005")
    assert {v["rule"] for v in json.loads(out)["violations"]} == {"PUB005"}


def test_exclude_skips_files(project: Path) -> None:
    code, out, _ = invoke(project, "--exclude", "client.py")
    assert code == 0 and "no publisher found" in out


def test_metrics_file_is_written(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "metrics.json"
    target.parent.mkdir()
    invoke(project, "--metrics-file", target, "--session-id", "abc")
    metrics = json.loads(target.read_text(encoding="utf-8"))
    jsonschema.validate({"status": "failed", "violations": [], "metrics": metrics}, report_schema())
    assert metrics["sessionId"] == "abc"


def test_generated_session_ids_differ(project: Path) -> None:
    first = json.loads(invoke(project, "--format", "json")[1])["metrics"]["sessionId"]
    second = json.loads(invoke(project, "--format", "json")[1])["metrics"]["sessionId"]
    assert first and second and first != second


def test_list_rules_and_explain() -> None:
    _code, out, _ = invoke("--list-rules")
    assert out.count("PUB0") == 17
    code, out, _ = invoke("--explain", "pub005")
    assert code == 0
    assert "PUB005" in out and "Why it matters" in out and "Failing example" in out


def test_console_script_runs_on_the_sample() -> None:
    script = Path(sys.executable).with_name("publisher-check")
    completed = subprocess.run(
        [str(script), "fixtures/sample", "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert completed.returncode == 1, completed.stderr
    report = json.loads(completed.stdout)
    jsonschema.validate(report, report_schema())
    assert all(v["file"].startswith("fixtures/sample/") for v in report["violations"])
    assert len(report["violations"]) >= 6


def run_console_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "publisher_check.cli.entry", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--bogus"], "No such option '--bogus'"),
        (["--format", "xml"], "'--format'"),
        (["--mode", "informative", "--fix"], "--mode informative and --fix conflict"),
        (["--mode", "informative", "--diff"], "--mode informative and --diff conflict"),
    ],
)
def test_usage_errors_of_the_main_command_are_one_line_exit_2(project: Path, args: list[str], says: str) -> None:
    done = run_console_script(project, *args)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("publisher-check: error: ") and says in line


def test_mode_executive_with_fix_is_no_conflict(project: Path) -> None:
    code, _out, err = invoke(project, "--mode", "executive", "--fix", "--diff")
    assert code in (0, 1) and "conflict" not in err


def test_what_users_read_carries_no_test_markers() -> None:
    sample = FIXTURES / "sample"
    assert not [p for p in sample.rglob("*.py") if "# expect:" in p.read_text(encoding="utf-8")]
    for rule in ("PUB001", "PUB005", "PUB016"):
        code, out, _ = invoke("--explain", rule)
        assert code == 0 and "Failing example" in out and "expect:" not in out


def test_undecodable_files_say_so_and_counts_are_plural_right(tmp_path: Path) -> None:
    (tmp_path / "client.py").write_text(PUBLISHER, encoding="utf-8")
    (tmp_path / "blob.py").write_bytes(b"\x7fELF\x02\x01\x00\x00")
    (tmp_path / "helper.py").write_text("def helper() -> int:\n    return 1\n", encoding="utf-8")
    code, out, _ = invoke(tmp_path, "--no-cache")
    [error] = [line for line in out.splitlines() if "blob.py" in line]
    assert "not UTF-8 text" in error and "None" not in error
    [found] = [line for line in out.splitlines() if line.startswith("Found")]
    assert found.endswith("in 1 file (3 files checked); 1 file could not be checked.")
    clean = tmp_path / "clean"
    shutil.copytree(REPO / "reference_impl", clean / "activity_publisher")
    code, out, _ = invoke(clean, "--fix", "--no-cache")
    assert code == 0 and "Nothing to fix." in out and "0 of 0" not in out
    assert "Found 0 violations (" in out and "in 0 files" not in out


def test_version_and_color_options(project: Path) -> None:
    done = run_console_script("--version")
    assert done.returncode == 0 and done.stdout.startswith("publisher-check ") and done.stdout.count("\n") == 1
    forced = subprocess.run(
        [sys.executable, "-m", "publisher_check.cli.entry", str(project)],
        capture_output=True,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, "FORCE_COLOR": "1"},
    )
    assert "\x1b[" in forced.stdout
    _code, always, _err = invoke(project, "--color", "always")
    _code, never, _err = invoke(project, "--color", "never")
    assert "\x1b[" in always and "\x1b[" not in never


def test_paths_whose_tables_disagree_on_discovery_are_refused(tmp_path: Path) -> None:
    """pa's table renames the publish/flush/close methods, pb has none: one project analysis cannot
    follow both, so the run is refused (per-file settings alone may differ: test_folder_config)."""
    configured, plain = tmp_path / "pa", tmp_path / "pb"
    shutil.copytree(FIXTURES / "configured", configured)
    shutil.copytree(FIXTURES / "sample", plain)
    (plain / "pyproject.toml").write_text('[project]\nname = "pb"\n', encoding="utf-8")  # no table: skipped
    for first, second in ((configured, plain), (plain, configured)):
        done = run_console_script(first, second)
        assert done.returncode == 2 and done.stdout == ""
        [line] = done.stderr.splitlines()
        assert "disagree on close-methods, flush-methods, publish-methods" in line
        assert str(configured / "pyproject.toml") in line and str(plain) in line
    alone = run_console_script(configured / "warehouse_events", configured, "--format", "json")
    assert alone.returncode == 0, alone.stderr
