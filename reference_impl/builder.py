"""ActivityClientBuilder: the fluent way to configure an ActivityClient.

Every setter returns the builder. build() hands everything to the ActivityClient constructor, so
a configuration is validated exactly once and exactly as the constructor does it.
"""

import os
from collections.abc import Mapping
from typing import Any, Self

import requests

from .callbacks import ErrorCallback, Handler, check_event_name
from .client import ActivityClient


class ActivityClientBuilder:
    """``ActivityClient.builder().endpoint(url).retry(max_attempts=3).workers(2).build()``."""

    def __init__(self) -> None:
        self._endpoint: str | None = None
        self._settings: dict[str, Any] = {}  # ActivityClient keyword arguments
        self._handlers: list[tuple[str, Handler]] = []

    def endpoint(self, url: str) -> Self:
        self._endpoint = url
        return self

    def max_queue_size(self, size: int) -> Self:
        self._settings["max_queue_size"] = size
        return self

    def retry(
        self,
        *,
        max_attempts: int | None = None,
        initial_delay: float | None = None,
        backoff_factor: float | None = None,
        max_delay: float | None = None,
        jitter: float | None = None,
    ) -> Self:
        """Set any of the retry settings; the ones left out keep their current value."""
        given = {
            "max_attempts": max_attempts,
            "initial_delay": initial_delay,
            "backoff_factor": backoff_factor,
            "max_delay": max_delay,
            "jitter": jitter,
        }
        self._settings.update({name: value for name, value in given.items() if value is not None})
        return self

    def timeout(self, seconds: float) -> Self:
        """The HTTP request timeout (``request_timeout``)."""
        self._settings["request_timeout"] = seconds
        return self

    def headers(self, headers: Mapping[str, str]) -> Self:
        self._settings["headers"] = headers
        return self

    def workers(self, count: int) -> Self:
        self._settings["workers"] = count
        return self

    def batch_size(self, size: int) -> Self:
        self._settings["batch_size"] = size
        return self

    def on_error(self, callback: ErrorCallback, timeout: float | None = None) -> Self:
        """The error callback and, optionally, how long a worker waits for it."""
        self._settings["error_callback"] = callback
        if timeout is not None:
            self._settings["error_callback_timeout"] = timeout
        return self

    def include_event_data(self, include: bool = True) -> Self:
        self._settings["include_event_data"] = include
        return self

    def shutdown_timeout(self, seconds: float) -> Self:
        self._settings["shutdown_timeout"] = seconds
        return self

    def spool(
        self,
        path: str | os.PathLike[str],
        *,
        commit_interval: float | None = None,
        group_size: int | None = None,
        max_events: int | None = None,
    ) -> Self:
        """Durable delivery through a SQLite spool at ``path``; the settings left out keep theirs."""
        self._settings["spool_path"] = path
        given = {
            "spool_commit_interval": commit_interval,
            "spool_group_size": group_size,
            "spool_max_events": max_events,
        }
        self._settings.update({name: value for name, value in given.items() if value is not None})
        return self

    def session(self, session: requests.Session) -> Self:
        self._settings["session"] = session
        return self

    def on(self, event_name: str, handler: Handler) -> Self:
        """Register a handler on the client to be built; an unknown name raises ValueError now."""
        check_event_name(event_name)
        self._handlers.append((event_name, handler))
        return self

    def build(self) -> ActivityClient:
        """The client; ValueError naming the bad setting if the configuration is not valid."""
        if self._endpoint is None:
            raise ValueError("endpoint is required: call .endpoint(url) before .build()")
        client = ActivityClient(self._endpoint, **self._settings)
        for event_name, handler in self._handlers:
            client.on(event_name, handler)
        return client
