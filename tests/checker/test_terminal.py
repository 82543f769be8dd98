"""Colour and the progress line: only for a person at a terminal."""

from __future__ import annotations

import io
from pathlib import Path

from publisher_check.cli.terminal import TerminalProgress, color_enabled
from publisher_check.config import Config
from publisher_check.engine import run


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Counter:
    def __init__(self) -> None:
        self.total = -1
        self.done = 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, count: int = 1) -> None:
        self.done += count


def test_color_only_on_a_terminal_and_never_with_no_color() -> None:
    assert color_enabled(FakeTerminal(), {})
    assert color_enabled(FakeTerminal(), {"NO_COLOR": ""})  # no-color.org: an empty value does not count
    assert not color_enabled(FakeTerminal(), {"NO_COLOR": "1"})
    assert not color_enabled(io.StringIO(), {})


def test_progress_is_drawn_in_place_and_erased() -> None:
    stream = FakeTerminal()
    with TerminalProgress(stream, min_files=3) as progress:
        progress.start(4)
        for _ in range(4):
            progress.advance()
        drawn = stream.getvalue()
    assert "Checking [" in drawn and "4/4 files" in drawn and "\n" not in drawn
    erased = stream.getvalue()[len(drawn) :]
    assert erased.startswith("\r") and erased.endswith("\r") and not erased.strip()


def test_no_progress_when_not_a_terminal_or_a_small_run() -> None:
    for stream, total in ((io.StringIO(), 500), (FakeTerminal(), 2)):
        with TerminalProgress(stream, min_files=3) as progress:
            progress.start(total)
            progress.advance(total)
        assert stream.getvalue() == ""


def test_the_engine_reports_every_file_once(tmp_path: Path) -> None:
    for number in range(12):
        (tmp_path / f"helper_{number}.py").write_text(f"VALUE = {number}\n", encoding="utf-8")
    (tmp_path / "client.py").write_text(
        "import queue\n\nclass C:\n    def publish(self, e: dict) -> None:\n        self.q.put_nowait(e)\n",
        encoding="utf-8",
    )
    counter = Counter()
    run([tmp_path], Config(), progress=counter)
    assert counter.total == 13
    assert counter.done == 13
    run([tmp_path], Config())  # a run not given it reports nothing to it
    assert counter.done == 13


def test_force_color_and_the_color_option() -> None:
    assert color_enabled(io.StringIO(), {"FORCE_COLOR": "1"})
    assert not color_enabled(io.StringIO(), {"FORCE_COLOR": ""})
    assert not color_enabled(io.StringIO(), {"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert color_enabled(io.StringIO(), {"NO_COLOR": "1"}, choice="always")
    assert not color_enabled(FakeTerminal(), {"FORCE_COLOR": "1"}, choice="never")
