"""Validation errors, pydantic's or the API's own, as the JSON Schema rules they broke.

The API promises ``{field, rule, message}`` where ``rule`` is the JSON Schema keyword
that failed. pydantic names its errors differently; this is the one place where the
two vocabularies meet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from generated.definitions import FieldError

# pydantic error type -> the JSON Schema keyword of the schemas in schemas/.
_RULE_OF_ERROR_TYPE: Mapping[str, str] = {
    "missing": "required",
    "extra_forbidden": "additionalProperties",
    "string_too_short": "minLength",
    "string_too_long": "maxLength",
    "string_pattern_mismatch": "pattern",
    "too_short": "minItems",
    "too_long": "maxItems",
    "greater_than_equal": "minimum",
    "less_than_equal": "maximum",
    "greater_than": "exclusiveMinimum",
    "less_than": "exclusiveMaximum",
    "multiple_of": "multipleOf",
    "enum": "enum",
    "literal_error": "enum",
    # The before-validators of contract_types (RFC 3339, canonical UUID) raise
    # value errors; they stand for the schemas' format keyword.
    "value_error": "format",
    "uuid_parsing": "format",
    "uuid_type": "format",
    "uuid_version": "format",
    "datetime_parsing": "format",
    "datetime_from_date_parsing": "format",
    "datetime_object_invalid": "format",
    "timezone_aware": "format",
}
# Everything else pydantic reports (string_type, int_parsing, model_type, json_invalid,
# bool_type, ...) is a value of the wrong JSON type.
_DEFAULT_RULE = "type"

# Where Powertools puts each part of the request in an error's location.
_REQUEST_PARTS = frozenset({"body", "query", "path", "header", "cookie"})


def rule_of(error_type: str) -> str:
    """The JSON Schema keyword that a pydantic error type stands for."""
    return _RULE_OF_ERROR_TYPE.get(error_type, _DEFAULT_RULE)


def field_of(location: Sequence[Any]) -> str:
    """The dotted path of an error location, without the request part ('body', ...)."""
    parts = list(location)
    if parts and parts[0] in _REQUEST_PARTS:
        parts = parts[1:]
    return ".".join(str(part) for part in parts)


def message_of(error: Mapping[str, Any], field: str) -> str:
    """Words for one error; pydantic's, except where they would not name the field."""
    error_type = error.get("type", "")
    if error_type == "extra_forbidden":
        return f"Unknown field '{field}'"
    if error_type == "json_invalid":
        return (
            f"The request body is not valid JSON: {error.get('ctx', {}).get('error')}"
        )
    if error_type == "missing" and not field:
        return "A JSON object is required"
    message = str(error.get("msg") or "Invalid value")
    # Before-validators raise ValueError('...'), which pydantic prefixes.
    return message.removeprefix("Value error, ")


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    """Translate pydantic (or Powertools) error dicts into the API's field errors."""
    translated = []
    for error in errors:
        location = error.get("loc", ())
        if error.get("type") == "json_invalid":
            location = ()  # Powertools appends the character offset to ('body',)
        field = field_of(location)
        rule = rule_of(str(error.get("type", "")))
        if not field and rule == "required":
            rule = _DEFAULT_RULE  # no body, or JSON that is not an object
        translated.append(
            FieldError(field=field, rule=rule, message=message_of(error, field))
        )
    return translated
