"""pydantic's error types, as the JSON Schema keywords the API reports."""

from __future__ import annotations

import pytest
from task_service.validation import field_errors, field_of, rule_of


@pytest.mark.parametrize(
    ("error_type", "rule"),
    [
        ("missing", "required"),
        ("extra_forbidden", "additionalProperties"),
        ("string_too_short", "minLength"),
        ("string_too_long", "maxLength"),
        ("string_pattern_mismatch", "pattern"),
        ("greater_than_equal", "minimum"),
        ("less_than_equal", "maximum"),
        ("literal_error", "enum"),
        ("value_error", "format"),
        ("uuid_parsing", "format"),
        ("datetime_parsing", "format"),
        ("string_type", "type"),
        ("int_parsing", "type"),
        ("bool_type", "type"),
        ("model_type", "type"),
        ("json_invalid", "type"),
        ("a_type_pydantic_adds_later", "type"),
    ],
)
def test_each_error_type_maps_to_a_schema_keyword(error_type: str, rule: str) -> None:
    assert rule_of(error_type) == rule


@pytest.mark.parametrize(
    ("location", "field"),
    [
        (("body", "title"), "title"),
        (("body",), ""),
        (("query", "limit"), "limit"),
        (("path", "taskId"), "taskId"),
        (("body", "data", "task", "dueAt"), "data.task.dueAt"),
        (("body", "items", 0, "title"), "items.0.title"),
    ],
)
def test_the_field_is_the_dotted_path_without_the_request_part(
    location: tuple[object, ...], field: str
) -> None:
    assert field_of(location) == field


def test_before_validator_messages_lose_pydantics_prefix() -> None:
    [error] = field_errors(
        [
            {
                "type": "value_error",
                "loc": ("body", "dueAt"),
                "msg": "Value error, must be X",
            }
        ]
    )

    assert (error.field, error.rule, error.message) == ("dueAt", "format", "must be X")
