"""Schema validation for the models, with validators compiled once at import.

publish_activity() and publish_audit_log() run on the caller's thread, so validation must be
CPU only and cheap: the schemas are read and checked once, never per call.
"""

import json
from importlib.resources import files
from typing import Any, Final

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match


class EventValidationError(ValueError):
    """A model failed its schema; ``path`` is the JSON path of the bad field, e.g. ``$.actor``."""

    def __init__(self, model: str, path: str, reason: str) -> None:
        super().__init__(f"invalid {model} at {path}: {reason}")
        self.model = model
        self.path = path
        self.reason = reason


def load_validator(schema_file: str) -> Draft202012Validator:
    """Read a schema shipped in ``schemas/``, check it, and compile its validator."""
    text = (files(__package__) / "schemas" / schema_file).read_text(encoding="utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


ACTIVITY_ENVELOPE_VALIDATOR: Final = load_validator("activity_envelope.json")
AUDIT_LOG_ACTIVITY_VALIDATOR: Final = load_validator("audit_log_activity.json")


def validate(document: dict[str, Any], validator: Draft202012Validator, model: str) -> None:
    """Raise EventValidationError naming the most relevant bad field, if any."""
    error = best_match(validator.iter_errors(document))
    if error is None:
        return
    # An anyOf names the field whose alternatives all failed; an error inside it says more.
    while error.context:
        deepest = max(error.context, key=lambda sub: len(sub.relative_path))
        if not deepest.relative_path:
            break
        error = deepest
    raise EventValidationError(model, error.json_path, error.message)
