"""``check(paths, options) -> Run``: the one way to run the checker.

The command line, the tests and any future server call this and nothing below it. It
resolves the configuration, runs one VERIFY pass (informative mode) or the bounded fix loop
(executive mode, with ``preview`` for ``--diff``), applies the baseline, finds the unused
suppressions, computes the metrics and decides the verdict, once. What to print and which
exit code follows is the caller's business.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .analysis.cache import FactsCache
from .analysis.files import collect_files
from .analysis.suppressions import find_unused
from .config import (
    Config,
    ConfigError,
    FileConfigs,
    NearestTables,
    check_project_wide,
    check_rule_ids,
    describe_source,
    load_config,
    with_overrides,
)
from .engine import run
from .fixes.loop import MAX_ROUNDS, execute, fixability, proposed_fixes
from .ftypes import FixReport, Metrics, Mode, Notes, Progress, Run, RunResult, Severity, UnusedSuppression, failed
from .registry import RULE_IDS, selected_ids
from .reports.baseline import Baseline

if TYPE_CHECKING:
    from .reports.model import Model


@dataclass(frozen=True, slots=True)
class Options:
    """How to check. Every field has the command line's default."""

    mode: Mode = "informative"
    unsafe_fixes: bool = False  # executive mode also applies the fixes labelled unsafe
    preview: bool = False  # executive mode computes the changes and writes no file (--diff)
    config: Config | None = None  # used as it is for every file; else config_file's, else each file's nearest table
    config_file: Path | None = None
    select: tuple[str, ...] = ()  # rule ids replacing the configuration's
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # patterns added to the configuration's
    fail_on: Severity | None = None
    baseline: Baseline | None = None  # report only what it does not record
    report_unused_suppressions: bool = False
    propose_fixes: bool = False  # each violation's fix in Run.proposals (SARIF shows them)
    session_id: str | None = None  # generated when absent
    cache: FactsCache | None = None
    progress: Progress | None = None
    max_rounds: int = MAX_ROUNDS


def _finish(config: Config, options: Options) -> Config:
    """A configuration checked against the registry, with the command line's overrides (which
    apply to every file's, as ruff's do).

    Unknown rule ids are refused here, against the registry, so that ``config`` need not
    import the rules (which read it)."""
    for key in ("select", "ignore"):
        try:
            check_rule_ids(key, getattr(config, key), RULE_IDS)
        except ConfigError as exc:
            raise ConfigError(f"{config.source}: {exc}" if config.source is not None else str(exc)) from None
    return with_overrides(
        config,
        select=options.select or None,
        ignore=options.ignore or None,
        fail_on=options.fail_on,
        exclude=options.exclude,
    )


def _nearest(targets: Sequence[Path], options: Options) -> FileConfigs:
    """Each checked file's configuration is the nearest table among its ancestors (ruff's rule).

    The first path's configuration is the project's: its ``exclude`` decides which files there
    are, before their own tables are known. Every table read — each path's and each file's —
    must then agree with it on the project-wide settings."""
    tables = NearestTables()
    loaded: dict[Path | None, tuple[Config, str]] = {}

    def config_of(path: Path) -> Config:
        pyproject = tables.pyproject_for(path)
        if pyproject not in loaded:
            loaded[pyproject] = (_finish(load_config(pyproject), options), describe_source(pyproject, path))
        return loaded[pyproject][0]

    project = config_of(targets[0])
    for target in targets[1:]:
        config_of(target)
    by_file = {file.resolve(): config_of(file) for file in collect_files(targets, project.exclude)}
    check_project_wide(loaded.values())
    # One table (or none) for everything, the usual case: nothing varies per file.
    return FileConfigs(project, by_file if len(loaded) > 1 else {})


def resolve_configs(targets: Sequence[Path], options: Options) -> FileConfigs:
    """``options.config`` or ``--config``'s file for every file (as ruff's ``--config``); otherwise
    each file's nearest ``[tool.publisher-check]``. The command line's overrides apply to all."""
    check_rule_ids("--select", options.select, RULE_IDS)
    check_rule_ids("--ignore", options.ignore, RULE_IDS)
    if options.config is not None:
        return FileConfigs(_finish(options.config, options))
    if options.config_file is not None:
        return FileConfigs(_finish(load_config(options.config_file), options))
    return _nearest(targets, options)


def _fix_report(targets: Sequence[Path], configs: FileConfigs, options: Options) -> FixReport:
    config = configs.project

    def verify(sources: Mapping[Path, bytes]) -> RunResult:
        return run(targets, config, sources, cache=options.cache, progress=options.progress, per_file=configs)

    if options.mode == "executive":
        return execute(
            verify,
            config,
            unsafe=options.unsafe_fixes,
            write=not options.preview,
            max_rounds=options.max_rounds,
            cache=options.cache,
        )
    # Informative mode: one pass; fixes are only tried in memory to tell which violations have one.
    result = verify({})
    return FixReport(
        initial=result,
        final=fixability(result, config, options.cache),
        rounds=0,
        fixes_applied=0,
        failures=(),
        converged=True,
        changes=(),
    )


def _unused(result: RunResult, targets: Sequence[Path], configs: FileConfigs) -> tuple[UnusedSuppression, ...]:
    """Each file's unused suppressions, judged by the rules its own configuration selects."""
    files = collect_files(targets, configs.project.exclude)
    groups: dict[int, tuple[Config, list[Path]]] = {}
    for file in files:
        config = configs.of(file)
        groups.setdefault(id(config), (config, []))[1].append(file)
    order = {file: index for index, file in enumerate(files)}
    unused = [
        found
        for config, group in groups.values()
        for found in find_unused(result, group, set(selected_ids(config)), RULE_IDS)
    ]
    return tuple(sorted(unused, key=lambda u: (order.get(u.path, len(order)), u.line, u.column)))


def show_model(paths: Sequence[Path], options: Options | None = None) -> Model:
    """The code model of ``paths`` (``--show-model``): each client's parts, delivery table and
    lifecycle, with their lines; paths shown relative to the working directory."""
    options = options or Options()
    targets = list(paths) or [Path(".")]
    config = resolve_configs(targets, options).project
    from .engine.verify import model  # the analysis: imported by the runs that need it

    return model(targets, config, cache=options.cache, progress=options.progress, root=Path.cwd())


def check(paths: Sequence[Path], options: Options | None = None) -> Run:
    """Check ``paths`` (default: the working directory); raises ConfigError, PathError or
    ValueError for what the caller asked wrongly, never for what it found in the files."""
    options = options or Options()
    started = time.perf_counter()
    targets = list(paths) or [Path(".")]
    configs = resolve_configs(targets, options)
    config = configs.project
    fixes = _fix_report(targets, configs, options)
    result = replace(fixes.final, errors=fixes.final.errors + fixes.write_errors)
    baselined: int | None = None
    if options.baseline is not None:
        result, baselined = options.baseline.filter(result)
        fixes = replace(fixes, initial=options.baseline.filter(fixes.initial)[0])  # the fix rate of new violations only
    notes = Notes(_unused(result, targets, configs) if options.report_unused_suppressions else None, baselined)
    metrics = Metrics(
        session_id=options.session_id or str(uuid.uuid4()),
        initial_violations=len(fixes.initial.violations),
        iterations=fixes.iterations,
        fixes_applied=fixes.fixes_applied,
        final_violations=len(result.violations),
        mode=options.mode,
        duration=time.perf_counter() - started,
        fixes_failed=len(fixes.failures),
        converged=fixes.converged,
    )
    return Run(
        result=result,
        fixes=fixes,
        metrics=metrics,
        notes=notes,
        fail_on=config.fail_on,
        failed=failed(result, config.fail_on),
        unsafe_fixes=options.unsafe_fixes,
        preview=options.preview,
        proposals=proposed_fixes(result, config) if options.propose_fixes else None,
    )
