"""VERIFY: files in, violations out. Errors are captured per file, never fatal.

1. Cheap byte-level screening picks the files that can hold a client or a builder; only
   those are parsed up front. Other modules are parsed on demand when a call, a base class
   or an import leads into them (the modules parsed ones import are read ahead), and every
   other file's syntax is checked in the background meanwhile.
2. Discovery builds the publisher view; every selected rule judges it; the background
   checks are collected.
3. Suppressions, per-file ignores and severities turn findings into violations.

``sources`` lets a caller (executive mode's fix loop) verify file contents it holds in
memory instead of what is on disk.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pathspec

from ..analysis.cache import FactsCache
from ..analysis.facts import ModuleFacts
from ..analysis.files import collect_files
from ..analysis.parsing import Outcome, ParserPool, Request
from ..analysis.project import Project, Publisher, discover, module_index
from ..config import Config, FileConfigs
from ..ftypes import FileError, Finding, Progress, RunResult, Violation
from ..registry import rules_by_id, selected_ids
from ..reports.model import Model, describe
from ..rule import Rule


def _pattern_regex(patterns: Iterable[str]) -> str:
    return "|".join(fnmatch.translate(p).removeprefix("(?s:").removesuffix(")\\Z") for p in patterns)


# A client reaches a queue, a thread or an HTTP call: its file names one of them.
_CLIENT_TOKENS = re.compile(
    rb"[Qq]ueue|[Tt]hread|deque|requests|urllib|httpx|http\.client|[Ss]ession|\.put(?:_nowait)?\(|\.append(?:left)?\(|\.submit\("
)
_BUILDER = re.compile(rb"def\s+build\s*\(")


def candidate_regex(config: Config) -> re.Pattern[bytes]:
    """Bytes that a file must contain to possibly hold a client class."""
    publish = _pattern_regex(config.publish_methods)
    # Entry points are also found by behaviour (a public method that puts on a queue), whatever their name.
    alternatives = [rf"def\s+(?:{publish})\s*\(", r"\.put(?:_nowait)?\(", r"deque\("]
    if config.client_classes:
        alternatives.append(rf"class\s+(?:{_pattern_regex(config.client_classes)})\b")
    return re.compile("|".join(alternatives).encode())


def is_candidate(source: bytes, screen: re.Pattern[bytes], config: Config) -> bool:
    if not screen.search(source):
        return False
    return bool(config.client_classes) or bool(_CLIENT_TOKENS.search(source))


def selected_rules(config: Config) -> list[Rule]:
    return [rules_by_id()[rule_id]() for rule_id in selected_ids(config)]


def _rules_to_run(config: Config, per_file: FileConfigs | None) -> list[Rule]:
    """The rules any file's configuration selects (each file's own selection is applied in ``to_violations``)."""
    if per_file is None:
        return selected_rules(config)
    chosen: dict[str, Rule] = {}
    for each in per_file.distinct():
        for rule in selected_rules(each):
            chosen.setdefault(rule.id, rule)
    return [chosen[rule_id] for rule_id in sorted(chosen)]


class Loader:
    """Reads and parses one module, recording failures instead of raising."""

    def __init__(
        self, pool: ParserPool, sources: Mapping[Path, bytes] | None = None, cache: FactsCache | None = None
    ) -> None:
        self.errors: dict[Path, FileError] = {}
        self.pool = pool
        self.cache = cache
        self.sources: Mapping[Path, bytes] = sources or {}
        self._later: dict[Path, Request] = {}  # the background syntax checks, for the cache
        # cache hits that screening and reading ahead found, for parse_many
        self._hits: dict[Path, tuple[Request, Outcome]] = {}

    def read(self, path: Path) -> bytes | None:
        if path in self.sources:
            return self.sources[path]
        try:
            return path.read_bytes()
        except OSError as exc:
            self.errors[path] = FileError(path, f"cannot read: {exc.strerror or exc}")
            return None

    def __call__(self, path: Path, module_name: str) -> ModuleFacts | None:
        source = self.read(path)
        return None if source is None else self.parse(path, module_name, source)

    def parse(self, path: Path, module_name: str, source: bytes) -> ModuleFacts | None:
        return self.parse_many([(path, module_name, source, False)]).get(path)

    def parse_many(self, requests: Sequence[Request]) -> dict[Path, ModuleFacts]:
        """Facts for the full requests; syntax-only requests just report errors. Cached by content."""
        outcomes: dict[Path, Outcome] = {}
        misses: list[Request] = []
        for request in requests:
            hit, outcome = self._cached(request)
            if hit:
                outcomes[request[0]] = outcome
            else:
                misses.append(request)
        fresh = self.pool.parse(misses)
        for request in misses:
            pickled = self.pool.take_pickled(request[0])
            if self.cache is not None:
                self.cache.put(*request, fresh[request[0]], pickled)
        outcomes.update(fresh)
        return self._record(outcomes)

    def parse_soon(self, request: Request) -> None:
        """Have this file's facts worked out by any idle worker now; ``parse_many`` collects them."""
        if not self._keep_cached(request):
            self.pool.read_ahead([request], keep_free=0)

    def _keep_cached(self, request: Request) -> bool:
        """Whether the cache holds this request's outcome; if so it is kept for ``parse_many``."""
        kept = self._hits.get(request[0])
        if kept is not None and kept[0] == request:
            return True
        hit, outcome = self.cache.get(*request) if self.cache is not None else (False, None)
        if hit:
            self._hits[request[0]] = (request, outcome)
        return hit

    def _cached(self, request: Request) -> tuple[bool, Outcome]:
        """The cache's answer for a request, read once: the kept one is handed over."""
        if self._keep_cached(request):
            return True, self._hits.pop(request[0])[1]
        return False, None

    def read_ahead(self, files: Sequence[tuple[Path, str]]) -> None:
        """Have the facts of modules discovery will likely load worked out in the background (or
        kept, if cached: each cache entry is read and unpickled once)."""
        requests: list[Request] = []
        for path, name in files:
            source = self.read(path)
            if source is not None and not self._keep_cached((path, name, source, False)):
                requests.append((path, name, source, False))
        self.pool.read_ahead(requests)

    def check_later(self, requests: Sequence[Request]) -> None:
        """Syntax-check these files in the background; ``finish`` records what went wrong."""
        misses = []
        for request in requests:
            hit, outcome = self.cache.get(*request) if self.cache is not None else (False, None)
            if hit:
                self._record({request[0]: outcome})
            else:
                misses.append(request)
        self._later = {request[0]: request for request in misses}
        self.pool.check_later(misses)

    def finish(self) -> None:
        """Wait for the background syntax checks and record their failures."""
        outcomes = self.pool.finish()
        if self.cache is not None:
            for path, outcome in outcomes.items():
                self.cache.put(*self._later[path], outcome)
        self._record(outcomes)

    def _record(self, outcomes: Mapping[Path, Outcome]) -> dict[Path, ModuleFacts]:
        parsed: dict[Path, ModuleFacts] = {}
        for path, outcome in outcomes.items():
            if isinstance(outcome, str):
                self.errors[path] = FileError(path, f"cannot parse: {outcome}")
            elif outcome is not None:
                parsed[path] = outcome
        return parsed


def _per_file_ignored(config: Config) -> list[tuple[pathspec.GitIgnoreSpec, set[str]]]:
    return [
        (pathspec.GitIgnoreSpec.from_lines([pattern]), {r.upper() for r in ids})
        for pattern, ids in config.per_file_ignores.items()
    ]


def _relative_to_config(path: Path, config: Config) -> str:
    base = config.per_file_ignores_root or (config.source.parent if config.source is not None else Path.cwd())
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def to_violations(
    findings: Sequence[tuple[Rule, Finding]],
    modules: dict[Path, ModuleFacts],
    config: Config,
    suppressed: set[tuple[Path, int, str]] | None = None,
    per_file: FileConfigs | None = None,
) -> list[Violation]:
    """Findings that survive suppressions and per-file ignores; ``suppressed`` collects the others.

    With ``per_file``, each finding is judged by its own file's configuration: a rule that file
    does not select drops it (before suppressions, which then did not silence it), and the
    per-file ignores are that configuration's, relative to its folder."""
    ignores: dict[int, list[tuple[pathspec.GitIgnoreSpec, set[str]]]] = {}
    chosen: dict[int, set[str]] = {}
    violations: dict[tuple[Path, int, int, str], Violation] = {}
    for rule, finding in findings:
        own = per_file.of(finding.path) if per_file is not None else config
        if per_file is not None:
            if id(own) not in chosen:
                chosen[id(own)] = set(selected_ids(own))
            if rule.id not in chosen[id(own)]:
                continue
        facts = modules.get(finding.path)
        if facts is not None:
            ids = dict(facts.suppressions).get(finding.line)
            if ids is not None and (not ids or rule.id in ids):
                if suppressed is not None:
                    suppressed.add((finding.path, finding.line, rule.id))
                continue
        if id(own) not in ignores:
            ignores[id(own)] = _per_file_ignored(own)
        per_file_ignored = ignores[id(own)]
        if per_file_ignored:
            relative = _relative_to_config(finding.path, own)
            if any(spec.match_file(relative) and (rule.id in ids or "ALL" in ids) for spec, ids in per_file_ignored):
                continue
        key = (finding.path, finding.line, finding.column, rule.id)
        violations.setdefault(
            key,
            Violation(
                finding.path,
                finding.line,
                finding.column,
                rule.id,
                rule.check,
                finding.message,
                rule.severity,
                rule.fix_safety if rule.fixable else None,  # whether this one has a fix is for fixability to say
            ),
        )
    return sorted(violations.values(), key=lambda v: (v.path.as_posix(), v.line, v.column, v.rule))


def _discover(
    paths: Sequence[Path],
    config: Config,
    pool: ParserPool,
    sources: Mapping[Path, bytes] | None,
    cache: FactsCache | None,
    progress: Progress | None,
) -> tuple[list[Path], Loader, Project, list[Publisher]]:
    """SCOPE, screen, parse, discover: the project view and the publishers found in it."""
    files = collect_files(paths, config.exclude)
    if progress is not None:
        progress.start(len(files))
    index = module_index(files, paths)
    screen = candidate_regex(config)
    loader = Loader(pool, sources, cache)
    project = Project(index, loader, config, loader.read, between=pool.pump, ahead=loader.read_ahead)
    candidates: list[Request] = []
    others: list[Request] = []
    builders: list[Request] = []
    for name, path in index.items():
        source = loader.read(path)
        if source is None:
            if progress is not None:
                progress.advance()
            continue
        candidate = is_candidate(source, screen, config)
        # Every file is at least compiled, so a syntax error anywhere is reported: the others
        # in the background while discovery works (``Loader.finish`` collects them).
        (candidates if candidate else others).append((path, name, source, not candidate))
        if candidate:
            loader.parse_soon(candidates[-1])  # the workers start on it while the screening goes on
        elif _BUILDER.search(source):
            builders.append((path, name, source, False))
    rules_by_id()  # the rules (and libcst) are imported while the workers parse the candidates
    for facts in loader.parse_many(candidates).values():
        project.add(facts)
    loader.check_later(others)
    publishers = discover(project)
    if publishers and builders:
        # Builders matter only once there is a client to build.
        for facts in loader.parse_many(
            [b for b in builders if b[0] not in loader.errors and not project.is_parsed(b[0])]
        ).values():
            project.add(facts)
    return files, loader, project, publishers


def model(
    paths: Sequence[Path],
    config: Config,
    *,
    cache: FactsCache | None = None,
    progress: Progress | None = None,
    root: Path | None = None,
) -> Model:
    """The code model the rules would judge (``--show-model``), described while the parsers still run:
    describing a client may lead into modules not parsed yet."""
    with ParserPool(on_done=progress.advance if progress is not None else None) as pool:
        _files, _loader, _project, publishers = _discover(paths, config, pool, None, cache, progress)
        return describe(publishers, root)


def judge(
    paths: Sequence[Path],
    config: Config,
    sources: Mapping[Path, bytes] | None,
    parse_timeout: float,
    cache: FactsCache | None,
    progress: Progress | None,
    per_file: FileConfigs | None,
) -> RunResult:
    with ParserPool(timeout=parse_timeout, on_done=progress.advance if progress is not None else None) as pool:
        files, loader, project, publishers = _discover(paths, config, pool, sources, cache, progress)
        findings: list[tuple[Rule, Finding]] = []
        for publisher in publishers:
            for rule in _rules_to_run(config, per_file):
                findings.extend((rule, finding) for finding in rule.evaluate(publisher))
                pool.pump()
        loader.finish()
    modules = {facts.path: facts for facts in project.modules.values()}
    suppressed: set[tuple[Path, int, str]] = set()
    violations = to_violations(findings, modules, config, suppressed, per_file)
    return RunResult(
        violations=tuple(violations),
        errors=tuple(sorted(loader.errors.values(), key=lambda e: e.path.as_posix())),
        files_scanned=len(files),
        publisher_found=bool(publishers),
        clients=tuple(sorted({f"{p.clients[0].klass.module.path.as_posix()}:{p.clients[0].name}" for p in publishers})),
        suppressed=tuple(sorted(suppressed, key=lambda s: (s[0].as_posix(), s[1], s[2]))),
    )
