"""What the command shows only to a person at a terminal: colour and a progress line.

Colour (``--color auto``, the default) follows https://no-color.org and https://force-color.org:
never when ``NO_COLOR`` is set to anything but the empty string; otherwise always when
``FORCE_COLOR`` is (CI logs that render ANSI); otherwise only on a terminal (not a pipe, a
file or CI logs). ``--color always`` and ``--color never`` override all three.
The progress line goes to stderr, only when stderr is a terminal and the run covers
``MIN_FILES`` files or more. It is redrawn in place and erased at the end, so nothing of
it stays in the output. The command passes it to ``api.check()``, which hands it to every
``engine.run`` (one pass, or executive mode's rounds).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Self, TextIO

MIN_FILES = 200  # a smaller run ends before a progress line is worth drawing
REFRESH = 0.1  # seconds between redraws
WIDTH = 30  # characters of the bar


def is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed or detached stream
        return False


def color_enabled(stream: object, environ: Mapping[str, str] = os.environ, choice: str = "auto") -> bool:
    if choice != "auto":
        return choice == "always"
    if environ.get("NO_COLOR"):
        return False
    return bool(environ.get("FORCE_COLOR")) or is_terminal(stream)


class TerminalProgress:
    """``Checking [#####.....] 120/456 files`` on ``stream``; a context manager that erases it."""

    def __init__(self, stream: TextIO, min_files: int = MIN_FILES) -> None:
        self._stream = stream
        self._min_files = min_files
        self._total = 0
        self._done = 0
        self._shown = False
        self._active = False
        self._last_draw = 0.0
        self._width = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.finish()

    def start(self, total: int) -> None:
        self._total = total
        self._done = 0
        self._active = total >= self._min_files and is_terminal(self._stream)

    def advance(self, count: int = 1) -> None:
        self._done = min(self._total, self._done + count)
        if not self._active:
            return
        now = time.monotonic()
        if self._shown and now - self._last_draw < REFRESH and self._done < self._total:
            return
        self._last_draw = now
        filled = WIDTH * self._done // max(1, self._total)
        line = f"Checking [{'#' * filled}{'.' * (WIDTH - filled)}] {self._done}/{self._total} files"
        self._width = max(self._width, len(line))
        self._stream.write("\r" + line.ljust(self._width))
        self._stream.flush()
        self._shown = True

    def finish(self) -> None:
        if self._shown:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._shown = False
        self._active = False
