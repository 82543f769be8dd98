"""The engine: VERIFY, files in, violations out (``verify``), behind the whole-run cache.

``run`` answers a run over files, configuration and checker that are all as they were last
time from the cache, before anything of the analysis is imported: a warm run costs reading and
hashing the files. Otherwise ``verify.judge`` does the work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..analysis.cache import FactsCache, is_transient
from ..analysis.files import collect_files
from ..analysis.parsing import DEFAULT_TIMEOUT
from ..config import Config, FileConfigs
from ..ftypes import Progress, RunResult


def run(
    paths: Sequence[Path],
    config: Config,
    sources: Mapping[Path, bytes] | None = None,
    parse_timeout: float = DEFAULT_TIMEOUT,
    *,
    cache: FactsCache | None = None,
    progress: Progress | None = None,
    per_file: FileConfigs | None = None,
) -> RunResult:
    """VERIFY with ``config``; with ``per_file``, each file's findings are chosen by its own configuration.

    With a cache, a run over files, configuration and checker that are all as they were last
    time gives last time's result (the project is judged as a whole, so any change re-judges it)."""
    key = _run_key(paths, config, per_file, parse_timeout) if cache is not None and not sources else None
    if key is not None and cache is not None:
        hit, stored = cache.lookup(key)
        if hit and isinstance(stored, RunResult):
            if progress is not None:
                progress.start(stored.files_scanned)
                progress.advance(stored.files_scanned)
            return stored
    from .verify import judge  # the analysis, the rules and libcst: only when the cache cannot answer

    result = judge(paths, config, sources, parse_timeout, cache, progress, per_file)
    if key is not None and cache is not None and not any(is_transient(e.message) for e in result.errors):
        cache.store(key, result)
    return result


def _run_key(
    paths: Sequence[Path], config: Config, per_file: FileConfigs | None, parse_timeout: float
) -> list[bytes] | None:
    """Everything a run's result depends on besides the checker's code (in the cache's salt):
    the paths as given and the working folder (reports name files as given, per-file ignores
    are relative), the configuration, and every file's bytes. None if a file cannot be read."""
    parts = [
        b"run",
        str(Path.cwd()).encode(),
        repr(config).encode(),
        repr(per_file).encode(),
        repr(parse_timeout).encode(),
    ]
    parts += [str(path).encode() for path in paths]
    for path in collect_files(paths, config.exclude):
        try:
            parts += [str(path).encode(), path.read_bytes()]
        except OSError:
            return None
    return parts
