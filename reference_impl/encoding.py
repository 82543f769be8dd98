"""Request bodies: JSON, encoded with orjson when it is installed, else with the standard library.

orjson (the optional ``fast`` extra) is several times faster, and is made to agree with ``json``:
keys that are not strings are accepted; datetimes and dataclasses are refused (they are not
JSON); subclasses of dict, list, str and int are encoded as ``json`` encodes them (a dict
subclass through its ``items()``). orjson writes NaN and ±Infinity as ``null`` where ``json``
refuses them, so a body with a ``null`` in it is encoded again by ``json``, which raises for
them. What still differs: orjson encodes a few types that ``json`` refuses (``uuid.UUID``,
``enum.Enum``) instead of failing the event.
"""

import json
from collections.abc import Sequence
from typing import Any, Final

try:
    import orjson as _orjson
except ImportError:  # the default install: the standard library only
    _orjson = None

#: Which library encodes: "orjson" or "json".
ENCODER: Final = "json" if _orjson is None else "orjson"

# One encoder for every event: json.dumps with non-default options would build a new one per call.
# No check for circular references (a sixth of the encoding time): an event that contains itself
# still fails, with RecursionError instead of ValueError, and alone as every other bad event.
_JSON: Final = json.JSONEncoder(allow_nan=False, separators=(",", ":"), check_circular=False)
_ORJSON_OPTIONS: Final = (
    0
    if _orjson is None
    else _orjson.OPT_NON_STR_KEYS
    | _orjson.OPT_PASSTHROUGH_DATETIME
    | _orjson.OPT_PASSTHROUGH_DATACLASS
    | _orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _as_json_would(value: object) -> object:
    """orjson's ``default``: a subclass of a JSON type becomes what ``json`` makes of it."""
    if isinstance(value, dict):
        return dict(value.items())
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__index__(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _orjson_body(document: Any) -> bytes | None:
    """orjson's encoding, or None where ``json`` must decide (no orjson, or a ``null`` in it)."""
    if _orjson is not None:
        body: bytes = _orjson.dumps(document, default=_as_json_would, option=_ORJSON_OPTIONS)
        if b"null" not in body:  # no None, so no NaN or infinity that orjson made into null
            return body
    return None


def encode(document: Any) -> bytes:
    """The document as compact JSON; raises (TypeError, ValueError, or whatever user code in it
    raises) for one that is not JSON."""
    body = _orjson_body(document)
    return _JSON.encode(document).encode() if body is None else body  # ASCII: ensure_ascii is on


def encode_text(document: Any) -> str:
    """encode() as text, for JSON that is kept (the spool's rows): sized to fit, where each of
    orjson's bytes objects holds on to a buffer of a few KiB."""
    body = _orjson_body(document)
    return _JSON.encode(document) if body is None else body.decode()


def encode_batch(events: Sequence[dict[str, Any]]) -> bytes:
    """``{"batch": [...]}`` in one call; raises if any event is not JSON."""
    return encode({"batch": events})
