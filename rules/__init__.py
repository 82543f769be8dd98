"""The checklist rules, one module per rule (PUB001–PUB017)."""

from __future__ import annotations

from publisher_check.rule import Rule

from .pub001_nonblocking_publish import NonBlockingPublish
from .pub002_thread_safe_queue import ThreadSafeQueue
from .pub003_bounded_queue import BoundedQueue
from .pub004_queue_full_raises import QueueFullRaises
from .pub005_daemon_worker import DaemonWorker
from .pub006_exponential_backoff import ExponentialBackoff
from .pub007_status_classification import StatusClassification
from .pub008_retry_after import RetryAfter
from .pub009_permanent_4xx import PermanentClientErrors
from .pub010_callback_timeout import CallbackTimeout
from .pub011_context_manager import ContextManager
from .pub012_flush_join import FlushJoins
from .pub013_close_flushes import CloseFlushes
from .pub014_on_handlers import EventHandlers
from .pub015_fluent_builder import FluentBuilder
from .pub016_frozen_models import FrozenModels
from .pub017_type_hints import TypeHints

ALL_RULES: tuple[type[Rule], ...] = (
    NonBlockingPublish,
    ThreadSafeQueue,
    BoundedQueue,
    QueueFullRaises,
    DaemonWorker,
    ExponentialBackoff,
    StatusClassification,
    RetryAfter,
    PermanentClientErrors,
    CallbackTimeout,
    ContextManager,
    FlushJoins,
    CloseFlushes,
    EventHandlers,
    FluentBuilder,
    FrozenModels,
    TypeHints,
)
