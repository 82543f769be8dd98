"""The checker reads target code and never runs it; it writes only the files it was asked to
fix (and its own cache), and does not follow symlinks out of the paths it was given.

Every hostile file below would leave a marker outside the project (and then stop the
interpreter) if anything imported or executed it; the markers must never appear, while the
run still checks, and in executive mode fixes, the project.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher_check.analysis.cache import FactsCache
from publisher_check.analysis.parsing import parse_one
from publisher_check.api import Options, check
from publisher_check.cli.check import main
from publisher_check.config import Config
from publisher_check.engine import run

# A client with violations that safe and unsafe fixes repair: an unbounded queue (PUB003), a
# blocking put (PUB004), a non-daemon worker (PUB005), no context manager (PUB011), a flush
# that polls (PUB012, unsafe) and a mutable model (PUB016, unsafe).
CLIENT = '''\
import queue
import threading
import time
from dataclasses import dataclass


@dataclass
class Event:
    name: str


class Client:
    def __init__(self) -> None:
        self._queue: queue.Queue[Event] = queue.Queue()
        self._worker = threading.Thread(target=self._run)
        self._worker.start()

    def publish(self, event: Event) -> None:
        self._queue.put(event)

    def flush(self) -> None:
        while not self._queue.empty():
            time.sleep(0.01)

    def close(self) -> None:
        self.flush()

    def _run(self) -> None:
        while True:
            self._queue.get()
            self._queue.task_done()
'''


def hostile(marker: Path, name: str) -> str:
    """Code that records ``name`` in ``marker`` and then stops the interpreter."""
    return (
        f"import pathlib\n"
        f"with pathlib.Path({str(marker)!r}).open('a') as _marker:\n"
        f"    _marker.write({name!r} + '\\n')\n"
        f"raise SystemExit(3)\n"
    )


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def hostile_project(root: Path, marker: Path) -> Path:
    """A package whose every importable, runnable or build-hook file would leave the marker."""
    project = root / "project"
    for name in (
        "conftest.py", "setup.py", "noxfile.py", "sitecustomize.py", "usercustomize.py", "build_backend.py",
        "queue.py", "threading.py", "dataclasses.py", "libcst.py", "marker_codec.py",
        "pkg/__init__.py", "pkg/__main__.py", "pkg/models.py", "tests/conftest.py", "tests/test_client.py",
    ):
        write(project / name, hostile(marker, name))
    # The client module itself runs hostile code at import, after the publisher it defines.
    write(project / "pkg/client.py", CLIENT + "\n\n" + hostile(marker, "pkg/client.py"))
    # A coding cookie naming a module of the project: decoding must not look for it there.
    write(project / "pkg/cookie.py", "# -*- coding: marker_codec -*-\nx = 1\n")
    # A build backend in the tree: the checker reads pyproject.toml, it never builds anything.
    write(
        project / "pyproject.toml",
        '[build-system]\nrequires = []\nbuild-backend = "build_backend"\nbackend-path = ["."]\n\n'
        '[tool.publisher-check]\nselect = ["ALL"]\n',
    )
    return project


def fixed(project: Path) -> str:
    return (project / "pkg/client.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("mode", ["inform", "execute"])
def test_target_code_is_never_imported_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    marker = tmp_path / "marker"
    project = hostile_project(tmp_path, marker)
    monkeypatch.chdir(project)  # the project's modules shadow stdlib names from here
    monkeypatch.syspath_prepend(str(project))  # and even if the tree were importable
    report = check([Path(".")], Options(config=Config())).fixes if mode == "inform" else check([Path(".")], Options(config=Config(), mode="executive", unsafe_fixes=True)).fixes
    assert not marker.exists(), f"target code ran: {marker.read_text()}"
    assert report.initial.publisher_found and report.initial.clients == ("pkg/client.py:Client",)
    assert [(e.path.as_posix(), "cannot parse" in e.message) for e in report.final.errors] == [("pkg/cookie.py", True)]
    if mode == "execute":
        assert {c.path.as_posix() for c in report.changes} == {"pkg/client.py"}
        assert "queue.Queue(maxsize=10000)" in fixed(project) and "@dataclass(frozen=True)" in fixed(project)


def console_script() -> Path:
    script = Path(sys.executable).with_name("publisher-check")
    if not script.exists():
        pytest.skip("publisher-check console script not installed next to this interpreter")
    return script


@pytest.mark.parametrize("args", [[], ["--fix", "--unsafe-fixes"]], ids=["informative", "executive"])
def test_target_code_is_never_run_by_the_command(tmp_path: Path, args: list[str]) -> None:
    """The way a pre-commit hook or CI runs it: the console script, from the project's root."""
    marker = tmp_path / "marker"
    project = hostile_project(tmp_path, marker)
    env = {**os.environ, "PUBLISHER_CHECK_CACHE_DIR": str(tmp_path / "cache")}
    completed = subprocess.run(
        [str(console_script()), ".", "--format", "json", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert not marker.exists(), f"target code ran: {marker.read_text()}"
    assert completed.returncode == 1, completed.stderr
    report = json.loads(completed.stdout)
    assert {v["file"] for v in report["violations"]} == {"pkg/client.py"}
    if args:
        assert report["metrics"]["fixesApplied"] > 0 and "queue.Queue(maxsize=10000)" in fixed(project)


def tree(root: Path) -> dict[str, tuple[str, bytes | str, int]]:
    """Every entry under ``root`` (hidden ones included): kind, content or link target, mtime."""
    entries: dict[str, tuple[str, bytes | str, int]] = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            key = path.relative_to(root).as_posix()
            info = path.lstat()
            if path.is_symlink():
                entries[key] = ("link", os.readlink(path), info.st_mtime_ns)
            elif path.is_dir():
                entries[key] = ("dir", b"", 0)  # a folder's mtime changes with its entries: compared through them
            else:
                entries[key] = ("file", path.read_bytes(), info.st_mtime_ns)
    return entries


def workspace(root: Path) -> Path:
    """A project next to a sibling and a folder outside, each holding a fixable publisher."""
    for name in ("project/pkg/client.py", "sibling/client.py", "outside/client.py", "outside/pkg/deep.py"):
        write(root / name, CLIENT)
    write(root / "project/pkg/__init__.py", "")
    write(root / "project/README.md", "not Python\n")
    os.symlink(root / "outside" / "client.py", root / "project" / "linked.py")  # a file link out
    os.symlink(root / "outside", root / "project" / "escape")  # a folder link out
    os.symlink(root / "project", root / "project" / "pkg" / "loop")  # a loop
    os.symlink(root / "sibling" / "client.py", root / "outside" / "back.py")  # only reachable through escape/
    return root / "project"


@pytest.mark.parametrize(
    ("args", "cache"),
    [
        ([], "env"),
        (["--diff", "--unsafe-fixes"], "env"),
        (["--fix", "--unsafe-fixes"], "env"),
        (["--fix", "--unsafe-fixes"], "xdg"),
    ],
    ids=["informative", "diff", "executive", "executive-default-cache"],
)
def test_only_the_given_files_and_the_cache_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], cache: str
) -> None:
    """A snapshot of the whole workspace around the project, before and after: the run writes
    the fixed files of the project, its cache (where PUBLISHER_CHECK_CACHE_DIR, or without it
    XDG_CACHE_HOME, says: the suite's conftest points the former to a temporary folder), and
    nothing else — no temporary file, no __pycache__, nothing through a link out of the tree."""
    workspace(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if cache == "env":
        monkeypatch.setenv("PUBLISHER_CHECK_CACHE_DIR", str(tmp_path / "cache"))
        cache_dir = tmp_path / "cache"
    else:
        monkeypatch.delenv("PUBLISHER_CHECK_CACHE_DIR", raising=False)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        cache_dir = tmp_path / "xdg" / "publisher-check"
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)

    result = CliRunner().invoke(main, ["project", *args, "--format", "text"])
    assert result.exit_code == 1, result.output

    after = tree(tmp_path)
    cache_prefix = cache_dir.relative_to(tmp_path).as_posix() + "/"
    created = {k for k in after.keys() - before.keys() if not (k + "/").startswith(cache_prefix)}
    created -= {p.relative_to(tmp_path).as_posix() for p in cache_dir.parents if p.is_relative_to(tmp_path)}
    assert created == set(), "nothing is created outside the cache"
    assert before.keys() - after.keys() == set(), "nothing is deleted"
    assert any(k.startswith(cache_prefix) and after[k][0] == "file" for k in after), "the cache was used"
    changed = {k for k in before if before[k] != after[k]}
    if "--fix" in args:
        assert changed == {"project/pkg/client.py"}
        compile(after["project/pkg/client.py"][1], "client.py", "exec", dont_inherit=True)
    else:
        assert changed == set()
    # What is behind the links out of the tree is neither reported nor touched.
    assert "linked.py" not in result.output and "escape" not in result.output and "outside" not in result.output
    assert "project/pkg/client.py" in result.output


def test_executive_mode_leaves_what_links_point_to_outside_the_tree(tmp_path: Path) -> None:
    project = workspace(tmp_path)
    outside = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (tmp_path / "outside").rglob("*.py")}
    report = check([project], Options(config=Config(), mode="executive", unsafe_fixes=True)).fixes
    assert [c.path for c in report.changes] == [project / "pkg" / "client.py"]
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in outside} == outside
    seen = {v.path for v in report.initial.violations} | {e.path for e in report.initial.errors}
    assert seen == {project / "pkg" / "client.py"}
    assert (project / "linked.py").is_symlink() and (project / "escape").is_symlink()
    assert run([project], Config()).clients == (f"{(project / 'pkg' / 'client.py').as_posix()}:Client",)


class _RunsCode:
    """Unpickling this runs code: what a cache folder planted in a repository could hold."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (f"open({str(self.marker)!r}, 'w').write('cache entry ran')",))


def test_a_planted_cache_entry_is_never_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A project may keep its cache in the tree (``--cache-dir .publisher-check-cache``, a folder
    the file walk skips for that reason), and a CI may restore one from a shared cache: either
    way its entries come from someone else. Their keys are predictable (a hash of the
    checker's version, the path and the file's bytes), so an entry that would run code when
    loaded must be refused as a miss, never loaded."""
    project = tmp_path / "project"
    write(project / "client.py", CLIENT)
    cache = project / ".publisher-check-cache"
    marker = tmp_path / "marker"
    monkeypatch.chdir(project)

    def report(*args: str) -> dict[str, object]:
        result = CliRunner().invoke(main, [".", "--cache-dir", str(cache), "--format", "json", "--session-id", "s", *args])
        assert result.exit_code == 1, result.output
        data = json.loads(result.stdout)
        data["metrics"].pop("duration")
        return data

    cold = report()
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert entries, "the first run filled the cache"
    planted = pickle.dumps(_RunsCode(marker))
    for entry in entries:
        entry.write_bytes(planted)
    warm = report()
    assert not marker.exists(), "a cache entry ran code"
    assert warm == cold, "a refused entry is a miss: the file is parsed afresh"
    # The entries were rewritten with real facts; they load and give the same answer.
    assert all(p.read_bytes() != planted for p in entries)
    assert report() == cold


def test_cache_entries_still_load_through_the_restricted_unpickler(tmp_path: Path) -> None:
    """The facts of a real publisher survive the round trip (every class they use is allowed)."""
    source = (Path(__file__).resolve().parents[2] / "reference_impl" / "client.py").read_bytes()
    path = Path("client.py")
    outcome = parse_one(path, "client", source, False)
    cache = FactsCache(tmp_path)
    cache.put(path, "client", source, False, outcome)
    assert cache.get(path, "client", source, False) == (True, outcome)
    cache.store([b"fixability"], [True, False])
    assert cache.lookup([b"fixability"]) == (True, [True, False])


def test_a_hard_link_out_of_the_tree_is_not_written_through(tmp_path: Path) -> None:
    """A file of the project that shares its inode with one outside: fixing it replaces the
    project's name (a new file, renamed into place), never the content the other name sees."""
    project = tmp_path / "project"
    outside = write(tmp_path / "outside" / "client.py", CLIENT)
    project.mkdir()
    os.link(outside, project / "client.py")
    report = check([project], Options(config=Config(select=("PUB003",)), mode="executive")).fixes
    assert report.fixes_applied == 1
    assert "queue.Queue(maxsize=10000)" in (project / "client.py").read_text(encoding="utf-8")
    assert outside.read_text(encoding="utf-8") == CLIENT
