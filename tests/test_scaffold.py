"""publisher-check scaffold: the copy, its planned defaults, its schema, its tests, its checker result."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from publisher_check.cli.entry import main
from publisher_check.skill.plan import Answers, Example, make_plan
from publisher_check.skill.scaffold import ScaffoldError, check_package_name, render

REPO = Path(__file__).resolve().parents[1]
ORDER = {"type": "order.placed", "order_id": "o-1001", "amount": 42.5, "items": [{"sku": "A-1", "qty": 2}]}
ANSWERS = ["--volume", "200", "--reliability", "guaranteed"]

Scaffold = Callable[..., Path]


def run(*args: str | Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@pytest.fixture
def example(tmp_path: Path) -> Path:
    path = tmp_path / "examples" / "order_placed.json"
    path.parent.mkdir()
    path.write_text(json.dumps(ORDER), encoding="utf-8")
    return path


@pytest.fixture
def scaffold(tmp_path: Path, example: Path, capsys: pytest.CaptureFixture[str]) -> Scaffold:
    """``scaffold(package, *options)`` -> the project folder, scaffolded with the order example."""

    def make(package: str, *options: str) -> Path:
        dest = tmp_path / package
        code, _, err = run(
            "scaffold", dest, "--package", package, *ANSWERS, "--examples", example, *options, capsys=capsys
        )
        assert code == 0, err
        return dest

    return make


def defaults_in(source: str, class_name: str) -> dict[str, object]:
    """Literal defaults of a class's __init__ parameters and annotated fields."""
    found: dict[str, object] = {}
    klass = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == class_name)
    for node in klass.body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.value, ast.Constant)
        ):
            found[node.target.id] = node.value.value
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            args = node.args.kwonlyargs
            for arg, default in zip(args, node.args.kw_defaults, strict=True):
                if isinstance(default, ast.Constant):
                    found[arg.arg] = default.value
    return found


def pytest_in(project: Path) -> subprocess.CompletedProcess[str]:
    """The generated tests, run the way the skill says: ``python -m pytest tests`` in the project."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_copy_is_the_reference_plus_the_plan(scaffold: Scaffold) -> None:
    project = scaffold("orders_publisher")
    reference = resources.files("activity_publisher")
    copied = {
        p.relative_to(project / "orders_publisher").as_posix()
        for p in (project / "orders_publisher").rglob("*")
        if p.is_file()
    }
    shipped = {entry.name for entry in reference.iterdir() if entry.is_file() and not entry.name.endswith(".pyc")} | {
        f"schemas/{entry.name}" for entry in reference.joinpath("schemas").iterdir()
    }
    assert copied == shipped | {"schemas/event.json", "testing.py"}
    assert sorted(p.name for p in (project / "tests").iterdir()) == ["test_orders_publisher_publisher.py"]
    for path in (project / "orders_publisher").rglob("*.py"):
        assert "activity_publisher" not in path.read_text(encoding="utf-8"), path
    assert "from orders_publisher import ActivityClient" in (project / "orders_publisher" / "__init__.py").read_text()


def test_the_plan_is_the_copy_s_defaults(scaffold: Scaffold, example: Path) -> None:
    project = scaffold("orders_publisher")
    planned = make_plan(Answers(200, "guaranteed", examples=(Example(str(example), ORDER),))).defaults
    package = project / "orders_publisher"
    client = defaults_in((package / "client.py").read_text(encoding="utf-8"), "ActivityClient")
    config = defaults_in((package / "config.py").read_text(encoding="utf-8"), "ClientConfig")
    assert {name: client[name] for name in planned} == planned
    assert {name: config[name] for name in planned} == planned
    assert "max_queue_size: int = 12_000," in (package / "client.py").read_text(encoding="utf-8")


def test_the_inferred_schema_is_wired_into_publish_event(scaffold: Scaffold) -> None:
    package = scaffold("orders_publisher") / "orders_publisher"
    schema = json.loads((package / "schemas" / "event.json").read_text(encoding="utf-8"))
    assert schema["$id"] == "urn:orders_publisher:schema:event"
    assert schema["required"] == ["amount", "items", "order_id", "type"]
    assert 'EVENT_VALIDATOR: Final = load_validator("event.json")' in (package / "validation.py").read_text()
    client = (package / "client.py").read_text(encoding="utf-8")
    assert "EVENT_VALIDATOR, validate\n" in client
    assert '    def publish_event(self, event: dict[str, Any]) -> None:\n        """Validate' in client
    compile(client, "client.py", "exec")


@pytest.mark.parametrize("framework", ["standalone", "fastapi", "flask"])
def test_the_scaffold_passes_the_checker_with_zero_violations(
    scaffold: Scaffold, framework: str, capsys: pytest.CaptureFixture[str]
) -> None:
    project = scaffold("orders_publisher", "--framework", framework)
    code, out, _ = run(project, "--format", "json", capsys=capsys)
    report = json.loads(out)
    assert (code, report["status"], report["violations"], report["errors"]) == (0, "success", [], [])
    assert report["publisherFound"] is True


@pytest.mark.parametrize(("framework", "passed"), [("standalone", 5), ("fastapi", 6), ("flask", 7)])
def test_the_generated_tests_pass(scaffold: Scaffold, framework: str, passed: int) -> None:
    project = scaffold("orders_publisher", "--framework", framework)
    if framework != "standalone":
        assert (project / "orders_publisher" / "integrations" / f"{framework}.py").is_file()
        assert (project / "tests" / f"test_orders_publisher_{framework}.py").is_file()
    done = pytest_in(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{passed} passed" in done.stdout


def test_generated_tests_pass_without_examples_and_at_high_volume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    code, _, err = run(
        "scaffold",
        project,
        "--package",
        "telemetry",
        "--volume",
        "5000",
        "--sla",
        "best-effort",
        "--destinations",
        "fan-out",
        capsys=capsys,
    )
    assert code == 0, err
    schema = json.loads((project / "telemetry" / "schemas" / "event.json").read_text(encoding="utf-8"))
    assert "required" not in schema
    done = pytest_in(project)
    assert done.returncode == 0, done.stdout + done.stderr


def test_existing_files_are_not_overwritten_without_force(
    scaffold: Scaffold, example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = scaffold("orders_publisher")
    client = project / "orders_publisher" / "client.py"
    client.write_text("# my edits\n", encoding="utf-8")
    code, out, err = run(
        "scaffold", project, "--package", "orders_publisher", *ANSWERS, "--examples", example, capsys=capsys
    )
    assert code == 2 and out == ""
    count = len(render("orders_publisher", make_plan(Answers(200, "guaranteed", examples=(Example("x", ORDER),)))))
    count -= 1  # an existing pyproject.toml is the project's own: kept, never a reason to refuse
    assert err.startswith(f"publisher-check scaffold: error: DEST: would overwrite {count} existing file(s) (")
    assert err.rstrip().endswith("pass --force to replace them") and err.count("\n") == 1
    assert client.read_text(encoding="utf-8") == "# my edits\n"
    code, _, _ = run(
        "scaffold", project, "--package", "orders_publisher", *ANSWERS, "--examples", example, "--force", capsys=capsys
    )
    assert code == 0 and "def publish_event" in client.read_text(encoding="utf-8")


def test_other_files_in_the_project_are_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "tests").mkdir()
    mine = tmp_path / "tests" / "test_mine.py"
    mine.write_text("def test_mine() -> None:\n    pass\n", encoding="utf-8")
    code, out, _ = run("scaffold", tmp_path, "--package", "events", *ANSWERS, capsys=capsys)
    count = len(render("events", make_plan(Answers(200, "guaranteed"))))
    assert code == 0 and f"Wrote {count} files for package events" in out
    assert mine.read_text(encoding="utf-8") == "def test_mine() -> None:\n    pass\n"


@pytest.mark.parametrize(
    ("package", "message"),
    [
        ("queue", "'queue' would shadow the module 'queue'"),
        ("requests", "'requests' would shadow"),
        ("flask", "'flask' would shadow"),
        ("class", "'class' is not a valid Python package name"),
        ("1events", "'1events' is not a valid Python package name"),
        ("my-events", "'my-events' is not a valid Python package name"),
    ],
)
def test_package_names_that_cannot_work_are_refused(package: str, message: str) -> None:
    with pytest.raises(ScaffoldError, match=message):
        check_package_name(package)


def test_bad_package_or_dest_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run("scaffold", tmp_path / "p", "--package", "json", *ANSWERS, capsys=capsys)
    assert (
        code == 2
        and err.startswith("publisher-check scaffold: error: --package: 'json' would shadow")
        and err.count("\n") == 1
    )
    afile = tmp_path / "afile"
    afile.write_text("", encoding="utf-8")
    code, _, err = run("scaffold", afile, "--package", "events", *ANSWERS, capsys=capsys)
    assert code == 2 and err.count("\n") == 1 and "error:" in err
    code, _, err = run(
        "scaffold", tmp_path / "q", "--package", "events", "--volume", "20000", "--sla", "exactly-once", capsys=capsys
    )
    assert code == 2 and err.startswith("publisher-check scaffold: error: --volume: 20,000 events/s")
    assert not (tmp_path / "q").exists()


def test_render_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    files = render("events", make_plan(Answers(5, "best-effort", framework="flask")))
    assert "events/integrations/flask.py" in {path.as_posix() for path in files}
    assert list(tmp_path.iterdir()) == []


def test_scaffold_works_from_an_installed_non_editable_copy(tmp_path: Path) -> None:
    """A wheel-style install (not the repository folders) carries the reference and the templates."""
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for folder in ("reference_impl", "checker", "rules"):
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile", "--target", str(site), str(source)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    assert (site / "publisher_check" / "skill" / "templates" / "integrations" / "flask.py.tmpl").is_file()
    project = tmp_path / "project"
    environment = {**os.environ, "PYTHONPATH": str(site)}
    code = (
        "import activity_publisher, publisher_check, sys\n"
        f"assert activity_publisher.__file__.startswith({str(site)!r}), activity_publisher.__file__\n"
        f"assert publisher_check.__file__.startswith({str(site)!r}), publisher_check.__file__\n"
        "from publisher_check.cli.entry import main\n"
        "main(sys.argv[1:])\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "scaffold",
            str(project),
            "--package",
            "events",
            "--volume",
            "50",
            "--sla",
            "guaranteed",
            "--framework",
            "flask",
        ],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (project / "events" / "integrations" / "flask.py").is_file()
    assert (project / "events" / "schemas" / "activity_envelope.json").is_file()
    tests = pytest_in(project)
    assert tests.returncode == 0, tests.stdout + tests.stderr


@pytest.mark.timeout(240)
def test_the_scaffold_declares_what_it_needs_and_passes_in_a_fresh_venv(scaffold: Scaffold, tmp_path: Path) -> None:
    """Its own ``pip install -e '.[test]'`` in a venv without this project's packages, then its tests."""
    project = scaffold("orders_publisher", "--framework", "flask")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", ".[test]"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    tested = subprocess.run(
        [str(python), "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert "passed" in tested.stdout, tested.stdout[-2000:]
