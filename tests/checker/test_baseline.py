"""Baselines: known violations stay quiet across unrelated edits; new ones (even twins) are reported."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher_check.cli.check import main
from publisher_check.config import Config
from publisher_check.engine import run
from publisher_check.reports.baseline import Baseline, BaselineError

CLIENT = textwrap.dedent(
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
# A second client whose queue line is the very same text as the first one's.
TWIN = (
    CLIENT.split("\n\n\n", 1)[1]
    .replace("class Client:", "class OtherClient:")
    .replace("target=self._run)", "target=self._run, daemon=True)")
)


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "client.py").write_text(CLIENT, encoding="utf-8")
    return tmp_path


def shift_lines(path: Path) -> None:
    """An unrelated edit above every finding: three new lines at the top."""
    path.write_text(
        '"""Telemetry client."""\n\n# moved down by this edit\n' + path.read_text(encoding="utf-8"),
        encoding="utf-8",
    )


def test_round_trip_survives_shifted_lines_and_reports_a_twin(project: Path) -> None:
    source = project / "src" / "client.py"
    before = run([project], Config())
    assert {"PUB003", "PUB005"} <= {v.rule for v in before.violations}
    Baseline.of(before.violations, project).write(project / "baseline.json")
    baseline = Baseline.load(project / "baseline.json")

    shift_lines(source)
    shifted = run([project], Config())
    assert [v.line for v in shifted.violations] != [v.line for v in before.violations]
    assert baseline.new_violations(shifted.violations) == []

    source.write_text(source.read_text(encoding="utf-8") + "\n\n" + TWIN, encoding="utf-8")
    grown = run([project], Config())
    new = baseline.new_violations(grown.violations)
    twin_line = source.read_text(encoding="utf-8").splitlines().index("class OtherClient:") + 1
    assert new and all(v.line >= twin_line for v in new)
    assert [v.rule for v in new].count("PUB003") == 1  # same path, rule and text: still new, by the count


def test_file_format_is_versioned_sorted_and_relative(project: Path) -> None:
    result = run([project / "src"], Config())
    Baseline.of(result.violations, project).write(project / "baseline.json")
    document = json.loads((project / "baseline.json").read_text(encoding="utf-8"))
    assert document["version"] == 1 and document["tool"] == "publisher-check"
    entries = document["violations"]
    assert entries == sorted(entries, key=lambda e: (e["file"], e["rule"], e["text"]))
    assert {e["file"] for e in entries} == {"src/client.py"}
    pub003 = next(e for e in entries if e["rule"] == "PUB003")
    assert pub003 == {
        "file": "src/client.py",
        "rule": "PUB003",
        "text": "self._queue: queue.Queue[dict] = queue.Queue()",
        "count": 1,
    }


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "cannot read baseline"),
        ("{not json", "is not JSON"),
        ('{"version": 1}', "is not a publisher-check baseline"),
        (
            '{"version": 1, "violations": [{"file": "a.py", "rule": "PUB003", "text": "x", "count": 0}]}',
            "count",
        ),
        ('{"version": 2, "violations": []}', "has version 2"),
    ],
)
def test_bad_baselines_are_clear_errors(tmp_path: Path, content: str | None, needle: str) -> None:
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=needle):
        Baseline.load(path)


# The command line -----------------------------------------------------------------------


def test_cli_write_then_check_against_the_baseline(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    assert invoke("src")[0] == 1
    code, out, err = invoke("src", "--write-baseline", "baseline.json")
    assert code == 0 and out == ""
    assert "baseline.json" in err and "violations" in err
    assert json.loads(Path("baseline.json").read_text(encoding="utf-8"))["version"] == 1

    shift_lines(project / "src" / "client.py")
    code, out, _ = invoke("src", "--baseline", "baseline.json", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["violations"] == [] and report["baselined"] > 0
    assert report["status"] == "success"
    code, out, _ = invoke("src", "--baseline", "baseline.json")
    assert code == 0 and "in the baseline" in out

    (project / "src" / "client.py").write_text(CLIENT + "\n\n" + TWIN, encoding="utf-8")
    code, out, _ = invoke("src", "--baseline", "baseline.json", "--format", "json")
    assert code == 1
    assert [v["rule"] for v in json.loads(out)["violations"]].count("PUB003") == 1


def test_cli_baseline_from_another_folder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    assert invoke("src", "--write-baseline", "baseline.json")[0] == 0
    monkeypatch.chdir(project / "src")
    assert invoke(".", "--baseline", "../baseline.json")[0] == 0


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "cannot read baseline"),
        ("[]", "is not a publisher-check baseline"),
        ('{"version": 9, "violations": []}', "version 9"),
    ],
)
def test_cli_bad_baseline_is_a_usage_error(project: Path, content: str | None, needle: str) -> None:
    path = project / "baseline.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = invoke(project, "--baseline", path)
    assert code == 2 and needle in err and "Traceback" not in err + out


def test_cli_baseline_options_exclude_each_other(project: Path) -> None:
    code, _out, err = invoke(project, "--baseline", "a.json", "--write-baseline", "b.json")
    assert code == 2 and "--baseline" in err and "--write-baseline" in err
