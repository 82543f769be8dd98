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
  session's headers or params change; a session with auth, cookies or hooks (which may depend
  on the body, or change with every response) prepares every request in full;
- a body is prepared once for all its attempts;
- a plain session sends straight through urllib3's connection pool. Plain means: a
  ``requests.Session`` itself, with no hooks and no cookies, the endpoint served by requests'
  own ``HTTPAdapter`` and reached without a proxy. ``Session.send()`` and ``HTTPAdapter.send()``
  would add, for every request, what such a session has none of (hooks, the cookie jar,
  redirects, which are never followed here) and look the same connection pool up again: half
  of the CPU of a small POST. What they do that matters is done here too: the adapter's pool,
  TLS settings and retries, requests' exceptions for urllib3's errors, and a cookie the server
  sets is stored in the session (so the next request goes the full way). Anything else (another
  adapter mounted, a hook added later) takes ``Session.send()``.
"""

import itertools
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

import requests
from requests.adapters import HTTPAdapter
from requests.cookies import extract_cookies_to_jar
from requests.utils import select_proxy
from urllib3 import BaseHTTPResponse, HTTPConnectionPool, Timeout
from urllib3 import exceptions as urllib3_errors

#: At most this much of a response body is read (and dropped) to keep its connection alive.
MAX_DRAINED_BODY: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class Reply:
    """What an attempt's response says: its body is never parsed."""

    status: int
    reason: str | None
    retry_after: str | None  # the raw Retry-After header


class Transport:
    """Prepares and sends POSTs to one endpoint; thread-safe as the session is."""

    def __init__(self, session: requests.Session, endpoint: str, timeout: float) -> None:
        self._session = session
        self._endpoint = endpoint
        self._timeout = timeout
        self._urllib3_timeout = Timeout(connect=timeout, read=timeout)  # urllib3 clones it per request
        # stream=True: status and headers only; the caller reads (a little of) the body itself.
        self._settings: dict[str, Any] = session.merge_environment_settings(
            endpoint, {}, True, session.verify, None
        )
        self._proxied = select_proxy(endpoint, self._settings["proxies"]) is not None
        self._template: requests.PreparedRequest | None = None
        self._template_of: tuple[dict[str, str], dict[str, Any]] | None = None
        self._pool: tuple[HTTPAdapter, HTTPConnectionPool] | None = None
        self._key_base = uuid.uuid4().int
        self._key_numbers = itertools.count()

    def request_key(self) -> str:
        """A new Idempotency-Key: a UUID 4, unlike every other key, without a ``getrandom()``
        call each (with several workers, every call that releases the GIL is a hand-off).

        One random UUID per transport (a forked child makes its own), varied by a counter in
        bits that the version and variant leave alone: a key never repeats within a transport,
        and another transport's keys are as unlikely to meet these as random UUIDs are."""
        return str(uuid.UUID(int=self._key_base ^ next(self._key_numbers), version=4))

    def prepare(self, body: bytes, headers: Mapping[str, str]) -> requests.PreparedRequest:
        """The request for one body, merged with the session; reusable for every retry.

        Without auth, cookies and hooks, the session's part is prepared once and copied, until
        the session's headers or params change; otherwise the session prepares every request in
        full.
        """
        session = self._session
        in_full = session.auth is not None or len(session.cookies) or _has_hooks(session)
        template = None if in_full else self._current_template()
        if template is None:  # also when the session cannot prepare a request (a bad header): let it say why
            return session.prepare_request(requests.Request("POST", self._endpoint, data=body, headers=headers))
        request = template.copy()
        request.headers.update(headers)  # the client's own headers: validated by ClientConfig
        request.prepare_body(body, None)
        return request

    def post(self, request: requests.PreparedRequest, deadline: float) -> Reply:
        """One attempt, its body read until ``deadline`` at most; raises requests' exceptions
        (connection errors, timeouts...)."""
        session = self._session
        adapter = session.get_adapter(self._endpoint)  # looked up each time: the caller may mount another
        if (
            type(session) is requests.Session
            and type(adapter) is HTTPAdapter
            and not self._proxied
            and not len(session.cookies)
            and not _has_hooks(session)
            and not any(request.hooks.values())
        ):
            raw = self._urlopen(adapter, request)
            if "Set-Cookie" in raw.headers:
                extract_cookies_to_jar(session.cookies, request, raw)
        else:
            raw = session.send(
                request.copy(),  # an auth handler or hook may change what it is given
                timeout=self._timeout,
                allow_redirects=False,  # a redirected POST would become a GET; 3xx counts as sent
                **self._settings,
            ).raw
        try:
            reply = Reply(raw.status, raw.reason, raw.headers.get("Retry-After"))
            _discard_body(raw, deadline)
        finally:
            raw.close()  # what requests' Response.close() does with a body left unread
            raw.release_conn()
        return reply

    def _urlopen(self, adapter: HTTPAdapter, request: requests.PreparedRequest) -> BaseHTTPResponse:
        """``HTTPAdapter.send()`` for a plain session: the same call to urllib3, the same errors."""
        try:
            return self._connection_pool(adapter, request).urlopen(
                method="POST",
                url=request.path_url,
                body=cast(bytes, request.body),  # prepare() gives it bytes
                headers=cast(Mapping[str, str], request.headers),  # str or bytes values, as HTTPAdapter passes them
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=adapter.max_retries,
                timeout=self._urllib3_timeout,
                chunked=False,  # the body is bytes, with its Content-Length
            )
        except (urllib3_errors.ProtocolError, OSError, urllib3_errors.ClosedPoolError) as err:
            raise requests.ConnectionError(err, request=request) from err
        except urllib3_errors.MaxRetryError as err:
            reason = err.reason
            if isinstance(reason, urllib3_errors.ConnectTimeoutError) and not isinstance(
                reason, urllib3_errors.NewConnectionError
            ):
                raise requests.ConnectTimeout(err, request=request) from err
            if isinstance(reason, urllib3_errors.ResponseError):
                raise requests.exceptions.RetryError(err, request=request) from err
            if isinstance(reason, urllib3_errors.SSLError):
                raise requests.exceptions.SSLError(err, request=request) from err
            raise requests.ConnectionError(err, request=request) from err
        except urllib3_errors.SSLError as err:
            raise requests.exceptions.SSLError(err, request=request) from err
        except urllib3_errors.ReadTimeoutError as err:
            raise requests.ReadTimeout(err, request=request) from err
        except urllib3_errors.InvalidHeader as err:
            raise requests.exceptions.InvalidHeader(err, request=request) from err

    def _connection_pool(self, adapter: HTTPAdapter, request: requests.PreparedRequest) -> HTTPConnectionPool:
        """The adapter's pool for the endpoint, looked up once (again if the adapter changes, or
        its pool manager closes the pool: it keeps only the pools used last)."""
        cached = self._pool
        if cached is not None and cached[0] is adapter and cached[1].pool is not None:
            return cached[1]
        verify, cert = self._settings["verify"], self._settings["cert"]
        try:
            pool = adapter.get_connection_with_tls_context(request, verify, cert=cert)
        except urllib3_errors.LocationValueError as err:
            raise requests.exceptions.InvalidURL(err, request=request) from err
        adapter.cert_verify(pool, self._endpoint, verify, cert)
        self._pool = (adapter, pool)  # a race between workers only looks it up twice
        return pool

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


def _has_hooks(session: requests.Session) -> bool:
    return any(session.hooks.values())


def _discard_body(raw: BaseHTTPResponse, deadline: float) -> None:
    """Read and drop at most MAX_DRAINED_BODY bytes of a body, so that its connection is reused.

    Bodies are never parsed. A longer one is left unread (closing the response then closes the
    connection), and so is whatever has not arrived by ``deadline``: a body that trickles in must
    not hold the worker past ``request_timeout``. One that breaks off, or is not what its headers
    said, is ignored: the status has already arrived and decides the attempt.
    """
    sock = getattr(raw.connection, "sock", None)  # urllib3 sets its timeout again for the next request
    left = MAX_DRAINED_BODY
    may_block = True  # the first read; after it, only while the body is not known to be complete
    try:
        while left > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if sock is not None and may_block:
                sock.settimeout(remaining)  # a system call that releases the GIL: only when needed
            chunk = raw.read1(left, decode_content=False)  # one read at most; no decompression: no zip bomb
            if not chunk:
                return
            left -= len(chunk)
            may_block = raw.length_remaining != 0  # 0: the next read only sees the end
    except Exception:  # whatever goes wrong with a body nobody reads changes nothing
        pass
