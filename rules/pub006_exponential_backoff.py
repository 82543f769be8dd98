"""PUB006 — failed deliveries are retried with exponential backoff.

What it checks: the publisher's HTTP send is retried, and the wait between attempts grows
exponentially. A retry is a loop around the send that waits (``sleep`` or
``Event.wait``), a ``backoff``/``tenacity`` retry decorator, or a urllib3 ``Retry``.
Exponential means ``**``/``<<``/``pow()`` or a delay multiplied in the loop, near the
retry, or ``backoff.expo``, tenacity ``wait_exponential``/``wait_random_exponential``,
or ``Retry(backoff_factor=…)``. A constant wait is reported at the wait call; a send that
is never retried at its function. When no send is found (a transport behind a callable
object, a stored function or a plugin), nothing is reported: that is unknown, shown by
``--show-model`` as "sends: none found"; name the delivery method with ``send-methods`` in
``[tool.publisher-check]`` to have it judged.

Why it matters: constant or immediate retries hammer a collector that is already failing
and make recovery slower for everyone; no retry turns a blip into lost events.

Fix: none automatic — the delay formula depends on the retry policy
(``min(max_delay, initial_delay * factor ** (attempt - 1))`` in the reference).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from publisher_check.analysis.parts import retries, send_functions
from publisher_check.analysis.project import Publisher
from publisher_check.ftypes import Finding, Severity
from publisher_check.rule import Example, Rule
from publisher_check.rules._delivery_examples import COMPLIANT_DELIVERY, delivery_example


class ExponentialBackoff(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB006"
    check: ClassVar[str] = "Exponential backoff"
    severity: ClassVar[Severity] = Severity.ERROR

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        found = retries(publisher)
        if any(retry.exponential for retry in found):
            return
        for retry in found:
            what = {
                "loop": "retry loop waits a constant delay: grow it exponentially (initial * factor ** (attempt - 1), capped)",
                "decorator": "retry decorator does not use exponential waits (backoff.expo / tenacity wait_exponential)",
                "urllib3": "urllib3 Retry without backoff_factor retries immediately",
                "requeue": "failed events are put back on the buffer with a delay that does not grow exponentially",
            }[retry.kind]
            yield Finding(retry.func.module.path, retry.line, retry.column, what)
        if found:
            return
        senders = send_functions(publisher)
        if senders:
            func, call = senders[0]
            yield self.at_function(func, f"HTTP send {call.callee}() is never retried: add retries with exponential backoff")
        # No send found is unknown (a transport behind a callable or a plugin), never a finding:
        # --show-model says "sends: none found"; name it with send-methods to have it judged.

    VALID: ClassVar[tuple[Example, ...]] = (
        delivery_example(COMPLIANT_DELIVERY),
        delivery_example(
            '''
            def _deliver(self, event: dict) -> None:
                delay = 0.5
                for _attempt in range(5):
                    response = self._session.post(self._url, json=event, timeout=10)
                    if response.ok:
                        return
                    time.sleep(delay + random.random() / 10)
                    delay *= 2
            '''
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        delivery_example(
            '''
            def _deliver(self, event: dict) -> None:
                for _attempt in range(5):
                    response = self._session.post(self._url, json=event, timeout=10)
                    if response.ok:
                        return
                    time.sleep(1.0)  # expect: PUB006
            '''
        ),
        delivery_example(
            '''
            def _deliver(self, event: dict) -> None:  # expect: PUB006
                self._session.post(self._url, json=event, timeout=10)
            '''
        ),
    )
