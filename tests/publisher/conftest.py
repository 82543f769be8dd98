"""Fixtures for the publisher tests: a real server, a dead port, clients that are always closed."""

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from activity_publisher import ActivityClient, DeliveryReport

from .server import ScriptedServer

#: Fast retries for tests; each test overrides what it is about. One event per request unless a
#: test asks for batches: most tests look at single requests (the default of 100 has its own tests).
FAST: dict[str, Any] = {"initial_delay": 0.01, "max_delay": 0.05, "request_timeout": 5.0, "batch_size": 1}

MakeClient = Callable[..., ActivityClient]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: runs a subprocess or waits on purpose for a second or more")


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


@pytest.fixture
def dead_url() -> str:
    """An endpoint where nothing listens: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/ingest"


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """ActivityClient(endpoint, **FAST | kwargs), closed at teardown whatever the test did."""
    clients: list[ActivityClient] = []

    def make(endpoint: str, **kwargs: Any) -> ActivityClient:
        client = ActivityClient(endpoint, **(FAST | kwargs))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close(timeout=1.0)


class Collector:
    """Collects the reports of every event name on a client."""

    def __init__(self, client: ActivityClient) -> None:
        self.reports: list[DeliveryReport] = []
        for name in ("success_sent", "retry", "rate_limited", "error", "final_error", "dropped"):
            client.on(name, self.reports.append)

    def named(self, name: str) -> list[DeliveryReport]:
        return [report for report in self.reports if report.event_name == name]

    def count(self, name: str) -> int:
        return sum(len(report.events) for report in self.named(name))
