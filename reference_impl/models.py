"""The event models: immutable, typed, turned into JSON-ready dicts by ``to_dict()``.

``publish_activity`` and ``publish_audit_log`` validate ``to_dict()`` against the JSON Schemas in
``schemas/``, so a field's rules live in one place: its schema.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Final, Literal

ACTIVITY_STREAMS_CONTEXT: Final = "https://www.w3.org/ns/activitystreams"

#: An Activity Streams reference: an IRI string, or an object with at least a "type".
ObjectOrLink = str | Mapping[str, Any]
AuditOutcome = Literal["success", "failure", "denied"]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _plain(value: Any) -> Any:
    """A JSON-ready copy: mappings become dicts, lists and tuples lists, datetimes ISO 8601."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class ActivityEnvelope:
    """A W3C Activity Streams 2.0 shaped activity: ``actor`` did ``type`` to ``object``."""

    type: str  # "Create", "Update", "Like", ...
    actor: ObjectOrLink
    object: ObjectOrLink
    target: ObjectOrLink | None = None
    published: datetime | None = None  # timezone-aware
    id: str | None = None
    summary: str | None = None

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "@context": ACTIVITY_STREAMS_CONTEXT,
            "type": self.type,
            "actor": _plain(self.actor),
            "object": _plain(self.object),
        }
        optional = {
            "target": self.target,
            "published": self.published,
            "id": self.id,
            "summary": self.summary,
        }
        document.update({key: _plain(value) for key, value in optional.items() if value is not None})
        return document


@dataclass(frozen=True, slots=True)
class AuditLogActivity:
    """Who (``actor``) did what (``action``) to which ``resource``, with what outcome, when, where."""

    actor: str  # a user or service id
    action: str  # e.g. "invoice.delete"
    resource: str  # e.g. "invoice:4711"
    outcome: AuditOutcome
    tenant_id: str
    occurred_at: datetime = field(default_factory=_utc_now)  # timezone-aware
    request_id: str | None = None
    correlation_id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "actor": self.actor,
            "action": self.action,
            "resource": self.resource,
            "outcome": self.outcome,
            "tenant_id": self.tenant_id,
            "occurred_at": _plain(self.occurred_at),
            "metadata": _plain(self.metadata),
        }
        optional = {"request_id": self.request_id, "correlation_id": self.correlation_id}
        document.update({key: value for key, value in optional.items() if value is not None})
        return document
