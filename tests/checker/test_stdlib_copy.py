"""Executive mode on real code nobody wrote for it: a slice of the installed standard library.

The slice holds the modules where the checker finds publisher parts (concurrent.futures'
executors), the packages around them and a few dozen busy modules, plus the standard
library's own hostile files (Python 2 test data, bad coding cookies, misplaced __future__
imports) where this Python ships them. (The whole library, run by hand: see the report of
issue #7; it takes about a minute and gives the same guarantees.)
"""

from __future__ import annotations

import json
import shutil
import sysconfig
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher_check.api import Options, check
from publisher_check.cli.check import main
from publisher_check.config import Config
from publisher_check.engine import run

STDLIB = Path(sysconfig.get_paths()["stdlib"])
PACKAGES = ["concurrent", "logging", "json", "wsgiref", "asyncio"]
MODULES = [
    "queue.py", "threading.py", "sched.py", "socketserver.py", "selectors.py", "subprocess.py", "dataclasses.py",
    "enum.py", "functools.py", "contextlib.py", "typing.py", "tokenize.py", "pickle.py", "http/client.py",
    "http/server.py", "urllib/request.py", "xmlrpc/client.py", "smtplib.py", "multiprocessing/queues.py",
    "multiprocessing/pool.py", "multiprocessing/managers.py", "random.py", "shutil.py", "tempfile.py",
    "argparse.py", "inspect.py", "traceback.py", "weakref.py", "codecs.py", "signal.py", "heapq.py", "ast.py",
]
HOSTILE = ["lib2to3/tests/data/*.py", "test/tokenizedata/*.py", "test/encoded_modules/*.py", "test/test_future_stmt/badsyntax_*.py"]


def copy_slice(root: Path) -> Path:
    copy = root / "stdlib"
    for package in PACKAGES:
        if (STDLIB / package).is_dir():
            shutil.copytree(STDLIB / package, copy / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for pattern in [*MODULES, *HOSTILE]:
        for source in STDLIB.glob(pattern):
            target = copy / source.relative_to(STDLIB)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return copy


def compiles(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, "<stdlib>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def state(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.skipif(not (STDLIB / "concurrent" / "futures" / "thread.py").is_file(), reason="no stdlib sources")
def test_executive_mode_on_a_copy_of_the_standard_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = copy_slice(tmp_path)
    cache = tmp_path / "cache"
    before = state(tmp_path)
    python_files = {name for name in before if name.endswith(".py")}
    assert len(python_files) > 80

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["stdlib", "--fix", "--unsafe-fixes", "--format", "json", "--cache-dir", str(cache), "--session-id", "s"]
    )
    assert result.exit_code == 1, result.output  # unfixable violations remain in the executors
    report = json.loads(result.stdout)
    metrics = report["metrics"]
    assert any(c.endswith("concurrent/futures/thread.py:ThreadPoolExecutor") for c in report["clients"])
    assert metrics["converged"] and metrics["fixesFailed"] == 0 and report["fixFailures"] == []
    assert metrics["fixesApplied"] > 0

    after = state(tmp_path)
    outside = {name for name in after.keys() | before.keys() if not name.startswith(("stdlib/", "cache/"))}
    assert outside == set() and after.keys() - before.keys() <= {n for n in after if n.startswith("cache/")}
    changed = {name for name in before if after[name] != before[name]}
    assert "stdlib/concurrent/futures/thread.py" in changed and changed <= python_files, changed
    for name in changed:
        assert compiles(after[name][0]), f"{name} was fixed and must still compile"
    # Files without a fix were not rewritten: same bytes and same modification time.
    assert all(after[name] == before[name] for name in before.keys() - changed)

    # Per-file errors are exactly the files CPython itself refuses, each reported once.
    refused = {name for name in python_files if not compiles(before[name][0])}
    assert {e["file"] for e in report["errors"]} == refused
    assert len(report["errors"]) == len(refused)

    again = check([copy], Options(config=Config(), mode="executive", unsafe_fixes=True)).fixes
    assert again.changes == () and again.fixes_applied == 0 and again.failures == ()
    assert state(copy) == {name.removeprefix("stdlib/"): v for name, v in after.items() if name.startswith("stdlib/")}


@pytest.mark.parametrize(
    "body",
    [
        "return 1\n",
        "for x in ():\n    pass\nbreak\n",
        "x = 1\nfrom __future__ import annotations\n",
        "from __future__ import rested_snopes\n",
        "nonlocal x\n",
        "def f(a, a):\n    pass\n",
        "await f()\n",
        "def g():\n    yield 1\n    return\nclass C:\n    return 2\n",
    ],
    ids=["return", "break", "late-future", "unknown-future", "nonlocal", "duplicate-argument", "await", "class-return"],
)
@pytest.mark.parametrize("candidate", [False, True], ids=["compiled-only", "parsed-by-libcst"])
def test_errors_that_cpython_finds_after_parsing_are_reported(tmp_path: Path, body: str, candidate: bool) -> None:
    """Regression: files that parse but do not compile ('return' outside a function, a late
    __future__ import …) were not reported, because VERIFY only built their AST (and libcst
    accepts them), while executive mode then refused to fix them."""
    client = (
        "import queue\n\n\nclass Client:\n    def __init__(self) -> None:\n"
        "        self._queue: queue.Queue[dict] = queue.Queue(maxsize=10)\n\n"
        "    def publish(self, event: dict) -> None:\n        self._queue.put_nowait(event)\n"
    )
    (tmp_path / "client.py").write_text(client, encoding="utf-8")
    bad = (client.replace("Client", "Other") if candidate else "") + body
    (tmp_path / "bad.py").write_text(bad, encoding="utf-8")
    assert not compiles(bad.encode())
    result = run([tmp_path], Config())
    assert result.publisher_found
    assert [(e.path.name, e.message.startswith("cannot parse: syntax error at line")) for e in result.errors] == [
        ("bad.py", True)
    ]
