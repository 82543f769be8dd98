"""Inline suppressions: their line numbers, and --report-unused-suppressions."""

from __future__ import annotations

import textwrap
from pathlib import Path

from publisher_check.config import Config
from publisher_check.engine import run
from publisher_check.facts import suppressions_in

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
    assert suppressions_in(text) == ((3, ("PUB005",)), (5, ()))


def test_a_suppression_after_a_form_feed_still_applies(tmp_path: Path) -> None:
    source = PUBLISHER.replace("import threading\n", "import threading\n\x0c\n")
    (tmp_path / "client.py").write_text(source, encoding="utf-8")
    result = run([tmp_path], Config())
    assert result.publisher_found
    assert "PUB003" not in {v.rule for v in result.violations}
    assert [(p.name, rule) for p, _line, rule in result.suppressed] == [("client.py", "PUB003")]
