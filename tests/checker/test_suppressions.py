"""Inline suppressions: their line numbers, and --report-unused-suppressions."""

from __future__ import annotations

import textwrap
from pathlib import Path

from publisher_check.analysis.suppressions import suppressions_by_line
from publisher_check.api import Options, check
from publisher_check.config import Config
from publisher_check.engine import run

PUBLISHER = textwrap.dedent(
    """
    import queue
    import threading


    class Client:
        def __init__(self) -> None:
            self._queue: queue.Queue[dict] = queue.Queue()  # publisher-check: ignore[PUB003]
            self._worker = threading.Thread(target=self._run)

        def publish(self, event: dict) -> None:
            self._queue.put_nowait(event)

        def _run(self) -> None:
            pass
    """
)


def test_suppression_lines_are_numbered_like_libcst_lines() -> None:
    # A form feed is no line break for the parser; str.splitlines() would count one.
    text = "x = 1\n\x0c\ny = 2  # publisher-check: ignore[PUB005]\r\nz = 3\r# publisher-check: ignore\n"
    assert suppressions_by_line(text.encode()) == ((3, ("PUB005",)), (5, ()))


def test_a_suppression_after_a_form_feed_still_applies(tmp_path: Path) -> None:
    source = PUBLISHER.replace("import threading\n", "import threading\n\x0c\n")
    (tmp_path / "client.py").write_text(source, encoding="utf-8")
    result = run([tmp_path], Config())
    assert result.publisher_found
    assert "PUB003" not in {v.rule for v in result.violations}
    assert [(p.name, rule) for p, _line, rule in result.suppressed] == [("client.py", "PUB003")]



def test_a_suppression_inside_a_string_suppresses_nothing(tmp_path: Path) -> None:
    """Only real comments count: the syntax quoted in a string literal is text, not a comment."""
    quoted = 'self._queue: queue.Queue[dict] = queue.Queue(); note = "# publisher-check: ignore[PUB003]"'
    source = PUBLISHER.replace("self._queue: queue.Queue[dict] = queue.Queue()  # publisher-check: ignore[PUB003]", quoted)
    assert quoted in source
    (tmp_path / "client.py").write_text(source, encoding="utf-8")
    assert suppressions_by_line(source.encode()) == ()
    result = run([tmp_path], Config())
    assert "PUB003" in {v.rule for v in result.violations}
    assert result.suppressed == ()

def unused_in(
    project: Path, select: tuple[str, ...] = ()
) -> list[tuple[int, tuple[str, ...], tuple[str, ...]]]:
    config = Config(select=select) if select else Config()
    unused = check([project], Options(config=config, report_unused_suppressions=True)).notes.unused_suppressions
    return [(u.line, u.rules, u.unknown) for u in unused or ()]


def test_used_suppressions_are_not_reported(tmp_path: Path) -> None:
    (tmp_path / "client.py").write_text(PUBLISHER, encoding="utf-8")
    assert unused_in(tmp_path) == []


def test_unused_ids_bare_ignores_and_unknown_ids_are_reported(tmp_path: Path) -> None:
    source = (
        PUBLISHER.replace("ignore[PUB003]", "ignore[PUB003, PUB007]")  # PUB007 reports nothing on that line
        .replace(
            "def publish(self, event: dict) -> None:",
            "def publish(self, event: dict) -> None:  # publisher-check: ignore",
        )
        .replace("pass\n", "pass  # publisher-check: ignore[PUB999]\n")
    )
    (tmp_path / "client.py").write_text(source, encoding="utf-8")
    lines = source.splitlines()
    queue_line = next(n for n, text in enumerate(lines, 1) if "PUB007" in text)
    publish_line = next(n for n, text in enumerate(lines, 1) if "def publish" in text)
    pass_line = next(n for n, text in enumerate(lines, 1) if "PUB999" in text)
    assert unused_in(tmp_path) == [
        (queue_line, ("PUB007",), ()),
        (publish_line, (), ()),
        (pass_line, (), ("PUB999",)),
    ]


def test_ids_of_rules_that_did_not_run_are_not_reported(tmp_path: Path) -> None:
    source = PUBLISHER.replace("ignore[PUB003]", "ignore[PUB003, PUB007]")
    (tmp_path / "client.py").write_text(source, encoding="utf-8")
    assert unused_in(tmp_path, select=("PUB003",)) == []


def test_suppression_syntax_in_strings_and_other_files_is_judged_right(tmp_path: Path) -> None:
    (tmp_path / "client.py").write_text(
        PUBLISHER + '\nDOC = """write # publisher-check: ignore[PUB005] on the line"""\n', encoding="utf-8"
    )
    (tmp_path / "helpers.py").write_text("VALUE = 1  # publisher-check: ignore[PUB017]\n", encoding="utf-8")
    # Only a real comment counts; one in a module no rule reported on suppressed nothing.
    assert unused_in(tmp_path) == [(1, ("PUB017",), ())]


def test_nothing_is_reported_when_no_publisher_was_found(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("VALUE = 1  # publisher-check: ignore\n", encoding="utf-8")
    assert unused_in(tmp_path) == []
