"""The POST of one request body through the client's ``requests.Session``, with requests' own
per-request work done once where it can be.

``Session.post()`` does, for every request: make a ``Request``, merge it with the session
(headers, params, cookies, auth, hooks) into a ``PreparedRequest``, and merge the environment
settings (proxies and ``no_proxy``, ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``: a scan of
``os.environ``) before ``Session.send()``. Here:

- the environment is merged once, when the transport is made: its proxies and CA bundle apply
  as they were then (the session's own ``verify`` wins over an environment's CA bundle, as it
  should: psf/requests#3829);
- the session's part of a request is prepared once and copied for every body, until the
  session's headers or params change; a session with auth or cookies (which may depend on the
  body, or change with every response) prepares every request in full;
- a body is prepared once for all its attempts.
"""

from collections.abc import Mapping
from typing import Any

import requests


class Transport:
    """Prepares and sends POSTs to one endpoint; thread-safe as the session is."""

    def __init__(self, session: requests.Session, endpoint: str, timeout: float) -> None:
        self._session = session
        self._endpoint = endpoint
        self._timeout = timeout
        # stream=True: status and headers only; the caller reads (a little of) the body itself.
        self._settings: dict[str, Any] = session.merge_environment_settings(
            endpoint, {}, True, session.verify, None
        )
        self._template: requests.PreparedRequest | None = None
        self._template_of: tuple[dict[str, str], dict[str, Any]] | None = None

    def prepare(self, body: bytes, headers: Mapping[str, str]) -> requests.PreparedRequest:
        """The request for one body, merged with the session; reusable for every retry.

        Without auth and cookies (which can depend on the body, or change with every response),
        the session's part is prepared once and copied, until the session's headers or params
        change; otherwise the session prepares every request in full.
        """
        session = self._session
        if session.auth is not None or len(session.cookies):
            return session.prepare_request(requests.Request("POST", self._endpoint, data=body, headers=headers))
        template = self._current_template()
        if template is None:  # the session cannot prepare a request (a bad header): let it say why
            return session.prepare_request(requests.Request("POST", self._endpoint, data=body, headers=headers))
        request = template.copy()
        request.headers.update(headers)  # the client's own headers: validated by ClientConfig
        request.prepare_body(body, None)
        return request

    def send(self, request: requests.PreparedRequest) -> requests.Response:
        """One attempt; raises requests' exceptions (connection errors, timeouts...)."""
        return self._session.send(
            request.copy(),  # an auth handler or hook may change what it is given
            timeout=self._timeout,
            allow_redirects=False,  # a redirected POST would become a GET; 3xx counts as sent
            **self._settings,
        )

    def _current_template(self) -> requests.PreparedRequest | None:
        session = self._session
        key = (dict(session.headers), dict(session.params))
        if key != self._template_of:  # a race between workers only prepares it twice
            try:
                template = session.prepare_request(requests.Request("POST", self._endpoint))
            except Exception:
                template = None
            self._template, self._template_of = template, key
        return self._template
