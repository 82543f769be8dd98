"""PUB009 — permanent 4xx failures are dropped at once.

What it checks: when deliveries are retried, client errors (4xx other than 429 and 409)
are told apart and not retried. First by evaluation: every status helper on the delivery
path (a classifier returning labels, a ``is_retryable(status)`` predicate, a giveup
function) is run for each representative status; a helper that answers for 408, 410 or
another client error as it answers for a 503 is reported, naming the codes; so is a
hand-written retry loop that, run once per status after its send, goes round again for
such a code (its ``if``/``elif`` chain, ``continue``, ``return``, ``raise`` and the helpers
it calls are followed; a loop the statuses do not decide is left alone); and so is a
function the response is handed to whose ``if``/``elif`` branch for the helper's answer
(``res.status == Status.INVALID``) puts the events back on the buffer. A urllib3
``Retry`` whose ``status_forcelist`` lists such a code is reported at the ``Retry(...)``.
Otherwise the classifier must have a 4xx range test (``400 <= s < 500``, ``s >= 400``
after the retryable cases, ``s // 100 == 4``). Reported at the status helper, or at the
sending function when every failure is retried alike. Nothing is reported where the
evaluation cannot decide.

Why it matters: a 400 or 401 will fail the same way every time. Retrying it burns the
retry budget, delays the events behind it, and hides a bug or a bad credential that an
``error`` report would surface at once.

Fix: none automatic — add a permanent-failure branch that reports ``error`` and drops.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from publisher_check.analysis.parts import (
    CLIENT_ERRORS,
    classification,
    dispatch_tables,
    forcelisted_client_errors,
    loop_tables,
    retries,
    send_functions,
    status_tables,
)
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
        for retry in found:
            if retry.kind != "urllib3":
                continue
            listed = forcelisted_client_errors(retry)
            if listed:
                codes = ", ".join(map(str, listed))
                yield Finding(retry.func.module.path, retry.line, retry.column, f"urllib3 Retry retries {codes}: status_forcelist lists client errors")
                return
        tables = [t for t in status_tables(publisher) if t.separates_client_errors]
        for table in tables:
            retried = table.same_as(503, CLIENT_ERRORS)
            if retried:
                codes = ", ".join(map(str, retried))
                name = table.func.fact.name
                yield self.at_function(
                    table.func, f"{codes} {'is' if len(retried) == 1 else 'are'} retried: {name}() answers for them as for a 503"
                )
                return
        for dispatch in dispatch_tables(publisher):
            retried = dispatch.retried(CLIENT_ERRORS)
            if retried:
                codes = ", ".join(map(str, retried))
                lines = sorted({dispatch.branches[s] for s in retried})
                where = f"line {lines[0]}" if len(lines) == 1 else "lines " + ", ".join(map(str, lines))
                yield self.at_function(
                    dispatch.retry.func,
                    f"{codes} {'is' if len(retried) == 1 else 'are'} put back on the buffer: for what"
                    f" {dispatch.table.func.fact.name}() answers, the branch on {where} re-enqueues the events",
                )
                return
        loops = [t for t in loop_tables(publisher) if t.sane]
        for loop in loops:
            retried = loop.retried(CLIENT_ERRORS)
            if retried:
                codes = ", ".join(map(str, retried))
                yield self.at_function(
                    loop.retry.func,
                    f"{codes} {'is' if len(retried) == 1 else 'are'} retried: the loop sending on line {loop.retry.send_line} goes round again for them",
                )
                return
        if tables or loops or any(r.kind in ("urllib3", "requeue") for r in found):
            # a helper tells every 4xx apart from the retried 5xx, urllib3's status_forcelist decides, or
            # the failed events go back on the buffer under conditions the evaluator does not follow: unknown
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
            @staticmethod
            def _outcome(status: int) -> str:
                if 200 <= status < 400:
                    return "delivered"
                if status == 429 or status == 409 or status >= 500:
                    return "retry"
                return "permanent_failure"

            def _deliver(self, event: dict) -> None:
                for attempt in range(5):
                    response = self._session.post(self._url, json=event, timeout=10)
                    if self._outcome(response.status_code) != "retry":
                        return
                    time.sleep(float(response.headers.get("Retry-After", 2 ** attempt)))
            '''
        ),
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
            @staticmethod
            def _retryable(status: int) -> bool:  # expect: PUB009
                if 400 <= status < 500:
                    return status in (408, 410, 429)
                return status >= 500

            def _deliver(self, event: dict) -> None:
                for attempt in range(5):
                    response = self._session.post(self._url, json=event, timeout=10)
                    if response.ok or not self._retryable(response.status_code):
                        return
                    delay = float(response.headers.get("Retry-After", 2 ** attempt))
                    time.sleep(delay)
            '''
        ),
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
