"""--metrics-url: the metrics reach a real HTTP server on 127.0.0.1; failures are one bounded line."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from publisher_check.cli.check import main
from publisher_check.reports import orchestrator
from publisher_check.reports.orchestrator import EndpointType, HeaderType, host_of, post_metrics

METRICS = {"sessionId": "s-1", "finalViolations": 2}
SECRET = "Bearer s3cr3t-t0ken-value"


@dataclass
class Collector:
    """What the test server saw, and how it should answer."""

    status: int = 201
    hang: bool = False
    bodies: list[Any] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def serve(collector: Collector) -> tuple[ThreadingHTTPServer, threading.Thread]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            collector.bodies.append(json.loads(self.rfile.read(length)))
            collector.headers.append(dict(self.headers.items()))
            if collector.hang:
                collector.release.wait(10)  # bounded: the test releases it at teardown
                return
            self.send_response(collector.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def collector() -> Iterator[tuple[Collector, str]]:
    state = Collector()
    server, thread = serve(state)
    yield state, f"http://127.0.0.1:{server.server_address[1]}/metrics?token=q-secret"
    state.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def dead_url() -> str:
    """A loopback port nobody listens on: bound, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/metrics"


def test_metrics_and_headers_reach_the_server(collector: tuple[Collector, str]) -> None:
    state, url = collector
    outcome = post_metrics(url, METRICS, {"Authorization": SECRET})
    assert outcome.sent and outcome.detail.startswith("HTTP 201")
    assert state.bodies == [METRICS]
    assert state.headers[0]["Authorization"] == SECRET
    assert state.headers[0]["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("status", "attempts", "detail"), [(401, 1, "HTTP 401 Unauthorized"), (503, 2, "HTTP 503")]
)
def test_a_rejected_post_names_the_status(
    collector: tuple[Collector, str], status: int, attempts: int, detail: str
) -> None:
    state, url = collector
    state.status = status
    outcome = post_metrics(url, METRICS, {})
    assert not outcome.sent and outcome.detail.startswith(detail)
    assert len(state.bodies) == attempts  # 4xx is permanent; 5xx is retried once


def test_a_dead_port_is_refused_quickly() -> None:
    started = time.monotonic()
    outcome = post_metrics(dead_url(), METRICS, {})
    assert not outcome.sent and outcome.detail == "connection refused after 2 attempts"
    assert time.monotonic() - started < orchestrator.DEADLINE


def test_a_hanging_server_times_out_within_the_deadline(collector: tuple[Collector, str]) -> None:
    state, url = collector
    state.hang = True
    started = time.monotonic()
    outcome = post_metrics(url, METRICS, {"Authorization": SECRET})
    elapsed = time.monotonic() - started
    assert not outcome.sent and outcome.detail.startswith("timed out")
    assert elapsed < orchestrator.DEADLINE + 1.0


def test_the_host_is_shown_without_credentials_path_or_query() -> None:
    assert host_of("https://user:pw@orchestrator.internal:8443/a/b?token=x") == "orchestrator.internal:8443"


@pytest.mark.parametrize(
    "given",
    [
        "Bearer HIDDEN",
        "Authorization:",
        "Author ization: HIDDEN",
        ": HIDDEN",
        "X-Key: HID\nDEN",
        "X-Key: HID\rDEN",
    ],
)
def test_bad_headers_are_refused_without_echoing_them(given: str) -> None:
    with pytest.raises(click.BadParameter) as caught:
        HeaderType().convert(given, None, None)
    message = caught.value.format_message()
    assert "'Name: value'" in message or "is empty or has control characters" in message
    assert "HID" not in message and "DEN" not in message


def test_good_headers_are_split_and_stripped() -> None:
    assert HeaderType().convert("Authorization:  Bearer x y ", None, None) == ("Authorization", "Bearer x y")


@pytest.mark.parametrize("given", ["ftp://host/x", "localhost:8080", "http:///nohost", "http://[::1"])
def test_bad_urls_are_refused_without_echoing_them(given: str) -> None:
    with pytest.raises(click.BadParameter) as caught:
        EndpointType().convert(given, None, None)
    assert given not in caught.value.format_message()


# Through the command line -------------------------------------------------------------------


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


SAMPLE = "fixtures/sample"  # has violations: exit 1
COMPLIANT = "fixtures/compliant_split"  # none: exit 0


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])


def test_cli_posts_the_metrics_of_the_report(collector: tuple[Collector, str]) -> None:
    state, url = collector
    code, out, err = invoke(
        SAMPLE,
        "--format",
        "json",
        "--session-id",
        "run-7",
        "--metrics-url",
        url,
        "--metrics-header",
        f"Authorization: {SECRET}",
    )
    assert code == 1 and err == ""
    assert state.bodies == [json.loads(out)["metrics"]]
    assert state.bodies[0]["sessionId"] == "run-7"
    assert state.headers[0]["Authorization"] == SECRET


def test_cli_headers_from_the_environment(collector: tuple[Collector, str]) -> None:
    state, url = collector
    env = {orchestrator.HEADER_ENVVAR: f"Authorization: {SECRET}\nX-Team: checkers"}
    code, _out, err = invoke(COMPLIANT, "--metrics-url", url, env=env)
    assert code == 0 and err == ""
    assert state.headers[0]["Authorization"] == SECRET and state.headers[0]["X-Team"] == "checkers"


@pytest.mark.parametrize(("target", "expected_code"), [(SAMPLE, 1), (COMPLIANT, 0)])
def test_cli_dead_endpoint_changes_nothing_but_one_stderr_line(target: str, expected_code: int) -> None:
    url = dead_url()
    baseline_code, baseline_out, _ = invoke(target, "--session-id", "s")
    started = time.monotonic()
    code, out, err = invoke(
        target, "--session-id", "s", "--metrics-url", url, "--metrics-header", f"Authorization: {SECRET}"
    )
    assert time.monotonic() - started < orchestrator.DEADLINE + 10  # the check itself plus the bounded post
    assert code == baseline_code == expected_code
    assert out == baseline_out
    host = url.split("/")[2]
    assert err == f"publisher-check: metrics not posted to {host}: connection refused after 2 attempts\n"
    assert "s3cr3t" not in err + out


@pytest.mark.parametrize(
    ("status", "detail"),
    [(500, "HTTP 500 Internal Server Error after 2 attempts"), (403, "HTTP 403 Forbidden")],
)
def test_cli_rejected_post_names_the_status(
    collector: tuple[Collector, str], status: int, detail: str
) -> None:
    state, url = collector
    state.status = status
    code, _out, err = invoke(COMPLIANT, "--metrics-url", url, "--metrics-header", f"Authorization: {SECRET}")
    assert code == 0
    assert err == f"publisher-check: metrics not posted to {url.split('/')[2]}: {detail}\n"
    assert "s3cr3t" not in err and "q-secret" not in err and "/metrics" not in err


def test_cli_hanging_endpoint_is_bounded(collector: tuple[Collector, str]) -> None:
    state, url = collector
    state.hang = True
    started = time.monotonic()
    code, _out, err = invoke(COMPLIANT, "--metrics-url", url)
    assert time.monotonic() - started < orchestrator.DEADLINE + 10
    assert code == 0 and "timed out" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--metrics-url", "http://127.0.0.1:9/x", "--metrics-header", "Bearer HIDDEN"), "--metrics-header"),
        (("--metrics-url", "ftp://127.0.0.1/HIDDEN"), "--metrics-url"),
        (("--metrics-header", "Authorization: HIDDEN"), "--metrics-header needs --metrics-url"),
        (
            (
                "--metrics-url",
                "http://127.0.0.1:9/x",
                "--metrics-header",
                "A: HIDDEN",
                "--metrics-header",
                "a: HIDDEN",
            ),
            "more than once",
        ),
    ],
)
def test_cli_bad_metrics_options_are_usage_errors_that_hide_values(
    args: tuple[str, ...], needle: str
) -> None:
    started = time.monotonic()
    code, out, err = invoke(COMPLIANT, *args)
    assert code == 2 and needle in err and "HIDDEN" not in err + out
    assert time.monotonic() - started < 5  # refused before any check or post runs
