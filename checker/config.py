"""``[tool.publisher-check]`` discovery, validation and defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .ftypes import Severity

DEFAULT_PUBLISH_METHODS: tuple[str, ...] = (
    "publish",
    "publish_*",
    "track",
    "capture",
    "capture_*",
    "emit",
    "enqueue",
    "submit",
    "send_event",
    "log_event",
)
DEFAULT_FLUSH_METHODS: tuple[str, ...] = ("flush", "*_flush", "flush_*")  # force_flush, flush_all …
DEFAULT_CLOSE_METHODS: tuple[str, ...] = ("close", "shutdown", "stop", "terminate")
DEFAULT_HANDLER_METHODS: tuple[str, ...] = ("on",)
DEFAULT_QUEUE_SIZE = 10_000  # the reference publisher's default max_queue_size
DEFAULT_CALLBACK_TIMEOUT = 5.0  # seconds; the reference's on_error(..., timeout=5.0)


class ConfigError(ValueError):
    """A configuration problem the user must fix; the message names the key."""


@dataclass(frozen=True, slots=True)
class Config:
    publish_methods: tuple[str, ...] = DEFAULT_PUBLISH_METHODS
    client_classes: tuple[str, ...] = ()
    flush_methods: tuple[str, ...] = DEFAULT_FLUSH_METHODS
    close_methods: tuple[str, ...] = DEFAULT_CLOSE_METHODS
    handler_methods: tuple[str, ...] = DEFAULT_HANDLER_METHODS
    send_methods: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    fail_on: Severity = Severity.LOW
    default_queue_size: int = DEFAULT_QUEUE_SIZE  # PUB003's fix: the maxsize given to an unbounded queue
    callback_timeout: float = DEFAULT_CALLBACK_TIMEOUT  # PUB010's fix: the timeout given to a callback wait
    source: Path | None = None
    # The folder per_file_ignores are relative to: that of the table that set them (an extended
    # one's, for inherited patterns); None: source's folder, or the working directory.
    per_file_ignores_root: Path | None = None


def _strings(key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"[tool.publisher-check] {key} must be a list of strings")


def _per_file_ignores(value: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ConfigError("[tool.publisher-check] per-file-ignores must be a table of pattern = [rule ids]")
    return {str(pattern): _strings(f"per-file-ignores.{pattern}", ids) for pattern, ids in value.items()}


def _fail_on(value: object) -> Severity:
    if not isinstance(value, str):
        raise ConfigError("[tool.publisher-check] fail-on must be a string")
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise ConfigError(f"[tool.publisher-check] fail-on: {exc}") from None


def _positive(key: str, value: object, kind: type[int] | type[float]) -> int | float:
    # bool is an int subclass: `default-queue-size = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int) or value <= 0:
        what = "a positive integer" if kind is int else "a positive number"
        raise ConfigError(f"[tool.publisher-check] {key} must be {what}, not {value!r}")
    return kind(value)


_LIST_KEYS: dict[str, str] = {
    "publish-methods": "publish_methods",
    "client-classes": "client_classes",
    "flush-methods": "flush_methods",
    "close-methods": "close_methods",
    "handler-methods": "handler_methods",
    "send-methods": "send_methods",
    "select": "select",
    "ignore": "ignore",
    "exclude": "exclude",
}
KNOWN_KEYS: frozenset[str] = frozenset(_LIST_KEYS) | {
    "per-file-ignores",
    "fail-on",
    "default-queue-size",
    "callback-timeout",
    "extend",
}
# Each file takes these from its own nearest table: they only choose which findings are reported.
PER_FILE_KEYS: tuple[str, ...] = ("select", "ignore", "per-file-ignores")
# The rest shape the one whole-project analysis (discovery, the files in it, the fixes) or the
# run's one verdict, so every table a run reads must agree on them.
PROJECT_WIDE_KEYS: tuple[str, ...] = tuple(sorted(KNOWN_KEYS - {*PER_FILE_KEYS, "extend"}))


def config_from_table(table: Mapping[str, object], source: Path | None = None, base: Config | None = None) -> Config:
    """The configuration ``table`` describes: its keys on top of ``base`` (an extended table's), else
    of the defaults. ``extend`` itself is read by ``load_config``."""
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        where = f" in {source}" if source else ""
        raise ConfigError(
            f"unknown key [tool.publisher-check] {unknown[0]!r}{where} (known keys: {', '.join(sorted(KNOWN_KEYS))})"
        )
    values: dict[str, object] = {"source": source}
    for key, attr in _LIST_KEYS.items():
        if key in table:
            values[attr] = _strings(key, table[key])
    if "per-file-ignores" in table:
        values["per_file_ignores"] = _per_file_ignores(table["per-file-ignores"])
        values["per_file_ignores_root"] = source.parent if source is not None else None
    if "fail-on" in table:
        values["fail_on"] = _fail_on(table["fail-on"])
    if "default-queue-size" in table:
        values["default_queue_size"] = _positive("default-queue-size", table["default-queue-size"], int)
    if "callback-timeout" in table:
        values["callback_timeout"] = _positive("callback-timeout", table["callback-timeout"], float)
    return replace(base, **values) if base is not None else Config(**values)  # type: ignore[arg-type]


def check_rule_ids(key: str, ids: Iterable[str], known: Collection[str]) -> None:
    """Refuse an id in ``select``/``ignore`` (``key`` names where it came from) that is no rule.

    The ids are checked against ``known`` by the caller (``api``), so that this module, which
    every rule reads, does not import the rules."""
    for rule_id in ids:
        if rule_id.upper() not in known and rule_id.upper() != "ALL":
            raise ConfigError(f"{key}: unknown rule id {rule_id!r}")


def _configures(pyproject: Path) -> bool:
    """Whether ``pyproject`` has a ``[tool.publisher-check]`` table (one it cannot read counts:
    ``load_config`` then says what is wrong with it)."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    tool = data.get("tool")
    return isinstance(tool, dict) and "publisher-check" in tool


def folder_of(path: Path) -> Path:
    """The resolved folder whose tables configure ``path`` (a folder itself, or a file's folder)."""
    here = path.resolve()
    return here if here.is_dir() else here.parent


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` with a ``[tool.publisher-check]`` table
    (as ruff skips a pyproject.toml without ``[tool.ruff]``)."""
    return NearestTables().pyproject_for(start)


class NearestTables:
    """Which pyproject.toml configures each folder, each folder's answer remembered, so that the
    files of one folder (and the folders on the way up) are looked up once."""

    def __init__(self) -> None:
        self._found: dict[Path, Path | None] = {}

    def pyproject_for(self, path: Path) -> Path | None:
        walked: list[Path] = []
        found: Path | None = None
        for here in (start := folder_of(path), *start.parents):
            if here in self._found:
                found = self._found[here]
                break
            walked.append(here)
            candidate = here / "pyproject.toml"
            if candidate.is_file() and _configures(candidate):
                found = candidate
                break
        for here in walked:
            self._found[here] = found
        return found


def load_config(pyproject: Path | None) -> Config:
    """The table of ``pyproject`` (the defaults when None, or when it has no table), on top of the
    file its ``extend`` names: as in ruff, the one way two tables are merged."""
    return Config() if pyproject is None else _load(pyproject, ())


def _read_table(pyproject: Path) -> Mapping[str, object] | None:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {pyproject}: {exc}") from None
    tool = data.get("tool", {})
    table = tool.get("publisher-check") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.publisher-check] in {pyproject} must be a table")
    return table


def _load(pyproject: Path, extended_by: tuple[Path, ...]) -> Config:
    table = _read_table(pyproject)
    if table is None:
        return Config(source=None)
    base = _extended(pyproject, table["extend"], extended_by) if "extend" in table else None
    try:
        return config_from_table({k: v for k, v in table.items() if k != "extend"}, source=pyproject, base=base)
    except ConfigError as exc:  # with several tables in a run, say which one is wrong
        raise ConfigError(str(exc) if str(pyproject) in str(exc) else f"{pyproject}: {exc}") from None


def _extended(pyproject: Path, extend: object, extended_by: tuple[Path, ...]) -> Config:
    """The configuration ``extend`` (relative to ``pyproject``'s folder, as ruff's) names."""
    if not isinstance(extend, str) or not extend.strip():
        raise ConfigError(f"{pyproject}: [tool.publisher-check] extend must be the path of a pyproject.toml")
    target = Path(os.path.normpath(pyproject.parent / Path(extend).expanduser()))  # "a/b/../../x": "x"
    chain = (*extended_by, pyproject)
    if target.resolve() in {p.resolve() for p in chain}:
        raise ConfigError(f"{pyproject}: extend goes round in a circle: {' -> '.join(map(str, (*chain, target)))}")
    if not target.is_file():
        raise ConfigError(f"{pyproject}: extend = {extend!r} names no file ({target})")
    return _load(target, chain)


@dataclass(frozen=True, slots=True)
class FileConfigs:
    """A run's configurations, as ruff resolves them: each checked file takes its rule selection
    (``PER_FILE_KEYS``) from its own nearest table; ``project`` holds the settings the one
    whole-project analysis and the verdict use, and serves any file not in ``by_file``."""

    project: Config
    by_file: Mapping[Path, Config] = field(default_factory=dict)  # resolved path -> its configuration

    def of(self, path: Path) -> Config:
        return self.by_file.get(path.resolve(), self.project) if self.by_file else self.project

    def distinct(self) -> list[Config]:
        """Each configuration once, the project's first (by identity: per-file-ignores, a dict,
        make a Config unhashable)."""
        seen: dict[int, Config] = {id(self.project): self.project}
        for config in self.by_file.values():
            seen.setdefault(id(config), config)
        return list(seen.values())


def describe_source(pyproject: Path | None, path: Path) -> str:
    """How an error names a configuration: its file, or the defaults ``path`` fell back to."""
    return (
        str(pyproject)
        if pyproject is not None
        else f"the defaults of {path} (no [tool.publisher-check] at or above it)"
    )


def check_project_wide(configs: Iterable[tuple[Config, str]]) -> None:
    """Refuse configurations (each with how to name it) that disagree on a project-wide setting:
    one run is one analysis of the whole project, which cannot follow two values."""
    described = list(configs)
    if not described:
        return
    first, first_name = described[0]
    for config, name in described[1:]:
        differ = [key for key in PROJECT_WIDE_KEYS if getattr(config, _attr(key)) != getattr(first, _attr(key))]
        if differ:
            raise ConfigError(
                f"{first_name} and {name} disagree on {', '.join(differ)}: project-wide settings (one analysis for "
                "the whole run) must be the same in both; or check them in separate runs, or choose one file with --config"
            )


def _attr(key: str) -> str:
    return key.replace("-", "_")


def with_overrides(
    config: Config,
    *,
    select: tuple[str, ...] | None = None,
    ignore: tuple[str, ...] | None = None,
    fail_on: Severity | None = None,
    exclude: tuple[str, ...] = (),
) -> Config:
    """Command-line options replace the file's values (``exclude`` extends them)."""
    changes: dict[str, object] = {}
    if select:
        changes["select"] = select
    if ignore:
        changes["ignore"] = ignore
    if fail_on is not None:
        changes["fail_on"] = fail_on
    if exclude:
        changes["exclude"] = config.exclude + exclude
    return replace(config, **changes)  # type: ignore[arg-type]
