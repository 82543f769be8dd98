"""The content-hashed parse cache: same answers warm and cold, invalidated by edits."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher_check.analysis import cache as cache_module
from publisher_check.cli.check import main
from publisher_check.engine import verify

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def report(*args: str | Path) -> dict[str, object]:
    result = CliRunner().invoke(main, [str(a) for a in args] + ["--format", "json", "--session-id", "s"])
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    data["metrics"].pop("duration")
    return data


def test_warm_run_reports_exactly_what_the_cold_run_did(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = report(FIXTURES / "sample", "--cache-dir", cache)
    entries = list(cache.rglob("*"))
    assert any(p.is_file() for p in entries)
    assert report(FIXTURES / "sample", "--cache-dir", cache) == cold
    assert report(FIXTURES / "sample", "--no-cache") == cold


def test_an_edited_file_is_parsed_again(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    source = (
        "import queue\n\n\nclass Client:\n    def __init__(self) -> None:\n"
        "        self._q: queue.Queue[dict] = queue.Queue(maxsize=10)\n\n"
        "    def publish(self, event: dict) -> None:\n        self._q.put_nowait(event)\n"
    )
    (project / "client.py").write_text(source, encoding="utf-8")
    cache = tmp_path / "cache"
    before = report(project, "--cache-dir", cache, "--select", "PUB003")
    assert before["violations"] == []
    (project / "client.py").write_text(source.replace("maxsize=10", "maxsize=0"), encoding="utf-8")
    after = report(project, "--cache-dir", cache, "--select", "PUB003")
    assert [v["rule"] for v in after["violations"]] == ["PUB003"]


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    report(FIXTURES / "sample", "--no-cache", "--cache-dir", cache)
    assert not cache.exists()


def test_the_checker_fingerprint_follows_every_byte_of_its_modules(tmp_path: Path) -> None:
    """Another build of the checker (a new field on the facts, another rule) never reads this
    build's entries: its modules' bytes are in the key, so even an edit that keeps a module's
    size and modification time (a copy that preserves them) makes a cold cache."""
    package = tmp_path / "package"
    (package / "analysis").mkdir(parents=True)
    facts = package / "analysis" / "facts.py"
    facts.write_text("FIELDS = ('path', 'module')\n")
    (package / "engine.py").write_text("RUN = 1\n")
    before = cache_module.code_fingerprint([package])
    stat = facts.stat()
    facts.write_text("FIELDS = ('path', 'modul3')\n")
    os.utime(facts, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert facts.stat().st_size == stat.st_size and facts.stat().st_mtime_ns == stat.st_mtime_ns
    assert cache_module.code_fingerprint([package]) != before
    assert cache_module.code_fingerprint([package]) == cache_module.code_fingerprint([package])
    checker = cache_module.checker_folders()
    assert any((folder / "analysis" / "facts.py").is_file() for folder in checker), "the facts are fingerprinted"
    assert any((folder / "pub005_daemon_worker.py").is_file() for folder in checker), "so are the rules"


def test_entries_written_by_another_build_are_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = (FIXTURES / "sample" / "audit_events" / "client.py").read_bytes()
    request = (Path("client.py"), "client", source, True)
    cache_module.FactsCache(tmp_path).put(*request, None)
    assert cache_module.FactsCache(tmp_path).get(*request) == (True, None)
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda folders: "another build")
    assert cache_module.FactsCache(tmp_path).get(*request) == (False, None)


def test_an_unchanged_run_is_answered_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same files, same configuration, same checker: last run's result, nothing judged again;
    any change (here the rule selection, then a file) judges the project again."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "sample", project)
    cache = tmp_path / "cache"
    cold = report(project, "--cache-dir", cache)
    judged: list[object] = []
    real = verify.judge
    monkeypatch.setattr(verify, "judge", lambda *args: judged.append(args) or real(*args))
    assert report(project, "--cache-dir", cache) == cold
    assert judged == []
    narrower = report(project, "--cache-dir", cache, "--ignore", "PUB017")
    assert len(judged) == 1 and all(v["rule"] != "PUB017" for v in narrower["violations"])
    client = project / "audit_events" / "client.py"
    client.write_text(client.read_text() + "\n\ndef extra(x):\n    return x\n")
    report(project, "--cache-dir", cache)
    assert len(judged) == 2


_LOADED_AFTER_A_RUN = """
import json, sys
from publisher_check.cli.entry import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = ("libcst", "publisher_check.analysis.project", "publisher_check.rules", "publisher_check.fixes.codemods")
print(json.dumps([name for name in heavy if name in sys.modules]), file=sys.stderr)
"""


@pytest.mark.parametrize("output_format", ["text", "json", "github"])  # SARIF describes every rule: it loads them
def test_a_run_answered_from_the_cache_loads_no_analysis(tmp_path: Path, output_format: str) -> None:
    """What makes a warm run cheap: it reads and hashes the files, finds last run's result and
    prints it, without importing the analysis, the rules or libcst (a fifth of a second)."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "sample", project)
    command = [sys.executable, "-c", _LOADED_AFTER_A_RUN, str(project), "--cache-dir", str(tmp_path / "cache")]
    command += ["--format", output_format]
    cold = subprocess.run(command, capture_output=True, text=True, check=True)
    warm = subprocess.run(command, capture_output=True, text=True, check=True)
    loaded_cold = json.loads(cold.stderr.splitlines()[-1])
    assert "libcst" in loaded_cold and "publisher_check.analysis.project" in loaded_cold, "the cold run did the work"
    assert warm.stdout.replace("\n", "") and _without_session(warm.stdout) == _without_session(cold.stdout)
    assert json.loads(warm.stderr.splitlines()[-1]) == []


def _without_session(output: str) -> str:
    output = re.sub(r'"duration": [0-9.e-]+', '"duration": 0', output)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<session>", output)


def test_a_partly_warm_run_reads_each_cached_entry_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Screening and reading ahead find cached facts; parsing then uses them, not a second read."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "sample", project)
    cache = tmp_path / "cache"
    cold = report(project, "--cache-dir", cache)
    extra = project / "notes.py"
    extra.write_text("NOTE = 1\n", encoding="utf-8")  # the whole-run cache misses, the files' entries hit
    reads: list[tuple[Path, object]] = []
    real_get = cache_module.FactsCache.get

    def counting_get(self: cache_module.FactsCache, path: Path, *args: object) -> object:
        reads.append((path, args[-1]))  # a file has two entries: its facts and its syntax check
        return real_get(self, path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(cache_module.FactsCache, "get", counting_get)
    warm = report(project, "--cache-dir", cache)
    assert warm["violations"] == cold["violations"]
    assert reads and len(reads) == len(set(reads))
