"""The framework patterns in docs/frameworks.md, run as documented against a scaffolded project.

Each documented ``app.py`` is written into a project scaffolded with ``--framework``; a driver
test drives it with the framework's own test client against the scaffold's LocalCollector
(a real HTTP server on 127.0.0.1), in a fresh interpreter, the way the skill runs tests.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from publisher_check.cli.entry import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = {"type": "order.placed", "order_id": "o-1001", "amount": 42.5}

DRIVERS = {
    "fastapi": """
        import importlib

        import pytest
        from fastapi.testclient import TestClient
        from orders_publisher.testing import LocalCollector


        def test_documented_fastapi_app(monkeypatch: pytest.MonkeyPatch) -> None:
            with LocalCollector() as collector:
                monkeypatch.setenv("COLLECTOR_URL", collector.url)
                app = importlib.import_module("app").app
                with TestClient(app) as http:
                    assert http.post("/orders", json={"order_id": "o-7", "amount": 3.5}).status_code == 202
                    assert http.post("/orders", json={"order_id": "o-8"}).status_code == 422
                    client = app.state.activity_client
                # The lifespan closed the client at shutdown, which flushed the queue.
                assert collector.events == [{"type": "order.placed", "order_id": "o-7", "amount": 3.5}]
                assert client.stats.success_sent == client.stats.published == 1
    """,
    "flask": """
        import importlib

        import pytest

        from orders_publisher import ClientClosedError
        from orders_publisher.testing import LocalCollector


        def test_documented_flask_app(monkeypatch: pytest.MonkeyPatch) -> None:
            with LocalCollector() as collector:
                monkeypatch.setenv("COLLECTOR_URL", collector.url)
                module = importlib.import_module("app")
                app = module.create_app()
                http = app.test_client()
                assert http.post("/orders", json={"order_id": "o-7", "amount": 3.5}).status_code == 202
                assert http.post("/orders", json={"order_id": "o-8"}).status_code == 422
                client = module.publisher.client(app)
                module.publisher.close(app)  # app teardown: flush, then stop
                assert collector.events == [{"type": "order.placed", "order_id": "o-7", "amount": 3.5}]
                with pytest.raises(ClientClosedError):
                    client.publish_event({"type": "order.placed", "order_id": "o-9", "amount": 1.0})
    """,
}


def documented_app(framework: str) -> str:
    """The ``app.py`` block of docs/frameworks.md for ``framework``."""
    text = (REPO / "docs" / "frameworks.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.+?)\n```", text, flags=re.DOTALL)
    return next(block for block in blocks if f"integrations.{framework} import" in block) + "\n"


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_the_documented_pattern_works(framework: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = tmp_path / "order_placed.json"
    example.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    project = tmp_path / "project"
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "scaffold",
                str(project),
                "--package",
                "orders_publisher",
                "--volume",
                "200",
                "--reliability",
                "guaranteed",
                "--framework",
                framework,
                "--examples",
                str(example),
            ]
        )
    assert exited.value.code == 0, capsys.readouterr().err
    (project / "app.py").write_text(documented_app(framework), encoding="utf-8")
    (project / "tests" / "test_documented_app.py").write_text(textwrap.dedent(DRIVERS[framework]), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    generated = {"fastapi": 1, "flask": 2}[framework]
    assert f"{5 + generated + 1} passed" in done.stdout  # the publisher's, the integration's, the documented app's


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_the_documented_app_passes_the_checker_with_the_publisher(
    framework: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    with pytest.raises(SystemExit):
        main(
            [
                "scaffold",
                str(project),
                "--package",
                "orders_publisher",
                "--volume",
                "5",
                "--sla",
                "best-effort",
                "--framework",
                framework,
            ]
        )
    (project / "app.py").write_text(documented_app(framework), encoding="utf-8")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main([str(project), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert (exited.value.code, report["violations"]) == (0, [])
