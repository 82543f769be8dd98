"""Whatever a repository contains, the checker reports per file and never crashes."""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher_check.analysis import parsing
from publisher_check.cli.check import main
from publisher_check.config import Config
from publisher_check.engine import run

CLIENT = (
    "import queue\n\n\nclass Client:\n    def __init__(self) -> None:\n"
    "        self._queue: queue.Queue[dict] = queue.Queue(maxsize=10)\n\n"
    "    def publish(self, event: dict) -> None:\n        self._queue.put_nowait(event)\n"
)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_syntax_errors_in_files_without_publisher_parts_are_reported(tmp_path: Path) -> None:
    write(tmp_path / "client.py", CLIENT.encode())
    write(tmp_path / "script.py", b"print 'python 2'\n")
    result = run([tmp_path], Config())
    assert [(e.path.name, "syntax error at line 1" in e.message) for e in result.errors] == [("script.py", True)]


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("syntax.py", b"def publish(self:\n", "cannot parse"),
        ("python2.py", b"def publish(self, e):\n    print 'sent', e\n", "cannot parse"),
        ("nul.py", b"def publish(self):\n    pass\x00\n", "cannot parse"),
        ("binary.py", b"def publish(\xff\xfe\x00\x01\x02" * 50, "cannot parse"),
        ("bad_cookie.py", b"# -*- coding: no-such-codec -*-\ndef publish(self): pass\n", "cannot parse"),
        ("wrong_cookie.py", b"# -*- coding: utf-8 -*-\ndef publish(self): return '\xe9'\n", "cannot parse"),
    ],
)
def test_unparseable_candidates_are_reported_per_file(tmp_path: Path, name: str, data: bytes, error: str) -> None:
    write(tmp_path / "client.py", CLIENT.encode())
    write(tmp_path / name, data)
    result = run([tmp_path], Config())
    assert result.publisher_found, "one broken file does not stop the others from being checked"
    assert [(e.path.name, error in e.message) for e in result.errors] == [(name, True)]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xef\xbb\xbf" + CLIENT.encode(),  # BOM
        CLIENT.replace("\n", "\r\n").encode(),  # CRLF
        b"# -*- coding: latin-1 -*-\n" + CLIENT.encode() + b"NAME = '\xe9'\n",
    ],
    ids=["empty", "bom", "crlf", "latin1"],
)
def test_odd_but_valid_files_parse(tmp_path: Path, data: bytes) -> None:
    write(tmp_path / "client.py", data)
    result = run([tmp_path], Config())
    assert result.errors == ()
    assert result.publisher_found == bool(data)


def test_deeply_nested_expression_is_a_per_file_error(tmp_path: Path) -> None:
    write(tmp_path / "client.py", CLIENT.encode())
    nested = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\ndef publish(self): pass\n"
    write(tmp_path / "nested.py", nested.encode())
    result = run([tmp_path], Config())
    assert result.publisher_found
    assert [e.path.name for e in result.errors] == ["nested.py"]


def test_large_generated_file(tmp_path: Path) -> None:
    lines = [f"VALUE_{i} = {{'id': {i}, 'name': 'item-{i}', 'tags': ['a', 'b']}}" for i in range(40_000)]
    write(tmp_path / "generated.py", ("\n".join(lines) + "\n").encode())  # several MB, never a candidate
    write(tmp_path / "client.py", CLIENT.encode())
    result = run([tmp_path], Config())
    assert result.errors == () and result.publisher_found


def test_symlink_loops_and_links_out_of_the_tree_are_not_followed(tmp_path: Path) -> None:
    project = tmp_path / "project"
    outside = tmp_path / "outside"
    write(project / "client.py", CLIENT.encode())
    write(outside / "other_client.py", CLIENT.replace("Client", "OtherClient").encode())
    os.symlink(project, project / "loop")
    os.symlink(outside, project / "escape")
    os.symlink(outside / "other_client.py", project / "linked.py")
    result = run([project], Config())
    assert result.clients == (f"{(project / 'client.py').as_posix()}:Client",)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "client.py", CLIENT.encode())
    locked = write(tmp_path / "locked.py", b"def publish(self): pass\n")
    locked.chmod(0)
    try:
        result = run([tmp_path], Config())
    finally:
        locked.chmod(0o644)
    assert [e.path.name for e in result.errors] == ["locked.py"]


def test_virtualenvs_and_build_folders_are_skipped(tmp_path: Path) -> None:
    write(tmp_path / "venv_x" / "pyvenv.cfg", b"home = /usr\n")
    write(tmp_path / "venv_x" / "lib" / "client.py", CLIENT.encode())
    write(tmp_path / "build" / "lib" / "client.py", CLIENT.encode())
    write(tmp_path / ".git" / "client.py", CLIENT.encode())
    write(tmp_path / "ignored" / "client.py", CLIENT.encode())
    write(tmp_path / ".gitignore", b"ignored/\n")
    result = run([tmp_path], Config())
    assert not result.publisher_found and result.files_scanned == 0


def test_checker_never_writes_in_informative_mode(tmp_path: Path) -> None:
    write(tmp_path / "client.py", CLIENT.encode())
    before = {p: p.read_bytes() for p in tmp_path.rglob("*")  if p.is_file()}
    CliRunner().invoke(main, [str(tmp_path), "--format", "json"])
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert before == after


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "path does not exist" in result.stderr


def test_dangling_symlink_is_reported_as_unreadable(tmp_path: Path) -> None:
    write(tmp_path / "client.py", CLIENT.encode())
    os.symlink(tmp_path / "gone.py", tmp_path / "dangling.py")
    result = run([tmp_path], Config())
    assert result.publisher_found
    assert [(e.path.name, e.message.startswith("cannot read")) for e in result.errors] == [("dangling.py", True)]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        # Candidates (a publish method and a queue) are parsed into facts; CPython's parser
        # refuses what it cannot nest, as it would on import:
        (b"import queue\ndef publish(self): pass\nx = " + b"-" * 100_000 + b"1\n", "too deeply nested"),
        (b"import queue\ndef publish(self): pass\nx = " + b"+".join([b"1"] * 50_000) + b"\n", "too deeply nested"),
        # Other files are only compiled:
        (b"x = " + b"-" * 100_000 + b"1\n", "cannot parse"),
    ],
    ids=["deep-unary", "deep-chain", "compile-only"],
)
def test_unparseable_nesting_is_a_per_file_error(tmp_path: Path, source: bytes, reason: str) -> None:
    write(tmp_path / "client.py", CLIENT.encode())
    write(tmp_path / "hostile.py", source)
    result = run([tmp_path], Config(), parse_timeout=3.0)
    assert result.publisher_found, "the run goes on with the other files"
    assert [(e.path.name, reason in e.message) for e in result.errors] == [("hostile.py", True)]


def test_a_long_chain_that_python_compiles_gives_facts(tmp_path: Path) -> None:
    """2,000 terms: CPython compiles it at its default recursion limit, so the facts walk,
    which recurses deeper than the parser, must not refuse it."""
    chain = b"+".join([b"1"] * 2_000)
    write(tmp_path / "client.py", CLIENT.encode() + b"\n    def size(self) -> int:\n        return " + chain + b"\n")
    result = run([tmp_path], Config())
    assert result.publisher_found
    assert result.errors == ()


def _die(*_request: object) -> None:
    os._exit(3)


def _hang(*_request: object) -> None:
    import time

    time.sleep(60)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the stand-in parser reaches the workers by fork")
@pytest.mark.parametrize(("stand_in", "reason"), [(_die, "process died"), (_hang, "longer than")], ids=["dies", "hangs"])
def test_a_worker_that_dies_or_hangs_is_a_per_file_error(
    monkeypatch: pytest.MonkeyPatch, stand_in: object, reason: str
) -> None:
    """Whatever goes wrong inside a worker, the pool reports that file and serves the next one."""
    real = parsing.parse_one
    monkeypatch.setattr(parsing, "parse_one", lambda path, *rest: stand_in() if path.name == "bad.py" else real(path, *rest))
    requests = [(Path(name), name[:-3], b"x = 1\n", True) for name in ("a.py", "bad.py", "c.py")]
    with parsing.ParserPool(size=1, timeout=1.0) as pool:
        outcomes = pool.parse(requests)
    assert outcomes[Path("a.py")] is None and outcomes[Path("c.py")] is None
    assert isinstance(outcomes[Path("bad.py")], str) and reason in outcomes[Path("bad.py")]


def test_attribute_types_that_depend_on_themselves_end(tmp_path: Path) -> None:
    """Found in the stdlib (idlelib's StubObjectTreeItem, shlex): an attribute typed by what
    callers pass, where the caller passes that same attribute; and ``self.x = self.x.f()``."""
    write(tmp_path / "client.py", CLIENT.encode())
    write(
        tmp_path / "tree.py",
        b"import queue\n\n\nclass Item:\n"
        b"    def __init__(self, link):\n        self.link = link\n        self._queue = queue.Queue(maxsize=10)\n"
        b"        self.chars = 'abc'\n        self.chars = self.chars.translate({})\n\n"
        b"    def publish(self, event):\n        self._queue.put_nowait(event)\n        self.link.send(event)\n"
        b"        self.chars.strip()\n\n"
        b"    def children(self):\n        return [Item(self.link)]\n",
    )
    result = run([tmp_path], Config())
    assert result.publisher_found
    assert result.errors == ()
