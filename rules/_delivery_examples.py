"""Shared pieces of the delivery rules' examples (PUB006–PUB009).

The examples are whole small publishers; these templates keep the four rules' examples
readable by varying only the part a rule is about.
"""

from __future__ import annotations

import inspect

from publisher_check.rule import Example

_TEMPLATE = """
import queue
import random
import time

import requests


class Client:
    def __init__(self, url: str) -> None:
        self._url = url
        self._session = requests.Session()
        self._queue: queue.Queue[dict] = queue.Queue(maxsize=100)

    def publish(self, event: dict) -> None:
        self._queue.put_nowait(event)

    def _run(self) -> None:
        while True:
            self._deliver(self._queue.get())
            self._queue.task_done()

{body}
"""


def delivery_example(body: str) -> Example:
    """A client whose ``_deliver`` (and helpers) is ``body``, indented as class members."""
    members = "\n".join("    " + line if line else line for line in inspect.cleandoc(body).splitlines())
    return Example({"client.py": inspect.cleandoc(_TEMPLATE.format(body=members)) + "\n"})


COMPLIANT_DELIVERY = """
def _deliver(self, event: dict, attempts: int = 5) -> None:
    for attempt in range(1, attempts + 1):
        response = self._session.post(self._url, json=event, timeout=10)
        status = response.status_code
        if 200 <= status < 400:
            return
        if status == 429:
            time.sleep(self._retry_after(response, attempt))
        elif status >= 500 or status == 409:
            time.sleep(min(60.0, 2 ** (attempt - 1)))
        elif 400 <= status < 500:
            return

def _retry_after(self, response: requests.Response, attempt: int) -> float:
    header = response.headers.get("Retry-After", "")
    return float(header) if header.isdigit() else min(60.0, 2 ** (attempt - 1))
"""
