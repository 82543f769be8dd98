"""The content-hashed parse cache: same answers warm and cold, invalidated by edits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher_check import engine
from publisher_check.analysis import cache as cache_module
from publisher_check.cli.check import main

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


def test_entries_written_with_other_facts_fields_are_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change to the facts' fields (a new index on ModuleFacts) makes a cold cache by itself:
    an entry pickled with the old fields would come back as an object missing attributes."""
    assert "ModuleFacts:path,module," in cache_module._facts_shape()
    source = (FIXTURES / "sample" / "audit_events" / "client.py").read_bytes()
    request = (Path("client.py"), "client", source, True)
    cache_module.FactsCache(tmp_path).put(*request, None)
    assert cache_module.FactsCache(tmp_path).get(*request) == (True, None)
    monkeypatch.setattr(cache_module, "_facts_shape", lambda: "ModuleFacts:path,module,another_field")
    assert cache_module.FactsCache(tmp_path).get(*request) == (False, None)


def test_an_unchanged_run_is_answered_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same files, same configuration, same checker: last run's result, nothing judged again;
    any change (here the rule selection, then a file) judges the project again."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "sample", project)
    cache = tmp_path / "cache"
    cold = report(project, "--cache-dir", cache)
    judged: list[object] = []
    real = engine._judge
    monkeypatch.setattr(engine, "_judge", lambda *args: judged.append(args) or real(*args))
    assert report(project, "--cache-dir", cache) == cold
    assert judged == []
    narrower = report(project, "--cache-dir", cache, "--ignore", "PUB017")
    assert len(judged) == 1 and all(v["rule"] != "PUB017" for v in narrower["violations"])
    client = project / "audit_events" / "client.py"
    client.write_text(client.read_text() + "\n\ndef extra(x):\n    return x\n")
    report(project, "--cache-dir", cache)
    assert len(judged) == 2
