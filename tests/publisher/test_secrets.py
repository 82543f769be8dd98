"""Configured headers and URL tokens never reach an ErrorContext, a report or a log line."""

import logging

import pytest

from activity_publisher import ActivityClient, DeliveryReport, ErrorContext

from .conftest import Collector, MakeClient
from .server import Reply, ScriptedServer

TOKEN = "Bearer hdr-s3cr3t-t0ken"
QUERY_SECRET = "qs-s3cr3t-t0ken"
PASSWORD = "pw-s3cr3t"
SECRETS = ("hdr-s3cr3t", QUERY_SECRET, PASSWORD)


def everything_said(
    contexts: list[ErrorContext],
    reports: list[DeliveryReport],
    caplog: pytest.LogCaptureFixture,
    client: ActivityClient,
) -> str:
    ours = [r for r in caplog.records if r.name.startswith("activity_publisher")]
    texts = [repr(c) for c in contexts] + [repr(r) for r in reports] + [repr(client), repr(client._config)]
    texts += [r.getMessage() for r in ours]
    return "\n".join(texts)


@pytest.mark.parametrize(
    "reply",
    [Reply(503), Reply(400), Reply(429, {"Retry-After": "0"}), Reply(200, delay=1.0), Reply(hang=True)],
    ids=["503", "400", "429", "timeout", "hung-then-closed"],
)
def test_no_secret_in_contexts_reports_or_logs(
    server: ScriptedServer, make_client: MakeClient, caplog: pytest.LogCaptureFixture, reply: Reply
) -> None:
    server.set_default(reply)
    contexts: list[ErrorContext] = []
    url = server.url + f"?token={QUERY_SECRET}"
    with caplog.at_level(logging.DEBUG):
        client = make_client(
            url,
            headers={"Authorization": TOKEN, "X-Api-Key": PASSWORD},
            max_attempts=2,
            request_timeout=0.2,
            error_callback=contexts.append,
            include_event_data=True,
        )
        seen = Collector(client)
        client.publish({"n": 1})
        client.close(3)
    server.release()
    assert server.requests and server.requests[0].header("Authorization") == TOKEN  # it was sent
    assert server.requests[0].header("X-Api-Key") == PASSWORD
    assert contexts or seen.reports
    said = everything_said(contexts, seen.reports, caplog, client)
    for secret in SECRETS:
        assert secret not in said


def test_no_secret_in_network_errors(
    dead_url: str, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    contexts: list[ErrorContext] = []
    url = dead_url.replace("http://", f"http://user:{PASSWORD}@") + f"?token={QUERY_SECRET}&x=1"
    with caplog.at_level(logging.DEBUG):
        client = make_client(
            url, headers={"Authorization": TOKEN}, max_attempts=2, error_callback=contexts.append
        )
        seen = Collector(client)
        client.publish({"n": 1})
        assert client.flush(10)
    assert [c.category for c in contexts] == ["network", "network"]
    assert "url: [redacted]" in contexts[0].error and "port=" in contexts[0].error  # still useful
    said = everything_said(contexts, seen.reports, caplog, client)
    for secret in SECRETS:
        assert secret not in said


def test_bad_headers_and_endpoints_are_rejected_without_echoing_them() -> None:
    with pytest.raises(ValueError) as raised:
        ActivityClient("http://127.0.0.1:1/x", headers={"Authorization": "Bearer hdr-s3cr3t\n"})
    assert "Authorization" in str(raised.value) and "hdr-s3cr3t" not in str(raised.value)
    with pytest.raises(ValueError) as raised:
        ActivityClient(f"ftp://host/x?token={QUERY_SECRET}")
    assert "endpoint" in str(raised.value) and QUERY_SECRET not in str(raised.value)
