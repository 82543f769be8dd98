"""Per-folder configuration, as ruff resolves it: each file takes its rule selection from the
nearest ``pyproject.toml`` with a ``[tool.publisher-check]`` table among its ancestors, no
merging between files; the command line overrides every file; the whole-project analysis
stays one project, so the settings it needs must agree across the files a run reads.

Real projects on disk, checked through the console script (its exit codes and one-line errors).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CLIENT = textwrap.dedent(
    """
    import queue
    import threading

    from pkg.models.event import Event


    class Client:
        def __init__(self) -> None:
            self._queue: queue.Queue[Event] = queue.Queue()
            self._worker = threading.Thread(target=self._run)

        def publish(self, event: Event) -> None:
            self._queue.put_nowait(event)

        def _run(self):
            pass
    """
)

# Reached only through the client's import: a rule selection of its own must not cut it out of the project.
MODEL = textwrap.dedent(
    """
    from dataclasses import dataclass


    @dataclass
    class Event:
        name: str

        def label(self, prefix):
            return prefix + self.name
    """
)

ROOT_TABLE = '[tool.publisher-check]\nselect = ["PUB003", "PUB005", "PUB016", "PUB017"]\n'


def run_console_script(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "publisher_check.cli.entry", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(root / "pyproject.toml", ROOT_TABLE)
    write(root / "pkg" / "__init__.py", "")
    write(root / "pkg" / "client.py", CLIENT)
    write(root / "pkg" / "models" / "__init__.py", "")
    write(root / "pkg" / "models" / "event.py", MODEL)
    return root


def reported(root: Path, *args: str, cwd: Path | None = None) -> set[tuple[str, str]]:
    """(path relative to ``root``, rule) of each violation; the run must not be a usage error."""
    done = run_console_script(root, "--format", "json", "--no-cache", *args, cwd=cwd)
    assert done.returncode in (0, 1), done.stderr
    base = (cwd or Path.cwd()).resolve()
    return {
        ((base / v["file"]).resolve().relative_to((base / root).resolve()).as_posix(), v["rule"])
        for v in json.loads(done.stdout)["violations"]
    }


BOTH = {
    ("pkg/client.py", "PUB003"),
    ("pkg/client.py", "PUB005"),
    ("pkg/client.py", "PUB017"),
    ("pkg/models/event.py", "PUB016"),
    ("pkg/models/event.py", "PUB017"),
}


def test_without_nested_files_the_root_configuration_applies_everywhere(project: Path) -> None:
    assert reported(project) == BOTH


def test_a_nested_table_chooses_the_rules_of_the_files_below_it(project: Path) -> None:
    # The model folder's own file: no merging with the root's, so its select is the whole selection there.
    write(project / "pkg" / "models" / "pyproject.toml", '[tool.publisher-check]\nselect = ["PUB016"]\n')
    assert reported(project) == BOTH - {("pkg/models/event.py", "PUB017")}


def test_the_same_violation_is_ignored_in_one_folder_and_reported_in_another(project: Path) -> None:
    write(project / "pkg" / "models" / "pyproject.toml", ROOT_TABLE + 'ignore = ["PUB017"]\n')
    found = reported(project)
    assert ("pkg/client.py", "PUB017") in found
    assert ("pkg/models/event.py", "PUB017") not in found
    assert ("pkg/models/event.py", "PUB016") in found  # the model is still part of the one project


def test_per_file_ignores_are_relative_to_their_own_file_and_not_merged(project: Path) -> None:
    # The root's pattern would drop PUB016 from the model, but the model's folder has a file of its own;
    # that file's anchored "/event.py" names pkg/models/event.py because it is read from pkg/models/.
    write(project / "pyproject.toml", ROOT_TABLE + 'per-file-ignores = { "pkg/models/*.py" = ["PUB016"] }\n')
    write(
        project / "pkg" / "models" / "pyproject.toml",
        ROOT_TABLE + 'per-file-ignores = { "/event.py" = ["PUB017"] }\n',
    )
    assert reported(project) == BOTH - {("pkg/models/event.py", "PUB017")}


def test_a_pyproject_without_the_table_is_skipped(project: Path) -> None:
    write(project / "pkg" / "models" / "pyproject.toml", '[project]\nname = "models"\n')
    assert reported(project) == BOTH


def test_command_line_options_override_every_file(project: Path) -> None:
    write(project / "pkg" / "models" / "pyproject.toml", '[tool.publisher-check]\nselect = ["PUB016"]\n')
    assert reported(project, "--select", "PUB017") == {("pkg/client.py", "PUB017"), ("pkg/models/event.py", "PUB017")}
    assert reported(project, "--ignore", "PUB016") == BOTH - {
        ("pkg/models/event.py", "PUB016"),
        ("pkg/models/event.py", "PUB017"),
    }


def test_config_option_uses_one_file_for_all(project: Path) -> None:
    write(project / "pkg" / "models" / "pyproject.toml", '[tool.publisher-check]\nselect = ["PUB016"]\n')
    assert reported(project, "--config", str(project / "pyproject.toml")) == BOTH


def test_paths_configured_by_different_files_each_get_their_own(tmp_path: Path) -> None:
    """``publisher-check pa pb`` applies pa's file to pa and pb's to pb, in either order."""
    for name, rule in (("pa", "PUB003"), ("pb", "PUB005")):
        write(tmp_path / name / "pyproject.toml", f'[tool.publisher-check]\nselect = ["{rule}"]\n')
        write(tmp_path / name / f"{name}_client" / "__init__.py", "")
        write(
            tmp_path / name / f"{name}_client" / "client.py",
            CLIENT.replace("from pkg.models.event import Event", "Event = dict"),
        )
    expected = {("pa/pa_client/client.py", "PUB003"), ("pb/pb_client/client.py", "PUB005")}
    assert reported(tmp_path, cwd=tmp_path) == expected  # tmp_path has no table: its own files (none) use the defaults
    for order in (("pa", "pb"), ("pb", "pa")):
        done = run_console_script(*order, "--format", "json", "--no-cache", cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        assert {(v["file"], v["rule"]) for v in json.loads(done.stdout)["violations"]} == expected


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ("[tool.publisher-check\nselect = [\n", "cannot read"),
        ('[tool.publisher-check]\nignore = ["PUB999"]\n', "unknown rule id 'PUB999'"),
    ],
    ids=["broken-toml", "unknown-rule-id"],
)
def test_a_bad_nested_table_is_a_one_line_usage_error_naming_its_file(project: Path, table: str, says: str) -> None:
    nested = write(project / "pkg" / "models" / "pyproject.toml", table)
    done = run_console_script(project)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert str(nested) in line and says in line


@pytest.mark.parametrize(
    ("nested", "key"),
    [
        ('publish-methods = ["dispatch"]', "publish-methods"),
        ('fail-on = "critical"', "fail-on"),
        ('exclude = ["generated/"]', "exclude"),
    ],
)
def test_project_wide_settings_that_disagree_are_a_usage_error_naming_both_files(
    project: Path, nested: str, key: str
) -> None:
    write(project / "pkg" / "models" / "pyproject.toml", ROOT_TABLE + nested + "\n")
    done = run_console_script(project)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert str(project / "pyproject.toml") in line and str(project / "pkg" / "models" / "pyproject.toml") in line
    assert key in line


def test_a_command_line_value_settles_a_project_wide_disagreement(project: Path) -> None:
    write(project / "pkg" / "models" / "pyproject.toml", ROOT_TABLE + 'fail-on = "critical"\n')
    done = run_console_script(project, "--fail-on", "error", "--no-cache")
    assert done.returncode == 1, done.stderr


def test_fix_leaves_what_a_nested_table_does_not_select(project: Path) -> None:
    """Executive mode fixes only what is reported, so a folder whose table selects other rules keeps its code."""
    other = CLIENT.replace("from pkg.models.event import Event", "Event = dict").replace("class Client", "class Other")
    worker = write(project / "pkg" / "sub" / "worker.py", other)
    write(project / "pkg" / "sub" / "__init__.py", "")
    write(project / "pkg" / "sub" / "pyproject.toml", '[tool.publisher-check]\nselect = ["PUB016"]\n')
    done = run_console_script(project, "--fix", "--no-cache")
    assert done.returncode in (0, 1), done.stderr
    assert "queue.Queue()" not in (project / "pkg" / "client.py").read_text(encoding="utf-8")  # PUB003 fixed
    assert worker.read_text(encoding="utf-8") == other


def test_extend_inherits_a_table_so_a_nested_one_need_not_repeat_the_project_wide_settings(project: Path) -> None:
    """ruff's ``extend``, the one merge: the base's keys, then the nested table's on top."""
    shared = ROOT_TABLE + 'fail-on = "error"\nper-file-ignores = { "pkg/models/event.py" = ["PUB016"] }\n'
    write(project / "pyproject.toml", shared)
    nested = write(project / "pkg" / "models" / "pyproject.toml", '[tool.publisher-check]\nignore = ["PUB017"]\n')
    refused = run_console_script(project)
    assert refused.returncode == 2 and "disagree on fail-on" in refused.stderr  # defaults are not the root's
    nested.write_text(
        '[tool.publisher-check]\nextend = "../../pyproject.toml"\nignore = ["PUB017"]\n', encoding="utf-8"
    )
    # select and fail-on come from the root; the inherited pattern stays relative to the root's folder.
    assert reported(project) == BOTH - {("pkg/models/event.py", "PUB016"), ("pkg/models/event.py", "PUB017")}


def test_extend_in_a_circle_is_a_one_line_usage_error(project: Path) -> None:
    write(project / "pyproject.toml", ROOT_TABLE + 'extend = "pkg/models/pyproject.toml"\n')
    write(project / "pkg" / "models" / "pyproject.toml", '[tool.publisher-check]\nextend = "../../pyproject.toml"\n')
    done = run_console_script(project)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert "extend goes round in a circle" in line and str(project / "pyproject.toml") in line


def test_extend_naming_no_file_is_a_one_line_usage_error(project: Path) -> None:
    nested = write(
        project / "pkg" / "models" / "pyproject.toml", '[tool.publisher-check]\nextend = "../missing.toml"\n'
    )
    done = run_console_script(project)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert str(nested) in line and "names no file" in line


def test_unused_suppressions_are_judged_by_each_files_own_selection(project: Path) -> None:
    """A suppression of a rule its folder does not select is not 'unused'; one of a selected rule is."""
    model = project / "pkg" / "models" / "event.py"
    model.write_text(
        MODEL.replace("def label(self, prefix):", "def label(self, prefix):  # publisher-check: ignore[PUB017]"),
        encoding="utf-8",
    )
    client = project / "pkg" / "client.py"
    client.write_text(
        CLIENT.replace(
            "def publish(self, event: Event) -> None:",
            "def publish(self, event: Event) -> None:  # publisher-check: ignore[PUB016]",
        ),
        encoding="utf-8",
    )
    write(project / "pkg" / "models" / "pyproject.toml", '[tool.publisher-check]\nselect = ["PUB016"]\n')
    done = run_console_script(project, "--format", "json", "--no-cache", "--report-unused-suppressions")
    assert done.returncode == 1, done.stderr
    unused = json.loads(done.stdout)["unusedSuppressions"]
    assert [(Path(u["file"]).name, u["rules"]) for u in unused] == [("client.py", ["PUB016"])]
