def span_status(http_status_code: int) -> str:
    """Maps the status of an *instrumented* request to a span status."""
    if http_status_code < 400:
        return "ok"
    if http_status_code == 429:
        return "resource_exhausted"
    if http_status_code == 409:
        return "already_exists"
    if 400 <= http_status_code < 500:
        return "invalid_argument"
    return "internal_error"
