"""ActivityClient: a non-blocking HTTP event publisher.

publish*() validates and calls ``put_nowait`` on a bounded ``queue.Queue``, nothing else. Daemon
worker threads loop get -> send (with retries) -> task_done. flush() is built on the queue's join
semantics; close() flushes, stops the workers and reports what is left as dropped, all within
one deadline. An open client is flushed at interpreter exit, and re-made in a forked child.
"""

import atexit
import logging
import os
import queue
import threading
import time
import weakref
from collections import deque
from collections.abc import Mapping
from itertools import groupby
from typing import TYPE_CHECKING, Any, Final, Self

import requests

from . import process_exit
from .callbacks import CallbackRunner, ErrorCallback, Handler, HandlerRegistry, LogThrottle, is_users_interrupt
from .config import ClientConfig
from .delivery import (
    AttemptResult,
    Category,
    backoff_delay,
    classify_exception,
    classify_status,
    describe_exception,
    describe_status,
    retry_after_delay,
    secret_forms,
)
from .encoding import encode_batch, encode_text
from .ledger import ClientClosedError, Entry, EventQueue, QueueFullError, encoded
from .models import ActivityEnvelope, AuditLogActivity
from .reports import (
    DROPPED,
    ERROR,
    FINAL_ERROR,
    RATE_LIMITED,
    REPLAYED,
    RETRY,
    SUCCESS_SENT,
    DeliveryReport,
    DeliveryStats,
    ErrorContext,
    ErrorSeverity,
)
from .spool import Spool
from .spool_writer import SpoolWriter
from .transport import Transport
from .validation import ACTIVITY_ENVELOPE_VALIDATOR, AUDIT_LOG_ACTIVITY_VALIDATOR, validate

if TYPE_CHECKING:
    from .builder import ActivityClientBuilder

logger = logging.getLogger(__name__)

#: How long an idle worker waits for an event before it looks at the shutdown flag again.
POLL_INTERVAL: Final = 0.1
#: How long close() without a timeout (and ``with client:``) waits for delivery at most, as
#: OpenTelemetry's batch processor does; the exit hook uses the shorter ``shutdown_timeout``.
CLOSE_TIMEOUT: Final = 30.0
#: With a spool, close(timeout) stops waiting for delivery early enough to leave the spool
#: writer this share of its time, at most FINAL_COMMIT_RESERVE seconds, for its last commit.
FINAL_COMMIT_SHARE: Final = 0.25
FINAL_COMMIT_RESERVE: Final = 0.5
#: At interpreter exit, how long the ``dropped`` handlers of a client may run after its close()
#: gave up; a handler still running then is left behind on its daemon thread and logged.
DROPPED_HANDLERS_AT_EXIT: Final = 1.0

#: requests' own session headers (User-Agent, Accept...): no secrets to redact.
_DEFAULT_HEADERS: Final = requests.utils.default_headers()
#: Every client, for the exit hook and the fork hook. Weak: the registry keeps no client alive.
_CLIENTS: Final[weakref.WeakSet["ActivityClient"]] = weakref.WeakSet()


def _remaining(deadline: float | None) -> float | None:
    """Seconds left until ``deadline``, as a wait that ``threading`` accepts (never negative,
    at most ``threading.TIMEOUT_MAX``: ``close(float("inf"))`` means no bound, not an OverflowError)."""
    if deadline is None:
        return None
    return min(threading.TIMEOUT_MAX, max(0.0, deadline - time.monotonic()))


class ActivityClient:
    """Publishes JSON events to an HTTP endpoint from background threads.

    Use it as a context manager, or call close() when done: either waits until everything is
    delivered, for at most CLOSE_TIMEOUT seconds. An open client is flushed for at most
    ``shutdown_timeout`` seconds at interpreter exit. Events are posted up to ``batch_size`` (100)
    at a time as ``{"batch": [...]}``; with ``batch_size=1`` the body is the event itself.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        max_queue_size: int = 10_000,
        max_attempts: int = 5,
        initial_delay: float = 1.0,
        backoff_factor: float = 2.0,
        max_delay: float = 60.0,
        jitter: float = 0.0,
        request_timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        error_callback: ErrorCallback | None = None,
        error_callback_timeout: float = 5.0,
        include_event_data: bool = False,
        workers: int = 1,
        batch_size: int = 100,
        shutdown_timeout: float = 2.0,
        session: requests.Session | None = None,
        spool_path: str | os.PathLike[str] | None = None,
        spool_commit_interval: float = 0.05,
        spool_group_size: int = 1_000,
        spool_max_events: int = 100_000,
    ) -> None:
        self._config = ClientConfig(
            endpoint=endpoint,
            max_queue_size=max_queue_size,
            max_attempts=max_attempts,
            initial_delay=initial_delay,
            backoff_factor=backoff_factor,
            max_delay=max_delay,
            jitter=jitter,
            request_timeout=request_timeout,
            headers=dict(headers or {}),
            error_callback=error_callback,
            error_callback_timeout=error_callback_timeout,
            include_event_data=include_event_data,
            workers=workers,
            batch_size=batch_size,
            shutdown_timeout=shutdown_timeout,
            spool_path=None if spool_path is None else os.fspath(spool_path),
            spool_commit_interval=spool_commit_interval,
            spool_group_size=spool_group_size,
            spool_max_events=spool_max_events,
        )
        if session is not None and not isinstance(session, requests.Session):
            raise ValueError(f"session must be a requests.Session or None, got {type(session).__name__}")
        self._owns_session = session is None
        self._session = requests.Session() if session is None else session
        self._transport = Transport(self._session, endpoint, request_timeout)
        self._handlers = HandlerRegistry()
        self._callbacks = CallbackRunner(error_callback, error_callback_timeout)
        self._failure_log = LogThrottle()
        self._bug_logged = False  # an unexpected error's traceback is logged once
        self._queue = EventQueue(max_queue_size)
        self._spool: Spool | None = None
        self._spool_writer: SpoolWriter | None = None
        self._replayed: DeliveryReport | None = None  # what the spool held at start: for on("replayed")
        if self._config.spool_path is not None:
            self._open_spool(self._config.spool_path)
        self._shutdown = threading.Event()
        self._closed = threading.Event()
        self._at_exit = False  # the exit hook is closing this client
        self._workers = self._start_workers()
        _CLIENTS.add(self)
        process_exit.at_child_exit(_close_clients_at_exit)

    @classmethod
    def builder(cls) -> "ActivityClientBuilder":
        from .builder import ActivityClientBuilder  # builder.py imports this module

        return ActivityClientBuilder()

    # -- publishing: the caller's thread; validation and put_nowait only ----------------------

    def publish(self, event: dict[str, Any]) -> None:
        """Queue one JSON-serialisable event; never does I/O, never waits.

        Raises TypeError for a non-dict, ClientClosedError once close() was called, and
        QueueFullError (a ``queue.Full``) when the queue is full. The dict is sent as it is when a
        worker takes it: do not change it afterwards.
        """
        if not isinstance(event, dict):
            raise TypeError(f"publish() takes a dict, got {type(event).__name__}")
        if not self._queue.accepting:
            raise ClientClosedError()
        try:
            self._queue.put_nowait(Entry(event))  # with a spool, the queue numbers it for its id
        except queue.Full as full:
            self._queue.count_refused()
            if isinstance(full, QueueFullError):  # the spool's limit: its own message
                raise
            raise QueueFullError(self._config.max_queue_size) from None

    def publish_activity(self, activity: ActivityEnvelope) -> None:
        """Validate ``activity.to_dict()`` against its schema, then publish it.

        Raises EventValidationError (a ValueError) naming the JSON path of the bad field.
        """
        if not isinstance(activity, ActivityEnvelope):
            raise TypeError(f"publish_activity() takes an ActivityEnvelope, got {type(activity).__name__}")
        document = activity.to_dict()
        validate(document, ACTIVITY_ENVELOPE_VALIDATOR, "ActivityEnvelope")
        self.publish(document)

    def publish_audit_log(self, audit_log: AuditLogActivity) -> None:
        """Validate ``audit_log.to_dict()`` against its schema, then publish it."""
        if not isinstance(audit_log, AuditLogActivity):
            raise TypeError(f"publish_audit_log() takes an AuditLogActivity, got {type(audit_log).__name__}")
        document = audit_log.to_dict()
        validate(document, AUDIT_LOG_ACTIVITY_VALIDATOR, "AuditLogActivity")
        self.publish(document)

    # -- observing ----------------------------------------------------------------------------

    def on(self, event_name: str, handler: Handler) -> None:
        """Call ``handler(report)`` for every ``event_name`` report.

        Names: success_sent, retry, rate_limited, error, final_error, dropped, and with a spool
        persisted, persist_failed and replayed (others raise ValueError). Handlers run on a
        worker thread (``dropped`` on the thread of close() or the exit hook; ``persisted`` and
        ``persist_failed`` on the spool writer's): keep them short, and never call flush() or
        close() from one. A ``replayed`` handler is called at once, on this thread, with the
        events an earlier run left in the spool (if it held any): the replay was queued when
        the client opened the spool, before any handler could be registered.
        """
        self._handlers.add(event_name, handler)
        if event_name == REPLAYED and self._replayed is not None:
            self._handlers.call(handler, self._replayed)

    @property
    def stats(self) -> DeliveryStats:
        """A consistent snapshot of the counters, in events."""
        return self._queue.stats()

    # -- lifecycle ----------------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event published before this call has its outcome and its reports.

        Like ``queue.join()``, but events published while it waits are not waited for, so a
        steady stream cannot keep it waiting. With a timeout, return False if that has not
        happened by then.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        return self._queue.wait_for_accepted(lambda: _remaining(deadline))

    def close(self, timeout: float | None = None) -> None:
        """Refuse new events, flush, stop the workers, report what is left as dropped.

        Without a timeout, it waits until every event has its outcome or CLOSE_TIMEOUT (30 s)
        has passed; ``close(float("inf"))`` waits without a bound. One deadline covers all of it; only the ``dropped`` handlers, which run on this thread,
        come after it. Afterwards every published event has its outcome in ``stats``: events
        still queued or in a worker's hands count as ``dropped`` (not confirmed). A worker stuck
        in an HTTP request ends when that request does (``request_timeout``); it is a daemon and
        never delays exit. A report that a worker was handing to the on() handlers when the
        deadline passed can reach them just after close() returns (``stats`` already counts it).
        A Ctrl-C while it waits ends the waiting early: the events are settled as above before
        the KeyboardInterrupt goes on. Idempotent; a second call waits for the first. With a
        spool, the last part of the time (FINAL_COMMIT_SHARE, at most FINAL_COMMIT_RESERVE) is
        the writer's, for its last commit; one that takes longer ends after close() returns.
        """
        now = time.monotonic()
        deadline = now + (CLOSE_TIMEOUT if timeout is None else max(0.0, timeout))
        if not self._queue.stop_accepting():
            self._closed.wait(_remaining(deadline))
            return
        delivery_deadline = deadline
        if self._spool_writer is not None:  # keep a share of the time for the spool's last commit
            delivery_deadline -= min(FINAL_COMMIT_SHARE * (deadline - now), FINAL_COMMIT_RESERVE)
        try:
            self.flush(_remaining(delivery_deadline))
            self._shutdown.set()  # wakes workers waiting in backoff at once
            current = threading.current_thread()
            for worker in self._workers:
                if worker is not current:
                    worker.join(_remaining(delivery_deadline))
        finally:  # a Ctrl-C above only ends the waiting: every event still gets its outcome
            self._shutdown.set()
            try:
                self._drop_unsettled()  # with a spool they stay in it: the next client replays them
            finally:
                if self._spool_writer is not None and not self._spool_writer.stop(_remaining(deadline)):
                    logger.warning("activity publisher: the spool's last commit did not end in time")
                self._handlers.stop_thread()
                if self._owns_session:
                    self._session.close()
                self._closed.set()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the spool ----------------------------------------------------------------------------

    def _open_spool(self, path: str) -> None:
        """Open the spool, queue what an earlier run left in it, start its writer.

        Raises SpoolError (locked, corrupt, cannot be opened) here, at construction.
        """
        spool = Spool(path)
        config = self._config
        events = self._queue
        replayed = [Entry(event, event_id) for event_id, event in spool.pending()]
        events.spool_ops = deque()
        events.spool_limit = config.spool_max_events
        events.spool_path = spool.path
        events.spool_id_prefix = spool.id_prefix
        events.replay(replayed)
        self._spool = spool
        if replayed:
            logger.warning(
                "activity publisher: spool %s held %d event(s) from an earlier run; delivering them first",
                spool.path,
                len(replayed),
            )
            self._replayed = DeliveryReport(REPLAYED, tuple(entry.event for entry in replayed), 0, None, None)
        self._spool_writer = SpoolWriter(
            spool, events, config.spool_commit_interval, config.spool_group_size, self._spool_report
        )

    def _spool_report(self, report: DeliveryReport) -> None:
        """The writer's reports (persisted, persist_failed): counted, handed out."""
        self._queue.count(report.event_name, len(report.events))
        self._handlers.emit(report)

    # -- workers ------------------------------------------------------------------------------

    def _start_workers(self) -> list[threading.Thread]:
        workers = [
            threading.Thread(target=self._run_worker, name=f"activity-publisher-worker-{number}", daemon=True)
            for number in range(self._config.workers)
        ]
        for worker in workers:
            worker.start()
        return workers

    def _run_worker(self) -> None:
        """get -> deliver -> task_done until shutdown; no exception ends the loop."""
        while not self._shutdown.is_set():
            entries = self._take_batch()
            if not entries:
                continue
            try:
                self._deliver(entries)
            except BaseException as exc:  # sys.exit() in user code too: the worker must live on
                self._report_unexpected(entries, exc)
            finally:
                self._queue.done(entries)

    def _report_unexpected(self, entries: list[Entry], exc: BaseException) -> None:
        """A bug must neither kill the worker nor lose events silently: they end as ``error``.

        They are reported like any permanent failure (handlers, error callback, throttled
        warning); the traceback is logged for the first such bug only, so a bug that repeats
        for every batch cannot flood the log. Should that reporting fail too, the events are
        still counted and handed to the handlers, which never raise.
        """
        try:
            if not self._bug_logged:
                self._bug_logged = True  # a race between workers can at worst log a second traceback
                logger.error(
                    "activity publisher: unexpected error delivering %d event(s); counted as error, "
                    "later ones are logged without a traceback",
                    len(entries),
                    exc_info=exc,
                )
            result = AttemptResult(Category.PERMANENT, describe_exception(exc, self._secrets))
            self._report(ERROR, entries, 0, result, ErrorSeverity.ERROR)
        except BaseException as failure:
            held = self._queue.record(entries, ERROR, 0)
            if held:
                error = f"{type(exc).__name__} (and {type(failure).__name__} while reporting it)"
                context = ErrorContext(ErrorSeverity.ERROR, Category.PERMANENT.value, 0, error)
                self._handlers.emit(DeliveryReport(ERROR, tuple(e.event for e in held), 0, None, context))

    def _take_batch(self) -> list[Entry]:
        """Up to batch_size entries: wait briefly for the first, take the rest only if queued."""
        return self._queue.take(self._config.batch_size, POLL_INTERVAL)

    def _deliver(self, entries: list[Entry]) -> None:
        """Encode the events (one that is not JSON fails alone), then send the others.

        Without a spool a batch is encoded in one call, and event by event only if that fails;
        with one, each event is encoded once for the request and the spool (``ledger.encoded``).
        """
        if self._config.batch_size > 1 and self._spool is None:
            try:
                batch = encode_batch([entry.event for entry in entries])
            except Exception:
                pass
            else:
                self._send(entries, batch)
                return
        sendable: list[Entry] = []
        bodies: list[str] = []
        for entry in entries:
            try:
                body = encoded(entry)
            except Exception as exc:  # not JSON, or a mapping of user code that raises: this one fails alone
                result = AttemptResult(Category.VALIDATION, describe_exception(exc, self._secrets))
                self._report(ERROR, [entry], 0, result, ErrorSeverity.ERROR)
            else:
                sendable.append(entry)
                bodies.append(body)
        if not sendable:
            return
        if self._config.batch_size == 1:
            self._send(sendable, bodies[0].encode())
        else:
            ids = self._ids(sendable)
            tail = '],"ids":' + encode_text(ids) + "}" if ids else "]}"
            self._send(sendable, ('{"batch":[' + ",".join(bodies) + tail).encode())

    def _ids(self, entries: list[Entry]) -> list[str]:
        """The events' stable ids, sent in a batch body: with a spool only."""
        return [self._queue.stable_id(entry) for entry in entries] if self._spool is not None else []

    def _send(self, entries: list[Entry], body: bytes) -> None:
        """POST until success, a permanent failure, the last attempt or shutdown."""
        config = self._config
        # One key for every retry of this request, so the server can de-duplicate; a single
        # event with a spool is keyed by its own id, the same after a restart too.
        single_spooled = len(entries) == 1 and self._spool is not None
        key = self._queue.stable_id(entries[0]) if single_spooled else self._transport.request_key()
        headers = {**config.headers, "Content-Type": "application/json", "Idempotency-Key": key}
        try:
            request = self._transport.prepare(body, headers)  # once for every attempt
        except Exception as exc:  # e.g. a session header requests refuses: no attempt can succeed
            result = AttemptResult(classify_exception(exc), describe_exception(exc, self._secrets))
            self._report(ERROR, entries, 1, result, ErrorSeverity.ERROR)
            return
        for attempt in range(1, config.max_attempts + 1):
            result = self._post(request)
            if result.category is Category.SUCCESS:
                self._report(SUCCESS_SENT, entries, attempt, result)
                return
            if result.category is Category.PERMANENT:
                self._report(ERROR, entries, attempt, result, ErrorSeverity.ERROR)
                return
            if attempt == config.max_attempts:
                self._report(FINAL_ERROR, entries, attempt, result, ErrorSeverity.CRITICAL)
                return
            if self._shutdown.is_set():
                return  # close() stopped waiting: it reports these events as dropped
            if result.category is Category.RATE_LIMIT:
                delay = retry_after_delay(result.retry_after, max_delay=config.max_delay)
                if delay is None:
                    delay = self._backoff(attempt)
                self._report(RATE_LIMITED, entries, attempt, result, ErrorSeverity.LOW)
            else:
                delay = self._backoff(attempt)
                self._report(RETRY, entries, attempt, result, ErrorSeverity.WARN)
            if self._shutdown.wait(delay):
                return  # close() stopped waiting: it reports these events as dropped

    def _backoff(self, failed_attempt: int) -> float:
        config = self._config
        return backoff_delay(
            failed_attempt,
            initial_delay=config.initial_delay,
            backoff_factor=config.backoff_factor,
            max_delay=config.max_delay,
            jitter=config.jitter,
        )

    def _post(self, request: requests.PreparedRequest) -> AttemptResult:
        """One POST; only the status counts, so a body that breaks off after it changes nothing."""
        try:
            reply = self._transport.post(request, time.monotonic() + self._config.request_timeout)
        except Exception as exc:  # a requests.RequestException, or e.g. a header that cannot be encoded
            return AttemptResult(classify_exception(exc), describe_exception(exc, self._secrets))
        return AttemptResult(
            classify_status(reply.status), describe_status(reply.status, reply.reason), reply.status, reply.retry_after
        )

    def _report(
        self,
        event_name: str,
        entries: list[Entry],
        attempt: int,
        result: AttemptResult,
        severity: ErrorSeverity | None = None,
    ) -> None:
        """Count and report ``event_name`` for the entries close() has not claimed as dropped."""
        held = self._queue.record(entries, event_name, attempt)
        if not held:
            return
        events = tuple(entry.event for entry in held)
        context = None
        if severity is not None:
            context = ErrorContext(
                severity,
                result.category.value,
                attempt,
                result.error,
                result.status,
                self._event_data(events),
            )
            if event_name in (ERROR, FINAL_ERROR):
                self._failure_log.warning(
                    "activity publisher: %d event(s) ended as %s after %d attempt(s): %s",
                    len(events),
                    event_name,
                    attempt,
                    result.error,
                )
            else:
                logger.debug("activity publisher: attempt %d failed, will retry: %s", attempt, result.error)
        self._handlers.emit(DeliveryReport(event_name, events, attempt, result.status, context))
        if context is not None and context.severity >= ErrorSeverity.WARN:
            self._callbacks.run(context)

    @property
    def _secrets(self) -> tuple[str, ...]:
        """What to redact from messages: the client's headers and the caller's session's own."""
        session_headers = [
            value for name, value in self._session.headers.items() if value != _DEFAULT_HEADERS.get(name)
        ]
        return secret_forms([*self._config.headers.values(), *session_headers])

    def _event_data(self, events: tuple[dict[str, Any], ...]) -> dict[str, Any] | None:
        """The events for an ErrorContext, only if asked for: they can hold personal data."""
        if not self._config.include_event_data:
            return None
        if self._config.batch_size == 1:
            return events[0]
        return {"batch": list(events)}

    def _drop_unsettled(self) -> None:
        """Report what close() gave up on (still queued, or in a worker's hands) as dropped."""
        claimed = self._queue.claim_unsettled()
        if not claimed:
            return
        logger.warning(
            "activity publisher: %d event(s) not confirmed when close() stopped waiting; reported as dropped",
            len(claimed),
        )
        claimed.sort(key=lambda item: item[1])
        handlers_deadline = time.monotonic() + DROPPED_HANDLERS_AT_EXIT
        for attempts, group in groupby(claimed, key=lambda item: item[1]):
            report = DeliveryReport(DROPPED, tuple(entry.event for entry, _ in group), attempts, None, None)
            if not self._at_exit:
                self._handlers.emit(report)
            elif not self._handlers.emit_within(report, _remaining(handlers_deadline) or 0.0):
                logger.warning(
                    "activity publisher: a dropped handler still runs after %.3g s at exit; "
                    "the rest of the dropped reports skip the handlers (stats counts them)",
                    DROPPED_HANDLERS_AT_EXIT,
                )
                return

    # -- process lifecycle --------------------------------------------------------------------

    def _skip_callbacks_for_exit(self) -> None:
        """No thread may be started on the exit path, so error callbacks are skipped (and logged)."""
        self._callbacks.skip_from_now("the interpreter is exiting")
        self._at_exit = True

    def _after_fork_in_child(self) -> None:
        """A fresh queue, counters, workers and HTTP session: the parent's events stay its own.

        Every lock is new too: a parent thread may have held one at the moment of the fork.
        """
        was_open = self._queue.accepting
        self._queue = EventQueue(self._config.max_queue_size)
        # The parent's spool stays the parent's (SQLite forbids using its connection here, and
        # its writer thread is not inherited): the child delivers from memory only.
        self._spool = None
        self._spool_writer = None
        self._replayed = None
        self._shutdown = threading.Event()
        self._closed = threading.Event()
        self._handlers = self._handlers.copy()
        self._callbacks = CallbackRunner(self._config.error_callback, self._config.error_callback_timeout)
        if self._owns_session:
            self._session = requests.Session()
        else:
            self._session.close()  # the caller's session: drop connections shared with the parent
        self._transport = Transport(self._session, self._config.endpoint, self._config.request_timeout)
        if was_open:
            self._workers = self._start_workers()
        else:
            self._queue.stop_accepting()
            self._closed.set()
            self._workers = []


def _close_clients_at_exit() -> None:
    """Flush every open client for at most its shutdown_timeout, counted from now.

    One client that fails to close does not stop the others; after a Ctrl-C the others stop
    waiting, but still report what they drop, and the KeyboardInterrupt goes on.
    """
    exit_started = time.monotonic()
    clients = list(_CLIENTS)
    for client in clients:  # all of them first: their workers keep running while others close
        client._skip_callbacks_for_exit()
    interrupted: BaseException | None = None
    for client in clients:  # the deadlines run together, so N clients take max(), not sum()
        timeout = 0.0 if interrupted else exit_started + client._config.shutdown_timeout - time.monotonic()
        try:
            client.close(timeout)
        except BaseException as exc:
            if is_users_interrupt(exc):
                interrupted = exc
            else:
                logger.exception("activity publisher: a client failed to close at exit; closing the others")
    if interrupted is not None:
        raise interrupted


def _remake_clients_after_fork() -> None:
    for client in list(_CLIENTS):
        client._after_fork_in_child()


atexit.register(_close_clients_at_exit)
process_exit.install(_close_clients_at_exit)  # a multiprocessing child ends with os._exit()
if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_remake_clients_after_fork)
