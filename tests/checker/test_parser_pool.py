"""The parser pool: files a caller waits for first, every other file's syntax in the background."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import time
from pathlib import Path

import pytest

from publisher_check.analysis import parsing
from publisher_check.analysis.facts import ModuleFacts

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="the stand-in parser reaches the workers by fork"
)


def _request(name: str, source: bytes = b"x = 1\n", syntax_only: bool = True) -> parsing.Request:
    return (Path(name), name[:-3], source, syntax_only)


def test_background_checks_report_each_file_and_a_full_parse_takes_a_queued_file_over() -> None:
    """With one worker nothing runs in the background while the caller could need it; a file
    the caller then parses in full is checked by that parse, not a second time."""
    with parsing.ParserPool(size=1) as pool:
        pool.check_later([_request("a.py"), _request("b.py", b"print 'python 2'\n"), _request("c.py")])
        parsed = pool.parse([_request("a.py", b"import queue\n", syntax_only=False)])
        checked = pool.finish()
    assert isinstance(parsed[Path("a.py")], ModuleFacts)
    assert set(checked) == {Path("b.py"), Path("c.py")}
    assert checked[Path("c.py")] is None
    assert isinstance(checked[Path("b.py")], str) and "syntax error at line 1" in checked[Path("b.py")]


def test_background_checks_run_while_the_caller_works() -> None:
    """Two workers: one checks in the background, one stays free for the caller."""
    requests = [_request(f"m{i}.py") for i in range(40)]
    with parsing.ParserPool(size=2) as pool:
        pool.check_later(requests)
        deadline = time.monotonic() + 30
        while pool._later and time.monotonic() < deadline:
            time.sleep(0.01)
            pool.pump()
        assert not pool._later  # handed out without finish()
        assert all(outcome is None for outcome in pool.finish().values())


def _die(*_job: object) -> None:
    os._exit(3)


def _hang(*_job: object) -> None:
    time.sleep(60)


@needs_fork
@pytest.mark.parametrize(("stand_in", "reason"), [(_die, "process died"), (_hang, "longer than")], ids=["dies", "hangs"])
def test_a_worker_lost_in_a_background_batch_costs_only_its_file(
    monkeypatch: pytest.MonkeyPatch, stand_in: object, reason: str
) -> None:
    """The files of the batch after the bad one are checked by the worker that replaces it."""
    real = parsing.parse_one
    monkeypatch.setattr(parsing, "parse_one", lambda path, *rest: stand_in() if path.name == "bad.py" else real(path, *rest))
    with parsing.ParserPool(size=1, timeout=1.0) as pool:
        pool.check_later([_request(name) for name in ("a.py", "bad.py", "c.py", "d.py")])
        checked = pool.finish()
    assert {path.name: outcome for path, outcome in checked.items() if outcome is None} == {"a.py": None, "c.py": None, "d.py": None}
    assert isinstance(checked[Path("bad.py")], str) and reason in checked[Path("bad.py")]


@needs_fork
def test_a_file_this_run_compiled_is_not_compiled_again_for_its_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    real = parsing.parse_one

    def report(path: Path, name: str, source: bytes, syntax_only: bool, compiled: bool = False) -> parsing.Outcome:
        return real(path, name, source, syntax_only, compiled) if syntax_only else f"compiled={compiled}"

    monkeypatch.setattr(parsing, "parse_one", report)
    with parsing.ParserPool(size=1) as pool:
        pool.check_later([_request("a.py")])
        assert pool.finish() == {Path("a.py"): None}
        again = pool.parse([_request("a.py", syntax_only=False), _request("b.py", syntax_only=False)])
        changed = pool.parse([_request("a.py", b"x = 2\n", syntax_only=False)])
    assert again == {Path("a.py"): "compiled=True", Path("b.py"): "compiled=False"}
    assert changed == {Path("a.py"): "compiled=False"}  # another source: compile it


def test_results_come_in_the_order_asked_whoever_finishes_first() -> None:
    """Modules join the project in that order, and two clients' findings at one line keep the
    first client's message: a report must not depend on which worker was quicker."""
    slow = b"".join(b"def f%d(x):\n    return [x for x in range(x) if x]\n" % i for i in range(4000))
    requests = [_request("slow.py", slow, syntax_only=False), _request("quick.py", b"x = 1\n", syntax_only=False)]
    with parsing.ParserPool(size=2) as pool:
        assert list(pool.parse(requests)) == [Path("slow.py"), Path("quick.py")]


def _logging_parser(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Every job a worker runs is written to ``log``: what the workers really did."""
    real = parsing.parse_one

    def logged(path: Path, name: str, source: bytes, syntax_only: bool, compiled: bool = False) -> parsing.Outcome:
        with log.open("a") as out:
            out.write(f"{path.name} {'syntax' if syntax_only else 'facts'}{' compiled' if compiled else ''}\n")
        return real(path, name, source, syntax_only, compiled)

    monkeypatch.setattr(parsing, "parse_one", logged)


def _settle(pool: parsing.ParserPool) -> None:
    deadline = time.monotonic() + 30
    while (pool._ahead or pool._reading()) and time.monotonic() < deadline:
        time.sleep(0.01)
        pool.pump()


@needs_fork
def test_facts_read_ahead_answer_the_request_and_stand_for_its_syntax_check(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    log = tmp_path / "jobs.log"
    _logging_parser(monkeypatch, log)
    module = _request("a.py", b"import queue\n", syntax_only=False)
    with parsing.ParserPool(size=2) as pool:
        pool.read_ahead([module])  # one worker reads ahead, the other stays free for the caller
        pool.check_later([_request("a.py", b"import queue\n"), _request("b.py")])
        _settle(pool)
        parsed = pool.parse([module])
        checked = pool.finish()
    assert isinstance(parsed[Path("a.py")], ModuleFacts)
    assert checked == {Path("a.py"): None, Path("b.py"): None}
    assert sorted(log.read_text().splitlines()) == ["a.py facts", "b.py syntax"]


@needs_fork
def test_facts_read_ahead_of_another_source_are_not_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    log = tmp_path / "jobs.log"
    _logging_parser(monkeypatch, log)
    with parsing.ParserPool(size=2) as pool:
        pool.read_ahead([_request("a.py", b"import queue\n", syntax_only=False)])
        _settle(pool)
        parsed = pool.parse([_request("a.py", b"import os\n", syntax_only=False)])
    facts = parsed[Path("a.py")]
    assert isinstance(facts, ModuleFacts) and dict(facts.imports) == {"os": "os"}
    assert log.read_text().splitlines() == ["a.py facts", "a.py facts"]


@needs_fork
def test_a_worker_lost_while_reading_ahead_leaves_the_file_to_be_parsed_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    real = parsing.parse_one
    monkeypatch.setattr(parsing, "parse_one", lambda path, *rest: _die() if path.name == "bad.py" else real(path, *rest))
    with parsing.ParserPool(size=2) as pool:
        pool.read_ahead([_request("bad.py", syntax_only=False), _request("good.py", syntax_only=False)])
        _settle(pool)
        parsed = pool.parse([_request("good.py", syntax_only=False), _request("bad.py", syntax_only=False)])
    assert isinstance(parsed[Path("good.py")], ModuleFacts)
    assert isinstance(parsed[Path("bad.py")], str) and "process died" in parsed[Path("bad.py")]


def test_facts_answered_come_with_the_workers_pickle_once_for_the_cache() -> None:
    """The cache stores the bytes the worker sent, whether the facts were waited for or read
    ahead; each is handed over once, and syntax checks carry none."""
    waited = _request("waited.py", b"import queue\nq = queue.Queue()\n", syntax_only=False)
    ahead = _request("ahead.py", b"def publish(event):\n    pass\n", syntax_only=False)
    with parsing.ParserPool(size=1) as pool:
        pool.read_ahead([ahead], keep_free=0)
        outcomes = {**pool.parse([waited]), **pool.parse([ahead]), **pool.parse([_request("plain.py")])}
        for request in (waited, ahead):
            pickled = pool.take_pickled(request[0])
            assert pickled is not None and pickle.loads(pickled) == outcomes[request[0]]
            assert pool.take_pickled(request[0]) is None
        assert pool.take_pickled(Path("plain.py")) is None
