"""User code the client calls: on() handlers and the timeout-protected error callback.

User code can raise, hang or be slow; none of that may stop delivery or flood the log.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Final

from .reports import DROPPED, EVENT_NAMES, SPOOL_EVENT_NAMES, DeliveryReport, ErrorContext

logger = logging.getLogger(__name__)

Handler = Callable[[DeliveryReport], None]
ErrorCallback = Callable[[ErrorContext], None]

#: Error callbacks still running after their timeout that may pile up; further ones are skipped.
MAX_PENDING_CALLBACKS: Final = 4
#: A throttled warning is logged at most once per this many seconds.
LOG_INTERVAL: Final = 60.0


def is_users_interrupt(exc: BaseException) -> bool:
    """A Ctrl-C on the main thread belongs to the user, not to the user code it happened to hit."""
    return isinstance(exc, KeyboardInterrupt) and threading.current_thread() is threading.main_thread()


def check_event_name(event_name: str) -> None:
    """Reject a name on() does not know, at registration rather than never firing."""
    if event_name not in EVENT_NAMES and event_name not in SPOOL_EVENT_NAMES:
        known = ", ".join(EVENT_NAMES + SPOOL_EVENT_NAMES)
        raise ValueError(f"unknown event name {event_name!r}; expected one of {known}")


class LogThrottle:
    """Logs a warning at once, then at most once per interval with the count in between.

    Lock-free on purpose: a race can at worst log one line too many, never block a worker.
    """

    def __init__(self, interval: float = LOG_INTERVAL) -> None:
        self._interval = interval
        self._next_at = 0.0
        self._count = 0

    def warning(self, message: str, *args: object) -> None:
        self._count += 1
        now = time.monotonic()
        if now < self._next_at:
            return
        self._next_at = now + self._interval
        count, self._count = self._count, 0
        if count > 1:
            logger.warning(message + " (%d times since the last such message)", *args, count)
        else:
            logger.warning(message, *args)


class HandlerRegistry:
    """The on() handlers, per event name; a raising handler is logged once per event name.

    With a ``dropped`` handler registered, the registry also keeps a daemon thread of its own,
    started at once: at interpreter exit no thread may be started, yet a handler that blocks there
    must not hang the exit, so the exit hook hands ``dropped`` reports to that thread and waits
    for them only so long (``emit_within``).
    """

    def __init__(self, handlers: Mapping[str, tuple[Handler, ...]] | None = None) -> None:
        # Copy-on-write tuples: emit() reads without the lock and never sees a half-made list.
        self._handlers: dict[str, tuple[Handler, ...]] = dict(handlers or {})
        self._failed: set[str] = set()
        self._lock = threading.Lock()
        self._calls: queue.SimpleQueue[tuple[DeliveryReport, threading.Event] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        if DROPPED in self._handlers:
            self._start_thread()

    def add(self, event_name: str, handler: Handler) -> None:
        check_event_name(event_name)
        if not callable(handler):
            raise TypeError(f"handler for {event_name!r} must be callable")
        with self._lock:
            self._handlers[event_name] = (*self._handlers.get(event_name, ()), handler)
            if event_name == DROPPED and self._thread is None:
                self._start_thread()

    def emit(self, report: DeliveryReport) -> None:
        """Call every handler of the report's event name on this thread; never raises.

        Whatever a handler raises is logged, ``sys.exit()`` included: it must not end a worker.
        Only a Ctrl-C on the main thread goes on to the caller.
        """
        for handler in self._handlers.get(report.event_name, ()):
            self.call(handler, report)

    def call(self, handler: Handler, report: DeliveryReport) -> None:
        """Call one handler with ``report``, as emit() does: whatever it raises is logged."""
        try:
            handler(report)
        except BaseException as exc:
            if is_users_interrupt(exc):
                raise
            self._log_failure(report.event_name)

    def emit_within(self, report: DeliveryReport, timeout: float) -> bool:
        """emit() on the registry's own thread, waiting at most ``timeout`` seconds for it.

        False if the handlers are still running then: they go on, on a daemon thread.
        """
        if self._thread is None:  # no dropped handler: nothing to run
            self.emit(report)
            return True
        done = threading.Event()
        self._calls.put((report, done))
        return done.wait(timeout)

    def stop_thread(self) -> None:
        """Let the registry's thread end once it has run what it was given (the client closed)."""
        self._calls.put(None)

    def copy(self) -> "HandlerRegistry":
        """The same handlers with a fresh lock and thread (a forked child has neither of the parent's)."""
        return HandlerRegistry(self._handlers)

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._run, name="activity-publisher-exit-reports", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (call := self._calls.get()) is not None:
            report, done = call
            try:
                self.emit(report)
            finally:
                done.set()

    def _log_failure(self, event_name: str) -> None:
        with self._lock:
            first = event_name not in self._failed
            self._failed.add(event_name)
        if first:
            logger.exception(
                "an on(%r) handler raised; delivery continues, later failures of %r handlers are not logged",
                event_name,
                event_name,
            )


class CallbackRunner:
    """Runs the error callback on a daemon thread and waits for it at most ``timeout`` seconds.

    A callback that hangs keeps its thread; once MAX_PENDING_CALLBACKS of them are still running,
    further calls are skipped (and logged, throttled) instead of piling up threads.
    """

    def __init__(self, callback: ErrorCallback | None, timeout: float) -> None:
        self._callback = callback
        self._timeout = timeout
        self._pending = 0
        self._raised = False
        self._skip_reason: str | None = None
        self._lock = threading.Lock()
        self._skip_log = LogThrottle()
        self._timeout_log = LogThrottle()

    def skip_from_now(self, reason: str) -> None:
        """Stop starting callback threads (at interpreter exit no thread may be started)."""
        self._skip_reason = reason

    def run(self, context: ErrorContext) -> None:
        callback = self._callback
        if callback is None:
            return
        if self._skip_reason is not None:
            self._skip_log.warning("error callback skipped: %s", self._skip_reason)
            return
        with self._lock:
            hung = self._pending >= MAX_PENDING_CALLBACKS
            if not hung:
                self._pending += 1
        if hung:
            self._skip_log.warning(
                "error callback skipped: %d earlier calls are still running", MAX_PENDING_CALLBACKS
            )
            return
        done = threading.Event()
        thread = threading.Thread(
            target=self._call,
            args=(callback, context, done),
            name="activity-publisher-error-callback",
            daemon=True,
        )
        try:
            thread.start()
        except RuntimeError:  # the interpreter is shutting down and refuses new threads
            self._finished(done)
            self._skip_log.warning("error callback skipped: the interpreter is shutting down")
            return
        if not done.wait(self._timeout):
            self._timeout_log.warning(
                "error callback still running after %.3g s; delivery continues without it",
                self._timeout,
            )

    def _call(self, callback: ErrorCallback, context: ErrorContext, done: threading.Event) -> None:
        try:
            callback(context)
        except BaseException:  # sys.exit() too: it would end this thread without a word
            with self._lock:
                first, self._raised = not self._raised, True
            if first:
                logger.exception("the error callback raised; later failures are not logged")
        finally:
            self._finished(done)

    def _finished(self, done: threading.Event) -> None:
        with self._lock:
            self._pending -= 1
        done.set()
