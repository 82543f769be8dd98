"""PUB008 — rate limiting respects the ``Retry-After`` header.

What it checks: somewhere on the delivery path the ``Retry-After`` response header is read
(any spelling of the literal ``"Retry-After"``), or urllib3's ``Retry`` does it
(``respect_retry_after_header`` left on). Reported at the ``429`` comparison when there is
one, otherwise at the status classifier or the sending function.

Why it matters: a server that answers 429 says when to come back. Retrying earlier wastes
attempts and prolongs the throttling; many APIs escalate to bans.

Fix: none automatic — parsing both header forms (seconds and HTTP-date) and capping the wait
belongs in the retry policy (see the reference's ``delivery.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from publisher_check.analysis.parts import classification, reads_retry_after, send_functions
from publisher_check.analysis.project import Publisher
from publisher_check.ftypes import Finding, Severity
from publisher_check.rule import Example, Rule
from publisher_check.rules._delivery_examples import COMPLIANT_DELIVERY, delivery_example

_MESSAGE = "429 responses are retried without reading the Retry-After header"


class RetryAfter(Rule):
    __doc__ = __doc__
    id: ClassVar[str] = "PUB008"
    check: ClassVar[str] = "Retry-After respected"
    severity: ClassVar[Severity] = Severity.ERROR

    def evaluate(self, publisher: Publisher) -> Iterator[Finding]:
        if reads_retry_after(publisher):
            return
        result = classification(publisher)
        first_429 = result.first(429)
        if first_429 is not None:
            func, compare = first_429
            yield Finding(func.module.path, compare.line, compare.column, _MESSAGE)
            return
        if result.primary is not None:
            yield self.at_function(result.primary, "rate limiting (429) is not handled and Retry-After is never read")
            return
        senders = send_functions(publisher)
        if senders:
            yield self.at_function(senders[0][0], "rate limiting (429) is not handled and Retry-After is never read")

    VALID: ClassVar[tuple[Example, ...]] = (
        delivery_example(COMPLIANT_DELIVERY),
        Example.of(
            """
            import queue

            import requests
            from requests.adapters import HTTPAdapter
            from urllib3.util.retry import Retry

            class Client:
                def __init__(self, url: str) -> None:
                    self._url = url
                    self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)
                    self._session = requests.Session()
                    retry = Retry(total=5, backoff_factor=0.5, status_forcelist=[409, 429, 500, 502, 503, 504])
                    self._session.mount("https://", HTTPAdapter(max_retries=retry))

                def publish(self, event: dict) -> None:
                    self._queue.put_nowait(event)

                def _deliver(self, event: dict) -> None:
                    response = self._session.post(self._url, json=event, timeout=10)
                    if 200 <= response.status_code < 400 or 400 <= response.status_code < 500:
                        return
            """
        ),
    )
    INVALID: ClassVar[tuple[Example, ...]] = (
        delivery_example(
            '''
            def _deliver(self, event: dict) -> None:
                for attempt in range(5):
                    response = self._session.post(self._url, json=event, timeout=10)
                    status = response.status_code
                    if 200 <= status < 400:
                        return
                    if status == 429 or status == 409 or status >= 500:  # expect: PUB008
                        time.sleep(2 ** attempt)
                    elif 400 <= status < 500:
                        return
            '''
        ),
        delivery_example(
            '''
            def _deliver(self, event: dict) -> None:
                for attempt in range(5):
                    response = self._session.post(self._url, json=event, timeout=10)
                    if response.status_code in (429, 503):  # expect: PUB008
                        time.sleep(2 ** attempt)
                        continue
                    return
            '''
        ),
    )
