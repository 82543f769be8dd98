"""Where a run's results go besides stdout: ``--output``, ``--write-baseline`` and ``--metrics-file``.

A file that cannot be written is a tool error: one line on stderr, exit 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from ..fsutil import write_atomic
from ..ftypes import Metrics, RunResult
from ..reports.baseline import Baseline, files_in
from ..reports.report import plural


def _cannot_write(what: str, path: Path, exc: OSError) -> NoReturn:
    click.echo(f"publisher-check: cannot write {what} {path}: {exc.strerror or exc}", err=True)
    sys.exit(2)


def emit(text: str, output_file: Path | None, *, err: bool = False, color: bool = False) -> None:
    """The report on stdout (stderr with ``err``), or atomically in ``output_file`` instead."""
    if output_file is None:
        click.echo(text, nl=False, err=err, color=color)
        return
    try:
        write_atomic(output_file, text.encode("utf-8"))
    except OSError as exc:
        _cannot_write("report file", output_file, exc)


def save_baseline(result: RunResult, path: Path) -> None:
    """Record ``result``'s violations in ``path`` and say so on stderr (stdout stays empty)."""
    try:
        Baseline.of(result.violations, path.parent).write(path)
    except OSError as exc:
        _cannot_write("baseline", path, exc)
    message = f"publisher-check: wrote {path}: {plural(len(result.violations), 'violation')}"
    message += f" in {plural(files_in(result.violations), 'file')}"
    if result.errors:
        unchecked = len(result.errors)
        message += (
            f"; {plural(unchecked, 'file')} could not be checked and {'is' if unchecked == 1 else 'are'} not in it"
        )
    click.echo(message, err=True)


def save_metrics(metrics: Metrics, path: Path) -> None:
    """The metrics object alone, as JSON, in ``path``."""
    try:
        write_atomic(path, (json.dumps(metrics.to_dict(), indent=2) + "\n").encode())
    except OSError as exc:
        _cannot_write("metrics file", path, exc)
