"""Executive mode: the fix loop's guarantees, on the fixtures and on purpose-built cases."""

from __future__ import annotations

import json
import os
import shutil
import stat
import textwrap
from collections import Counter
from pathlib import Path

import jsonschema
import libcst as cst
import pytest
from click.testing import CliRunner

from publisher_check.analysis.cache import FactsCache
from publisher_check.api import Options, check
from publisher_check.cli.check import main
from publisher_check.config import Config, find_pyproject, load_config
from publisher_check.fixes import loop as fixer
from publisher_check.fixes.codemods import FixTarget
from publisher_check.fixes.writing import write_changes
from publisher_check.ftypes import FileChange, Metrics, Notes, Run, Severity, Violation
from publisher_check.registry import rules_by_id
from publisher_check.reports.diff import unified_diff
from publisher_check.reports.report import render_text, report_schema
from publisher_check.rules.pub003_bounded_queue import BoundedQueue

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
VIOLATING = sorted((FIXTURES / "violations").iterdir()) + [FIXTURES / "sample"]


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def per_file(diff: str) -> set[str]:
    return {"--- " + chunk for chunk in diff.split("\n--- ")} if diff else set()


def safety(violation: Violation) -> str:
    return rules_by_id()[violation.rule].fix_safety


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("project", VIOLATING, ids=lambda p: p.name)
def test_fixture_projects_are_fixed_as_far_as_safe_fixes_go(tmp_path: Path, project: Path) -> None:
    root = tmp_path / project.name
    shutil.copytree(project, root)
    before = snapshot(root)
    config = load_config(find_pyproject(root))
    report = check([root], Options(config=config, mode="executive")).fixes

    remaining = report.final.violations
    assert not [v for v in remaining if v.fixable and safety(v) == "safe"], "every safe-fixable violation is gone"
    assert report.converged and report.failures == ()
    after = snapshot(root)
    changed = {c.path.relative_to(root).as_posix() for c in report.changes}
    for name, data in after.items():
        compile(data, name, "exec", dont_inherit=True)
        if name not in changed:
            assert data == before[name], f"{name} has no fix and must be byte-for-byte unchanged"
    # No fix creates a violation: what remains was there before (lines may have moved).
    initial_kinds = Counter((v.path, v.rule) for v in report.initial.violations)
    assert not Counter((v.path, v.rule) for v in remaining) - initial_kinds
    # Every kept fix removed its own violation; the sample's blocking put is also PUB001, which
    # PUB004's put_nowait removes with it.
    cascades = 1 if project.name == "sample" else 0
    assert len(report.initial.violations) == report.fixes_applied + len(remaining) + cascades
    assert report.iterations == 1

    again = check([root], Options(config=config, mode="executive")).fixes
    assert again.fixes_applied == 0 and again.changes == () and snapshot(root) == after

    unsafe = check([root], Options(config=config, mode="executive", unsafe_fixes=True)).fixes
    assert not [v for v in unsafe.final.violations if v.fixable], "with --unsafe-fixes only unfixable ones remain"


def test_whole_fixtures_copy_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed, previewed = tmp_path / "fixed", tmp_path / "previewed"
    # configured/'s table renames the publish/flush/close methods, which the other projects do not
    # share: one run is one analysis, so checking it beside them is refused (test_folder_config).
    shutil.copytree(FIXTURES, fixed, ignore=shutil.ignore_patterns("configured"))
    shutil.copytree(FIXTURES, previewed, ignore=shutil.ignore_patterns("configured"))
    untouched = snapshot(previewed)

    monkeypatch.chdir(previewed)
    code, diff, err = invoke(".", "--diff", "--unsafe-fixes")
    assert code == 1 and diff.startswith("--- ") and "Would fix" in err
    assert snapshot(previewed) == untouched, "--diff writes nothing"

    monkeypatch.chdir(fixed)
    code, out, _ = invoke(".", "--fix", "--unsafe-fixes", "--format", "json", "--session-id", "fx")
    report = json.loads(out)
    jsonschema.validate(report, report_schema())
    metrics = report["metrics"]
    assert metrics["mode"] == "executive" and metrics["converged"] is True and metrics["fixesFailed"] == 0
    assert metrics["finalViolations"] == len(report["violations"]) > 0
    assert not [v for v in report["violations"] if v["fixable"]], "only unfixable violations remain"
    assert metrics["fixesApplied"] > 0 and report["fixFailures"] == []
    initial, final = metrics["initialViolations"], metrics["finalViolations"]
    assert metrics["fixRate"] == round((initial - final) / initial, 4)
    assert code == 1  # unfixable violations remain

    # The preview showed exactly what the real run then did.
    changes = [
        FileChange(Path(name), cst.parse_module(untouched[name]).encoding, untouched[name], data, 0)
        for name, data in snapshot(fixed).items()
        if data != untouched[name]
    ]
    assert per_file(unified_diff(changes)) == per_file(diff)
    # A second run on the result is a no-op: shown per project in test_fixture_projects_... above.


def test_informative_mode_says_which_violations_have_a_fix(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "sample", tmp_path / "sample")
    before = snapshot(tmp_path)
    result = check([tmp_path], Options(config=Config())).fixes.final
    fixable = {(v.path.name, v.rule) for v in result.violations if v.fixable}
    assert fixable == {("client.py", "PUB004"), ("worker.py", "PUB005"), ("models.py", "PUB016")}
    assert snapshot(tmp_path) == before
    code, out, _ = invoke(tmp_path)
    assert code == 1 and "2 fixable with --fix (1 more with --fix --unsafe-fixes)." in out


def test_compliant_project_is_never_rewritten(tmp_path: Path) -> None:
    root = tmp_path / "compliant"
    shutil.copytree(FIXTURES / "compliant_split", root)
    stamps = {p: p.stat().st_mtime_ns for p in root.rglob("*.py")}
    code, out, _ = invoke(root, "--fix", "--unsafe-fixes")
    assert code == 0 and "Nothing to fix." in out
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*.py")} == stamps


LATIN1_CRLF = (
    "# -*- coding: latin-1 -*-\r\n"
    "import queue\r\n"
    "\r\n"
    "GREETING = 'caf\xe9'\r\n"
    "\r\n"
    "class Client:\r\n"
    "    def __init__(self) -> None:\r\n"
    "        self._queue: queue.Queue[dict] = queue.Queue()\r\n"
    "\r\n"
    "    def publish(self, event: dict) -> None:\r\n"
    "        self._queue.put_nowait(event)\r\n"
    "\r\n"
    "    def close(self) -> None:\r\n"
    "        self._queue.join()\r\n"
)


def test_encoding_line_endings_and_mode_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "client.py"
    path.write_bytes(LATIN1_CRLF.encode("latin-1"))
    os.chmod(path, 0o640)
    report = check([tmp_path], Options(config=Config(select=("PUB003", "PUB011")), mode="executive")).fixes
    assert report.fixes_applied == 2 and report.final.violations == ()
    expected = (
        LATIN1_CRLF.replace("queue.Queue()", "queue.Queue(maxsize=10000)")
        + "\r\n"
        + '    def __enter__(self) -> "Client":\r\n'
        + "        return self\r\n"
        + "\r\n"
        + "    def __exit__(self, *exc: object) -> None:\r\n"
        + "        self.close()\r\n"
    )
    assert path.read_bytes() == expected.encode("latin-1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_symlinked_file_is_fixed_through_the_link(tmp_path: Path) -> None:
    """The link stays a link; the file it points to is written once, though it is seen twice."""
    real = tmp_path / "impl.py"
    real.write_bytes(LATIN1_CRLF.encode("latin-1"))
    (tmp_path / "client.py").symlink_to(real.name)
    report = check([tmp_path], Options(config=Config(select=("PUB003",)), mode="executive")).fixes
    assert (tmp_path / "client.py").is_symlink() and report.write_errors == ()
    assert real.read_bytes() == LATIN1_CRLF.replace("queue.Queue()", "queue.Queue(maxsize=10000)").encode("latin-1")


NESTED = textwrap.dedent(
    """
    import queue
    import threading


    class Client:
        def __init__(self) -> None:
            self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
            self._stop = threading.Event()

        def publish(self, event: dict) -> None:
            self._queue.put_nowait(event)

        def flush(self) -> None:
            self._queue.join()

        def close(self) -> None:
            self._stop.set()


    class ClientBuilder:
        def __init__(self) -> None:
            self._endpoint = ""

        def endpoint(self, url: str):
            self._endpoint = url

        def build(self) -> Client:
            return Client()
    """
).lstrip()


def test_nested_and_conflicting_fixes_are_deferred_not_dropped(tmp_path: Path) -> None:
    """PUB011 rewrites the class that holds close() (PUB013); PUB017's ``-> None`` and PUB015's
    ``return self`` both rewrite endpoint(). Applied together they would contradict each other;
    the loop applies one per scope and recomputes the other on the new text."""
    path = tmp_path / "client.py"
    path.write_text(NESTED, encoding="utf-8")
    config = Config(select=("PUB011", "PUB013", "PUB015", "PUB017"))
    report = check([tmp_path], Options(config=config, mode="executive")).fixes
    assert report.final.violations == ()
    assert report.fixes_applied == len(report.initial.violations) == 4
    assert report.iterations == 2 and report.converged
    text = path.read_text(encoding="utf-8")
    assert 'def endpoint(self, url: str) -> "ClientBuilder":\n        self._endpoint = url\n        return self\n' in text
    assert "def close(self) -> None:\n        self.flush()\n        self._stop.set()\n" in text
    assert "def __exit__(self, *exc: object) -> None:\n        self.close()\n" in text


def test_hitting_the_round_limit_is_reported(tmp_path: Path) -> None:
    (tmp_path / "client.py").write_text(NESTED, encoding="utf-8")
    report = check([tmp_path], Options(config=Config(select=("PUB011", "PUB013")), mode="executive", max_rounds=1)).fixes
    assert not report.converged and report.iterations == 1 and report.fixes_applied == 1
    assert [(v.rule, v.fixable) for v in report.final.violations] == [("PUB013", True)]
    metrics = Metrics("s", 2, report.iterations, 1, 1, "executive", 0.1, converged=False)
    text = render_text(Run(report.final, report, metrics, Notes(), Severity.LOW, failed=True))
    assert "Stopped after 1 fix rounds with fixes still pending" in text and "1 more fixable with --fix." in text


def test_a_fix_that_does_not_compile_is_restored_and_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """libcst parses ``return`` at module level; CPython's compile() rejects it."""

    def broken_fix(self: BoundedQueue, violation: Violation, target: FixTarget) -> cst.Module:
        klass = target.module.body[-1]
        assert isinstance(klass, cst.ClassDef)
        returning = klass.body.with_changes(body=[*klass.body.body, cst.parse_statement("return 1\n")])
        return target.replace(klass, klass.with_changes(body=returning))

    project = tmp_path / "project"
    project.mkdir()
    path = project / "client.py"
    path.write_bytes(LATIN1_CRLF.encode("latin-1"))
    before = path.read_bytes()
    monkeypatch.setattr(BoundedQueue, "fix", broken_fix)
    report = check([project], Options(config=Config(select=("PUB003",)), mode="executive")).fixes
    assert path.read_bytes() == before
    assert report.fixes_applied == 0 and report.changes == () and report.iterations == 1
    assert [f.violation.rule for f in report.failures] == ["PUB003"]
    assert "does not compile" in report.failures[0].reason
    assert [(v.rule, v.fixable) for v in report.final.violations] == [("PUB003", False)], "never retried, not fixable"

    monkeypatch.chdir(project)
    code, out, _ = invoke(".", "--fix", "--select", "PUB003", "--format", "json")
    payload = json.loads(out)
    jsonschema.validate(payload, report_schema())
    assert payload["metrics"]["fixesFailed"] == 1 and payload["metrics"]["fixesApplied"] == 0
    assert payload["fixFailures"][0]["rule"] == "PUB003" and code == 1


def test_a_fix_that_raises_is_reported_and_the_run_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crashing_fix(self: BoundedQueue, violation: Violation, target: FixTarget) -> cst.Module:
        raise RuntimeError("boom")

    (tmp_path / "client.py").write_bytes(LATIN1_CRLF.encode("latin-1"))
    monkeypatch.setattr(BoundedQueue, "fix", crashing_fix)
    report = check([tmp_path], Options(config=Config(select=("PUB003", "PUB011")), mode="executive")).fixes
    assert report.fixes_applied == 1  # PUB011's fix still applied
    assert [(f.violation.rule, f.reason) for f in report.failures] == [("PUB003", "the fix failed (RuntimeError: boom)")]


def test_a_file_changed_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "client.py"
    path.write_text("x = 2\n", encoding="utf-8")
    errors = write_changes([FileChange(path, "utf-8", b"x = 1\n", b"x = 3\n", 1)])
    assert path.read_text(encoding="utf-8") == "x = 2\n"
    assert [e.message for e in errors] == ["changed on disk while it was being fixed; left as it is"]


def test_diff_exit_codes_and_no_writes(tmp_path: Path) -> None:
    (tmp_path / "client.py").write_bytes(LATIN1_CRLF.encode("latin-1"))
    before = snapshot(tmp_path)
    code, diff, err = invoke(tmp_path, "--diff", "--select", "PUB003")
    assert code == 1 and "+        self._queue: queue.Queue[dict] = queue.Queue(maxsize=10000)" in diff
    assert "Would fix 1 in 1 iteration; 0 of 1 would remain" in err
    assert snapshot(tmp_path) == before
    code, diff, _ = invoke(tmp_path, "--diff", "--select", "PUB014")
    assert code == 0 and diff == ""
    code, _out, err = invoke(tmp_path, "--diff", "--format", "json")
    assert code == 2 and "--diff" in err


def test_list_rules_shows_fix_safety() -> None:
    _code, out, _ = invoke("--list-rules")
    rows = {line.split()[0]: line.split()[2] for line in out.splitlines()[1:]}
    assert rows["PUB003"] == "safe" and rows["PUB016"] == "unsafe" and rows["PUB001"] == "no"


def test_informative_fixability_is_cached_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trying fixes costs more than a warm VERIFY, so the answer is cached; an edited file is
    judged afresh."""
    project = tmp_path / "sample"
    shutil.copytree(FIXTURES / "sample", project)
    options = Options(config=Config(), cache=FactsCache(tmp_path / "cache"))  # one cache for the three runs
    first = {(v.path.name, v.rule) for v in check([project], options).fixes.final.violations if v.fixable}
    planned: list[int] = []
    real_plan = fixer._plan

    def counting_plan(violations: list[Violation], *args: object, **kwargs: object) -> object:
        planned.append(len(violations))
        return real_plan(violations, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fixer, "_plan", counting_plan)
    again = {(v.path.name, v.rule) for v in check([project], options).fixes.final.violations if v.fixable}
    assert again == first and planned == [0], "every file's answer came from the cache"

    client = project / "audit_events" / "client.py"
    source = client.read_text(encoding="utf-8")
    client.write_text(source.replace("put(event.to_dict())", "put(event.to_dict(), timeout=1)"), encoding="utf-8")
    edited = {(v.path.name, v.rule) for v in check([project], options).fixes.final.violations if v.fixable}
    assert edited == first - {("client.py", "PUB004")}, "a put with a timeout keeps its wait: no fix"
    assert planned[-1] > 0


def test_explain_shows_the_fix_on_its_tested_example() -> None:
    _code, out, _ = invoke("--explain", "PUB016")
    assert "(default severity: low, unsafe fix)" in out
    assert "After --fix --unsafe-fixes:" in out and "@dataclass(frozen=True)" in out
    _code, out, _ = invoke("--explain", "PUB010")
    assert "After --fix:" in out and "runner.join(timeout=5.0)" in out
    _code, out, _ = invoke("--explain", "PUB007")
    assert "no automatic fix" in out and "After --fix" not in out


def _fixable_by_file() -> list[list[Violation]]:
    from publisher_check.engine import run

    result = run([FIXTURES / "violations"], Config())
    return list(fixer._by_file(result.violations).values())


def test_counting_fixes_on_two_cores_finds_what_one_process_finds() -> None:
    per_file = _fixable_by_file()
    assert len(per_file) >= 2
    alone = fixer._fixable(per_file, Config())
    assert alone and fixer._fixable_on_two_cores(per_file, Config()) == alone


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="the child is forked")
def test_a_child_that_dies_while_counting_fixes_costs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    per_file = _fixable_by_file()
    alone = fixer._fixable(per_file, Config())
    monkeypatch.setattr(fixer, "_send_fixable", lambda *_args: os._exit(3))
    assert fixer._fixable_on_two_cores(per_file, Config()) == alone
