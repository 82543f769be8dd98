"""The pure delivery rules: classification, backoff, jitter, Retry-After, error descriptions."""

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests

from activity_publisher.delivery import (
    MAX_ERROR_LENGTH,
    Category,
    backoff_delay,
    classify_exception,
    classify_status,
    describe_exception,
    describe_status,
    retry_after_delay,
    secret_forms,
)


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (200, Category.SUCCESS),
        (201, Category.SUCCESS),
        (204, Category.SUCCESS),
        (299, Category.SUCCESS),
        (301, Category.SUCCESS),
        (302, Category.SUCCESS),
        (399, Category.SUCCESS),
        (429, Category.RATE_LIMIT),
        (409, Category.RETRYABLE),
        (500, Category.RETRYABLE),
        (503, Category.RETRYABLE),
        (599, Category.RETRYABLE),
        (400, Category.PERMANENT),
        (401, Category.PERMANENT),
        (404, Category.PERMANENT),
        (422, Category.PERMANENT),
        (499, Category.PERMANENT),
        (100, Category.PERMANENT),
        (199, Category.PERMANENT),
        (600, Category.PERMANENT),
        (999, Category.PERMANENT),
    ],
)
def test_status_classification(status: int, category: Category) -> None:
    assert classify_status(status) is category


@pytest.mark.parametrize(
    ("exc", "category"),
    [
        (requests.ConnectionError("refused"), Category.NETWORK),
        (requests.ConnectTimeout("slow connect"), Category.NETWORK),
        (requests.ReadTimeout("slow read"), Category.NETWORK),
        (requests.Timeout("slow"), Category.NETWORK),
        (requests.exceptions.InvalidURL("bad"), Category.PERMANENT),
        (requests.exceptions.ChunkedEncodingError("bad"), Category.PERMANENT),
        (requests.RequestException("other"), Category.PERMANENT),
        (UnicodeEncodeError("latin-1", "\u20ac", 0, 1, "ordinal not in range(256)"), Category.PERMANENT),
    ],
)
def test_exception_classification(exc: BaseException, category: Category) -> None:
    assert classify_exception(exc) is category


def test_default_backoff_is_1_2_4_8_16_seconds() -> None:
    delays = [backoff_delay(n, initial_delay=1.0, backoff_factor=2.0, max_delay=60.0) for n in range(1, 6)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_backoff_is_capped_at_max_delay() -> None:
    delays = [backoff_delay(n, initial_delay=1.0, backoff_factor=3.0, max_delay=10.0) for n in range(1, 6)]
    assert delays == [1.0, 3.0, 9.0, 10.0, 10.0]


def test_backoff_beyond_float_range_is_the_cap() -> None:
    assert backoff_delay(5000, initial_delay=0.5, backoff_factor=2.0, max_delay=30.0) == 30.0
    assert backoff_delay(5000, initial_delay=0.0, backoff_factor=2.0, max_delay=30.0) == 0.0


def test_jitter_bounds_are_1_minus_j_to_1_plus_j_and_still_capped() -> None:
    low = backoff_delay(
        3, initial_delay=1.0, backoff_factor=2.0, max_delay=60.0, jitter=0.25, uniform=lambda a, b: a
    )
    high = backoff_delay(
        3, initial_delay=1.0, backoff_factor=2.0, max_delay=60.0, jitter=0.25, uniform=lambda a, b: b
    )
    assert (low, high) == (3.0, 5.0)
    capped = backoff_delay(
        3, initial_delay=1.0, backoff_factor=2.0, max_delay=4.5, jitter=0.25, uniform=lambda a, b: b
    )
    assert capped == 4.5


def test_jittered_delays_stay_within_bounds() -> None:
    samples = [
        backoff_delay(2, initial_delay=1.0, backoff_factor=2.0, max_delay=60.0, jitter=0.5)
        for _ in range(500)
    ]
    assert all(1.0 <= sample <= 3.0 for sample in samples)
    assert len(set(samples)) > 1  # it does spread


def test_no_jitter_never_calls_random() -> None:
    def forbidden(a: float, b: float) -> float:
        raise AssertionError("uniform() called without jitter")

    assert backoff_delay(2, initial_delay=1.0, backoff_factor=2.0, max_delay=60.0, uniform=forbidden) == 2.0


NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("120", 60.0),  # capped at max_delay
        ("99999999999999999999999", 60.0),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW + timedelta(hours=2), usegmt=True), 60.0),  # capped
        (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),  # past: at once
        ("Wed, 02 Jan 2030 03:04:15 -0000", 10.0),  # naive "-0000" is GMT
        (None, None),
        ("", None),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("\u0664", None),  # a non-ASCII digit is not an integer header
        ("Mon, 99 Foo 2030 25:61:61 GMT", None),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert retry_after_delay(value, max_delay=60.0, now=NOW) == expected


def test_describe_status_uses_the_standard_phrase() -> None:
    assert describe_status(503, "whatever the server said") == "HTTP 503 Service Unavailable"
    assert describe_status(600, "Odd") == "HTTP 600 Odd"
    assert describe_status(600, "") == "HTTP 600"


def test_describe_exception_keeps_only_scheme_host_and_port_of_urls_and_redacts_secrets() -> None:
    exc = requests.ConnectionError(
        "HTTPConnectionPool(host='h', port=1): Max retries exceeded with url: /hooks/path-s3cr3t?token=qs-secret "
        "(Caused by ...) http://alice:pw-secret@h:8080/x/hook-s3cr3t?k=v#frag header Bearer hdr-secret-value"
    )
    text = describe_exception(exc, ["Bearer hdr-secret-value", "ab"])
    assert text.startswith("ConnectionError: HTTPConnectionPool(host='h', port=1)")
    for secret in ("qs-secret", "pw-secret", "alice", "hdr-secret", "k=v", "s3cr3t", "frag"):
        assert secret not in text
    assert "with url: [redacted] (Caused by ...)" in text
    assert "http://[redacted]@h:8080/[redacted] header" in text


def test_secret_forms_cover_a_token_read_with_its_newline() -> None:
    forms = secret_forms(["Bearer tok-s3cr3t-value\n", "ab", "keep"])
    message = "Invalid header value: 'Bearer tok-s3cr3t-value\\n' (stripped: Bearer tok-s3cr3t-value)"
    text = describe_exception(ValueError(message), forms)
    assert "s3cr3t" not in text and "keep" in forms and "ab" not in forms


def test_describe_exception_survives_a_message_that_cannot_be_read() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert describe_exception(Unprintable()).startswith("Unprintable: ")


def test_describe_exception_keeps_short_header_values_and_bounds_length() -> None:
    assert describe_exception(ValueError("retry 1 of 3"), ["1"]) == "ValueError: retry 1 of 3"
    assert describe_exception(RuntimeError()) == "RuntimeError"
    assert len(describe_exception(ValueError("x" * 5000))) == MAX_ERROR_LENGTH
