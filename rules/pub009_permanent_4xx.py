"""PUB009 — permanent 4xx failures are dropped at once.

What it checks: when deliveries are retried, client errors (4xx other than 429 and 409)
are told apart and not retried: the classifier has a 4xx range test (``400 <= s < 500``,
``s >= 400`` after the retryable cases, ``s // 100 == 4``), or urllib3's ``Retry`` limits
retries to a ``status_forcelist``. Reported at the status classifier, or at the sending
function when every failure is retried alike.

Why it matters: a 400 or 401 will fail the same way every time. Retrying it burns the
retry budget, delays the events behind it, and hides a bug or a bad credential that an
``error`` report would surface at once.

Fix: none automatic — add a permanent-failure branch that reports ``error`` and drops.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from publisher_check.analysis.parts import classification, retries, send_functions
from publisher_check.analysis.project import Publisher
from publisher_check.ftypes import Finding, Severity
from publisher_check.rule import Example, Rule
from publisher_check.rules._delivery_examples import COMPLIANT_DELIVERY, delivery_example


class PermanentClientErrors(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB009"
    check: ClassVar[str] = "4xx dropped immediately"
    severity: ClassVar[Severity] = Severity.ERROR

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        found = retries(publisher)
        if not found:
            return
        if any(r.kind == "urllib3" for r in found):
            return
        result = classification(publisher)
        if result.handles_4xx:
            return
        if result.primary is not None:
            yield self.at_function(
                result.primary, "4xx client errors (other than 409/429) are not told apart: they are retried like transient failures"
            )
            return
        senders = send_functions(publisher)
        if senders:
            yield self.at_function(senders[0][0], "every failure is retried alike, 4xx client errors included")

    VALID: ClassVar[tuple[Example, ...]] = (
        delivery_example(COMPLIANT_DELIVERY),
        delivery_example(
            '''
            def _deliver(self, event: dict) -> None:
                for attempt in range(5):
                    response = self._session.post(self._url, json=event, timeout=10)
                    if response.status_code // 100 == 4 and response.status_code not in (409, 429):
                        return
                    if response.ok:
                        return
                    time.sleep(2 ** attempt)
            '''
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        delivery_example(
            '''
            def _deliver(self, event: dict) -> None:  # expect: PUB009
                for attempt in range(5):
                    response = self._session.post(self._url, json=event, timeout=10)
                    if 200 <= response.status_code < 400:
                        return
                    if response.status_code == 429:
                        time.sleep(float(response.headers.get("Retry-After", 1)))
                        continue
                    time.sleep(2 ** attempt)
            '''
        ),
        delivery_example(
            '''
            def _deliver(self, event: dict) -> None:  # expect: PUB007, PUB008, PUB009
                for attempt in range(5):
                    response = self._session.post(self._url, json=event, timeout=10)
                    if response.status_code == 200:
                        return
                    time.sleep(2 ** attempt)
            '''
        ),
    )
