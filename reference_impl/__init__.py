"""A non-blocking HTTP event publisher: the reference implementation.

    from activity_publisher import ActivityClient

    with ActivityClient("https://collector.example/activities") as client:
        client.publish({"type": "login", "user": "u-42"})

publish*() only validates and queues; daemon workers deliver with retries and report every
event's outcome (``on()``, ``stats``, the error callback).
"""

from .builder import ActivityClientBuilder
from .client import ActivityClient
from .ledger import ClientClosedError, QueueFullError, SpoolFullError
from .models import ActivityEnvelope, AuditLogActivity
from .reports import EVENT_NAMES, SPOOL_EVENT_NAMES, DeliveryReport, DeliveryStats, ErrorContext, ErrorSeverity
from .spool import SpoolCorruptError, SpoolError, SpoolLockedError
from .validation import EventValidationError

__all__ = [
    "EVENT_NAMES",
    "SPOOL_EVENT_NAMES",
    "ActivityClient",
    "ActivityClientBuilder",
    "ActivityEnvelope",
    "AuditLogActivity",
    "ClientClosedError",
    "DeliveryReport",
    "DeliveryStats",
    "ErrorContext",
    "ErrorSeverity",
    "EventValidationError",
    "QueueFullError",
    "SpoolCorruptError",
    "SpoolError",
    "SpoolFullError",
    "SpoolLockedError",
]
