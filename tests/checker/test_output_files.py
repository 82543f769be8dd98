"""Where the checker writes: regular files atomically, anything else directly (issue 16, items 1-2)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher_check.cli.check import main
from publisher_check.fsutil import write_atomic

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_symlink_is_followed_and_its_target_replaced(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_atomic(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"


def test_a_fifo_is_written_into_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_atomic(fifo, b"report")
    reader.join(5)
    assert received == [b"report"] and stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_character_device_stays_a_device(tmp_path: Path) -> None:
    # A null device of its own: an old implementation must not replace the system's /dev/null.
    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    write_atomic(device, b"nothing")
    assert stat.S_ISCHR(device.stat().st_mode)


def test_a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask(tmp_path: Path, umask_022: None) -> None:
    existing = tmp_path / "report.json"
    existing.write_text("old")
    existing.chmod(0o644)
    write_atomic(existing, b"new")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o644
    existing.chmod(0o640)
    write_atomic(existing, b"newer")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.json"
    write_atomic(fresh, b"{}")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_output_and_metrics_files_from_the_cli(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "out.json"
    link = tmp_path / "out-link.json"
    link.symlink_to(target)
    target.write_text("")
    metrics = tmp_path / "metrics.json"
    args = [str(FIXTURES / "sample"), "--format", "json", "--output", str(link), "--metrics-file", str(metrics)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert link.is_symlink() and json.loads(target.read_text())["status"] == "failed"
    assert stat.S_IMODE(metrics.stat().st_mode) == 0o644


def test_fix_refuses_a_read_only_file_and_reports_it(tmp_path: Path) -> None:
    project = tmp_path / "sample"
    shutil.copytree(FIXTURES / "sample", project)
    client = project / "audit_events" / "client.py"
    before = client.read_bytes()
    client.chmod(0o444)
    result = CliRunner().invoke(main, [str(project), "--fix", "--format", "json", "--no-cache"])
    report = json.loads(result.stdout)
    assert client.read_bytes() == before and stat.S_IMODE(client.stat().st_mode) == 0o444
    errors = [e for e in report["errors"] if e["file"].endswith("client.py")]
    assert len(errors) == 1 and "read-only" in errors[0]["message"]
    assert any(v["file"].endswith("client.py") and v["rule"] == "PUB004" for v in report["violations"])
    text = CliRunner().invoke(main, [str(project), "--fix", "--no-cache"]).stdout
    assert [line for line in text.splitlines() if "read-only" in line] == [
        line for line in text.splitlines() if "client.py: error" in line
    ]


def test_json_says_which_fix_and_unsafe_ones_are_not_fixable_after_fix(tmp_path: Path) -> None:
    project = tmp_path / "sample"
    shutil.copytree(FIXTURES / "sample", project)
    before = json.loads(CliRunner().invoke(main, [str(project), "--format", "json", "--no-cache"]).stdout)
    fixes = {v["rule"]: (v["fix"], v["fixable"]) for v in before["violations"]}
    assert fixes["PUB004"] == ("safe", True) and fixes["PUB016"] == ("unsafe", False) and fixes["PUB008"] == (None, False)
    after = json.loads(CliRunner().invoke(main, [str(project), "--fix", "--format", "json", "--no-cache"]).stdout)
    [pub016] = [v for v in after["violations"] if v["rule"] == "PUB016"]
    assert pub016["fix"] == "unsafe" and pub016["fixable"] is False
    unsafe = json.loads(CliRunner().invoke(main, [str(project), "--unsafe-fixes", "--format", "json"]).stdout)
    assert [v["fixable"] for v in unsafe["violations"] if v["rule"] == "PUB016"] == [True]
