"""Repository-level promises: README commands, CI entry point, dogfooding."""

from __future__ import annotations

import json
import re
from pathlib import Path

from publisher_check.config import Config
from publisher_check.engine import run

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", quick_start)


def test_readme_opens_with_the_two_newcomer_commands() -> None:
    main_job, test_suite = readme_commands()
    assert main_job.startswith("python3 -m venv .venv && ") and "publisher-check fixtures/sample" in main_job
    assert test_suite.startswith("python3 -m venv .venv && ") and test_suite.endswith(".venv/bin/pytest")


def test_ci_runs_the_readme_test_command() -> None:
    _main_job, test_suite = readme_commands()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_suite in ci.splitlines()
    assert "set -euo pipefail" in ci


def test_reference_implementation_passes_its_own_checker() -> None:
    result = run([REPO / "reference_impl"], Config())
    assert result.publisher_found
    assert result.errors == ()
    assert [f"{v.path.name}:{v.line} {v.rule} {v.message}" for v in result.violations] == []


def test_readme_publisher_example_runs_against_a_local_collector() -> None:
    """The README's Python example, word for word but for the endpoint, delivers its event."""
    import http.server
    import subprocess
    import sys
    import threading

    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## The reference publisher", 1)[1]
    example = re.search(r"```python\n(.+?)\n```", section, re.S)
    assert example is not None
    received: list[bytes] = []

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/activities"
        code = example.group(1).replace("https://collector.internal/activities", url)
        completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    finally:
        server.shutdown()
    assert completed.returncode == 0, completed.stderr
    # Batched by default: the body is {"batch": [...]} (batch_size=1 would post the event itself).
    assert [json.loads(body) for body in received] == [{"batch": [{"type": "login", "actor": "u-42"}]}]
    assert "success_sent=1" in completed.stdout
