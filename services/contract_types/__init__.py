"""Hand-written types that the generated models build on.

datamodel-code-generator names these in ``pyproject.toml`` (``base-class`` and
``type-overrides``). They close the gaps where pydantic, left to itself, would
accept input that the JSON Schemas reject, so that the schema and the models
give the same answer for every instance.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
)

# RFC 3339 section 5.6 (date-time): pydantic also takes unix timestamps, a space
# for the 'T' and offsets without a colon, which the schema's format does not.
_RFC3339 = re.compile(
    r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)", re.ASCII
)
# The canonical 8-4-4-4-12 form; pydantic also takes braces, URNs and no hyphens.
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    re.ASCII,
)


def _require_rfc3339(value: Any) -> Any:  # noqa: ANN401 - a pydantic before-validator
    if isinstance(value, str) and not _RFC3339.fullmatch(value):
        msg = "must be an RFC 3339 date-time with an offset, e.g. 2026-12-03T16:20:00Z"
        raise ValueError(msg)
    if isinstance(value, int | float):
        msg = "must be an RFC 3339 date-time string, not a number"
        raise ValueError(msg)  # noqa: TRY004 - pydantic wants ValueError here
    return value


def _require_canonical_uuid(value: Any) -> Any:  # noqa: ANN401 - a pydantic before-validator
    if isinstance(value, str) and not _UUID.fullmatch(value):
        msg = "must be a UUID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
        raise ValueError(msg)
    return value


def _rfc3339_text(value: datetime) -> str:
    # As short as the value allows (no '.000000' tail on whole milliseconds),
    # and 'Z' for UTC, as AWS writes its own timestamps.
    if not value.microsecond:
        timespec = "seconds"
    elif value.microsecond % 1000 == 0:
        timespec = "milliseconds"
    else:
        timespec = "microseconds"
    text = value.isoformat(timespec=timespec)
    return f"{text[:-6]}Z" if text.endswith("+00:00") else text


Rfc3339DateTime = Annotated[
    AwareDatetime,
    BeforeValidator(_require_rfc3339),
    PlainSerializer(_rfc3339_text, return_type=str, when_used="json"),
]
"""A timezone-aware datetime that parses only from RFC 3339 text.

In JSON it is written with the fewest fractional digits that keep its value and
with 'Z' for UTC: ``2026-12-03T16:20:00.25Z`` becomes ``...16:20:00.250Z``.
"""

CanonicalUuid = Annotated[UUID, BeforeValidator(_require_canonical_uuid)]
"""A UUID that parses only from its canonical hyphenated text."""


class ContractModel(BaseModel):
    """The base of every generated model.

    Attributes are snake_case in Python and camelCase on the wire: the models
    accept only the wire names (as the schemas do) and dump by alias, so
    ``model_dump()`` and ``model_dump_json()`` produce what the schemas describe.
    Construct them with the wire names too: ``Task(isComplete=False, ...)``.
    """

    model_config = ConfigDict(
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
    )
