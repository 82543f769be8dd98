"""The models, their shipped schemas, and validation at the publish_* call site."""

import dataclasses
import json
from datetime import datetime, timezone
from importlib.resources import files
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from activity_publisher import ActivityEnvelope, AuditLogActivity, EventValidationError

from .conftest import MakeClient
from .server import ScriptedServer

WHEN = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def audit(**changes: Any) -> AuditLogActivity:
    valid = AuditLogActivity(
        actor="user:42",
        action="invoice.delete",
        resource="invoice:4711",
        outcome="success",
        tenant_id="acme",
        occurred_at=WHEN,
        request_id="req-1",
        correlation_id="corr-1",
        metadata={"ip": "10.0.0.1", "reasons": ["gdpr"], "size": 3},
    )
    return dataclasses.replace(valid, **changes)


def test_models_are_frozen_and_slotted() -> None:
    for model in (ActivityEnvelope("Create", "urn:a", "urn:b"), audit()):
        with pytest.raises(dataclasses.FrozenInstanceError):
            model.actor = "other"  # type: ignore[misc]
        assert not hasattr(model, "__dict__")


def test_envelope_to_dict_is_activity_streams_shaped() -> None:
    envelope = ActivityEnvelope(
        "Create",
        {"type": "Person", "id": "urn:user:1"},
        "urn:note:2",
        target={"type": "Collection", "id": "urn:c"},
        published=WHEN,
        id="urn:activity:3",
        summary="Alice created a note",
    )
    assert envelope.to_dict() == {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Create",
        "actor": {"type": "Person", "id": "urn:user:1"},
        "object": "urn:note:2",
        "target": {"type": "Collection", "id": "urn:c"},
        "published": "2030-01-02T03:04:05+00:00",
        "id": "urn:activity:3",
        "summary": "Alice created a note",
    }
    assert "target" not in ActivityEnvelope("Like", "urn:a", "urn:b").to_dict()


def test_audit_to_dict() -> None:
    assert audit().to_dict() == {
        "actor": "user:42",
        "action": "invoice.delete",
        "resource": "invoice:4711",
        "outcome": "success",
        "tenant_id": "acme",
        "occurred_at": "2030-01-02T03:04:05+00:00",
        "request_id": "req-1",
        "correlation_id": "corr-1",
        "metadata": {"ip": "10.0.0.1", "reasons": ["gdpr"], "size": 3},
    }
    assert AuditLogActivity("u", "login", "app", "denied", "t").occurred_at.tzinfo is not None


@pytest.mark.parametrize("name", ["activity_envelope.json", "audit_log_activity.json"])
def test_schemas_ship_with_the_package_and_are_valid(name: str) -> None:
    schema = json.loads((files("activity_publisher") / "schemas" / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)


def test_valid_models_are_published(server: ScriptedServer, make_client: MakeClient) -> None:
    client = make_client(server.url)
    client.publish_activity(ActivityEnvelope("Create", "urn:a", "urn:b", published=WHEN))
    client.publish_audit_log(audit())
    assert client.flush(10)
    assert [r.json() for r in server.requests] == [
        ActivityEnvelope("Create", "urn:a", "urn:b", published=WHEN).to_dict(),
        audit().to_dict(),
    ]


@pytest.mark.parametrize(
    ("activity", "path"),
    [
        (ActivityEnvelope("", "urn:a", "urn:b"), "$.type"),
        (ActivityEnvelope("Create", 5, "urn:b"), "$.actor"),  # type: ignore[arg-type]
        (ActivityEnvelope("Create", {"type": ""}, "urn:b"), "$.actor.type"),
        (ActivityEnvelope("Create", "urn:a", {"id": "urn:b"}), "$.object"),
        (ActivityEnvelope("Create", "urn:a", "urn:b", target={"type": "X", "id": 7}), "$.target.id"),
        (ActivityEnvelope("Create", "urn:a", "urn:b", published=datetime(2030, 1, 1)), "$.published"),
        (ActivityEnvelope("Create", "urn:a", "urn:b", summary=3), "$.summary"),  # type: ignore[arg-type]
    ],
)
def test_invalid_activity_names_the_field_and_enqueues_nothing(
    make_client: MakeClient, server: ScriptedServer, activity: ActivityEnvelope, path: str
) -> None:
    client = make_client(server.url)
    with pytest.raises(EventValidationError) as raised:
        client.publish_activity(activity)
    assert raised.value.path == path
    assert f"at {path}:" in str(raised.value)
    assert isinstance(raised.value, ValueError)
    assert client.stats.published == 0
    assert client.flush(1) and server.requests == []


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"actor": None}, "$.actor"),
        ({"action": ""}, "$.action"),
        ({"resource": "   "}, "$.resource"),
        ({"outcome": "maybe"}, "$.outcome"),
        ({"tenant_id": "x" * 300}, "$.tenant_id"),
        ({"occurred_at": datetime(2030, 1, 1)}, "$.occurred_at"),  # naive: no offset
        ({"request_id": ""}, "$.request_id"),
        ({"metadata": {"ok": 1, "when": datetime.now}}, "$.metadata.when"),
        ({"metadata": {"nested": {"deep": {1, 2}}}}, "$.metadata.nested.deep"),
    ],
)
def test_invalid_audit_log_names_the_field_and_enqueues_nothing(
    make_client: MakeClient, server: ScriptedServer, changes: dict[str, Any], path: str
) -> None:
    client = make_client(server.url)
    with pytest.raises(EventValidationError) as raised:
        client.publish_audit_log(audit(**changes))
    assert raised.value.path == path
    assert client.stats.published == 0


def test_publish_takes_only_the_right_types(make_client: MakeClient, server: ScriptedServer) -> None:
    client = make_client(server.url)
    with pytest.raises(TypeError, match="takes a dict"):
        client.publish([("a", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.publish_activity(audit())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.publish_audit_log({"actor": "x"})  # type: ignore[arg-type]
    assert client.stats.published == 0
