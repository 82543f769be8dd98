"""PUB007 — HTTP status codes are classified correctly.

What it checks: the functions on the delivery path that compare status codes, taken
together, cover the recipe's table: every 2xx–3xx is success (a range test, ``response.ok``
or ``raise_for_status()``, not ``== 200`` alone), 429 is singled out (rate limit), 5xx and
409 are retryable. Where the hand-written retry loop can be evaluated (run once per
representative status after its send, following its ``if`` chain, the helpers it calls and
``continue``/``return``/``raise``), the loop's course decides 409, 429 and 5xx and the
finding names the codes it stops for; otherwise the comparisons are read as written. Reported
at the classifier's ``def`` with what is missing; a send whose status is never examined is
reported at the sending function.

Why it matters: treating 202 or 204 as failure re-sends accepted events forever; treating
409 as permanent loses events a server asked to retry; not singling out 429 ignores the
server's rate limit.

Fix: none automatic — the right branch for each class depends on the surrounding code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from publisher_check.analysis.evaluate import RETRY
from publisher_check.analysis.parts import CLIENT_ERRORS, Classification, classification, loop_tables, send_functions
from publisher_check.analysis.project import Publisher
from publisher_check.ftypes import Finding, Severity
from publisher_check.rule import Example, Rule
from publisher_check.rules._delivery_examples import COMPLIANT_DELIVERY, delivery_example


def _success_gap(result: Classification) -> str:
    codes = sorted(result.success_codes)
    if codes:
        return f"only {', '.join(map(str, codes))} counted as success (every 2xx-3xx is success)"
    return "no success range (2xx-3xx)"


class StatusClassification(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB007"
    check: ClassVar[str] = "HTTP status classification"
    severity: ClassVar[Severity] = Severity.CRITICAL

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        result = classification(publisher)
        primary = result.primary
        senders = send_functions(publisher)
        if primary is None:
            if senders:
                func, call = senders[0]
                yield self.at_function(
                    func, f"the status of {call.callee}() is never examined: classify 2xx-3xx / 429 / 5xx+409 / other 4xx"
                )
            return
        missing = []
        loops = [t for t in loop_tables(publisher) if t.sane]
        if loops:
            # The retry loop was run for each status: its course decides 409, 429 and 5xx.
            loop = loops[0]
            not_retried = [s for s in (409, 429, 500, 501, 502, 503, 504) if loop.actions[s] != RETRY]
            if not_retried:
                codes = ", ".join(map(str, not_retried))
                missing.append(f"{codes} not retried (the loop sending on line {loop.retry.send_line} stops for them)")
            retried = loop.retried(CLIENT_ERRORS)
            if retried:
                missing.append(f"client errors {', '.join(map(str, retried))} retried like server errors")
            if not result.success_range:
                missing.append(_success_gap(result))
            resent = loop.retried((201, 204, 301, 302, 304))
            if resent:
                missing.append(f"{', '.join(map(str, resent))} retried as failures")
            if not result.has(429):
                missing.append("429 not singled out as rate limiting")
            if missing:
                yield self.at_function(primary, "status classification incomplete: " + "; ".join(missing))
            return
        if not result.success_range:
            missing.append(_success_gap(result))
        if not result.has(429):
            missing.append("429 not singled out as rate limiting")
        if not result.handles_5xx:
            missing.append("5xx not classified as retryable")
        if not result.has(409):
            missing.append("409 not classified as retryable")
        if missing:
            yield self.at_function(primary, "status classification incomplete: " + "; ".join(missing))

    VALID: ClassVar[tuple[Example, ...]] = (
        delivery_example(COMPLIANT_DELIVERY),
        delivery_example(
            '''
            def _deliver(self, event: dict) -> None:
                for attempt in range(5):
                    response = self._session.post(self._url, json=event, timeout=10)
                    if response.status_code // 100 in (2, 3):
                        return
                    if response.status_code in (409, 429) or response.status_code // 100 == 5:
                        time.sleep(self._delay(response, attempt))
                        continue
                    return

            def _delay(self, response: requests.Response, attempt: int) -> float:
                return float(response.headers.get("Retry-After", 2 ** attempt))
            '''
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        delivery_example(
            '''
            def _deliver(self, event: dict) -> None:  # expect: PUB007
                for attempt in range(5):
                    response = self._session.post(self._url, json=event, timeout=10)
                    if response.status_code == 200:
                        return
                    if response.status_code == 429:
                        time.sleep(float(response.headers.get("Retry-After", 1)))
                    elif response.status_code >= 500:
                        time.sleep(2 ** attempt)
                    else:
                        return
            '''
        ),
        delivery_example(
            '''
            def _deliver(self, event: dict) -> None:  # expect: PUB007, PUB008, PUB009
                for attempt in range(5):
                    response = self._session.post(self._url, json=event, timeout=10)
                    if response.ok:
                        return
                    time.sleep(2 ** attempt)
            '''
        ),
    )
