"""The generated models and the JSON Schemas give the same answer for every instance."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic import ValidationError

from generated.create_task_request import CreateTaskRequest
from generated.task import Task
from tests.contract.models import MODEL_FOR_SCHEMA
from tests.schema_support import bundled, errors_for, load_schema

TASK = load_schema("task.json")["examples"][0]
EVENT = load_schema("handoff-event.json")["examples"][0]
UPDATE = load_schema("update-task-request.json")["examples"][0]
# hypothesis-jsonschema knows date-time but not uuid.
FORMATS = {"uuid": st.uuids().map(str)}


def _model_accepts(name: str, instance: object) -> bool:
    try:
        MODEL_FOR_SCHEMA[name].validate_python(instance)
    except ValidationError:
        return False
    return True


# ------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", sorted(MODEL_FOR_SCHEMA))
def test_schema_instances_round_trip_through_the_model(name: str) -> None:
    model = MODEL_FOR_SCHEMA[name]

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(from_schema(bundled(name), custom_formats=FORMATS))
    def round_trip(instance: Any) -> None:
        parsed = model.validate_python(instance)

        assert errors_for(name, model.dump_python(parsed, mode="json")) == []
        assert model.validate_json(model.dump_json(parsed)) == parsed

    round_trip()


# ------------------------------------------------------------- one answer


TITLE_100 = "🎉" * 100
FAMILY = "👨‍👩‍👧"  # five code points: three people joined by two zero-width joiners

INVALID: list[tuple[str, str, dict[str, Any]]] = [
    ("blank title", "create-task-request.json", {"title": "   "}),
    ("empty title", "create-task-request.json", {"title": ""}),
    ("ideographic-space title", "create-task-request.json", {"title": "\u3000\u2028"}),
    ("101-character title", "create-task-request.json", {"title": "x" * 101}),
    ("101-emoji title", "create-task-request.json", {"title": "🎉" * 101}),
    (
        "21 families (105 code points)",
        "create-task-request.json",
        {"title": FAMILY * 21},
    ),
    (
        "1001-character detail",
        "create-task-request.json",
        {"title": "t", "detail": "d" * 1001},
    ),
    (
        "month 13",
        "create-task-request.json",
        {"title": "t", "dueAt": "2026-13-01T00:00:00Z"},
    ),
    (
        "no offset",
        "create-task-request.json",
        {"title": "t", "dueAt": "2026-12-03T10:00:00"},
    ),
    (
        "space for T",
        "create-task-request.json",
        {"title": "t", "dueAt": "2026-12-03 10:00:00Z"},
    ),
    ("words", "create-task-request.json", {"title": "t", "dueAt": "tomorrow"}),
    (
        "unix time string",
        "create-task-request.json",
        {"title": "t", "dueAt": "1700000000"},
    ),
    (
        "unix time number",
        "create-task-request.json",
        {"title": "t", "dueAt": 1700000000},
    ),
    ("unknown field", "create-task-request.json", {"title": "t", "colour": "red"}),
    (
        "snake_case name",
        "create-task-request.json",
        {"title": "t", "is_complete": True},
    ),
    ("title not a string", "create-task-request.json", {"title": 5}),
    (
        "boolean as string",
        "create-task-request.json",
        {"title": "t", "isComplete": "true"},
    ),
    ("missing title", "create-task-request.json", {}),
    (
        "missing version",
        "update-task-request.json",
        {k: v for k, v in UPDATE.items() if k != "version"},
    ),
    ("version 0", "update-task-request.json", {**UPDATE, "version": 0}),
    ("version as string", "update-task-request.json", {**UPDATE, "version": "1"}),
    ("unknown field on update", "update-task-request.json", {**UPDATE, "owner": "me"}),
    ("wrong event type", "handoff-event.json", {**EVENT, "type": "task.archived"}),
    (
        "missing discriminator",
        "handoff-event.json",
        {k: v for k, v in EVENT.items() if k != "type"},
    ),
    (
        "missing correlation id",
        "handoff-event.json",
        {k: v for k, v in EVENT.items() if k != "correlationid"},
    ),
    ("event id not a uuid", "handoff-event.json", {**EVENT, "id": "not-a-uuid"}),
    (
        "event id without hyphens",
        "handoff-event.json",
        {**EVENT, "id": EVENT["id"].replace("-", "")},
    ),
    ("unknown spec version", "handoff-event.json", {**EVENT, "specversion": "0.3"}),
    ("unknown envelope field", "handoff-event.json", {**EVENT, "priority": "high"}),
    ("task with blank title", "task.json", {**TASK, "title": " \t"}),
    (
        "task with naive timestamp",
        "task.json",
        {**TASK, "createdAt": "2026-12-03T16:20:00"},
    ),
    ("task with braced id", "task.json", {**TASK, "id": "{" + TASK["id"] + "}"}),
]

VALID: list[tuple[str, str, dict[str, Any]]] = [
    ("100-emoji title", "create-task-request.json", {"title": TITLE_100}),
    (
        "20 families (100 code points)",
        "create-task-request.json",
        {"title": FAMILY * 20},
    ),
    ("padded title", "create-task-request.json", {"title": "  a  "}),
    ("control character title", "create-task-request.json", {"title": "\x1c"}),
    (
        "1000-character detail",
        "create-task-request.json",
        {"title": "t", "detail": "é" * 1000},
    ),
    ("null detail", "create-task-request.json", {"title": "t", "detail": None}),
    (
        "any offset",
        "create-task-request.json",
        {"title": "t", "dueAt": "2026-12-03T10:00:00.5-09:30"},
    ),
    (
        "lower-case t and z",
        "create-task-request.json",
        {"title": "t", "dueAt": "2026-12-03t10:00:00z"},
    ),
]


@pytest.mark.parametrize(
    ("case", "name", "instance"), INVALID, ids=[c[0] for c in INVALID]
)
def test_schema_and_model_both_reject(
    case: str, name: str, instance: dict[str, Any]
) -> None:
    assert errors_for(name, instance), f"the schema accepts the {case}"
    assert not _model_accepts(name, instance), f"the model accepts the {case}"


@pytest.mark.parametrize(("case", "name", "instance"), VALID, ids=[c[0] for c in VALID])
def test_schema_and_model_both_accept(
    case: str, name: str, instance: dict[str, Any]
) -> None:
    assert errors_for(name, instance) == []
    assert _model_accepts(name, instance), f"the model rejects the {case}"


# ------------------------------------------------------------- wire format


def test_unknown_field_error_names_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        CreateTaskRequest.model_validate({"title": "t", "colour": "red"})

    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [
        ("extra_forbidden", ("colour",))
    ]
    assert errors_for("create-task-request.json", {"title": "t", "colour": "red"}) == [
        "<root>: Additional properties are not allowed ('colour' was unexpected)"
    ]


def test_models_dump_camel_case_by_default() -> None:
    task = Task.model_validate(TASK)

    assert task.is_complete is False
    assert list(task.model_dump()) == list(TASK)
    assert '"isComplete":false' in task.model_dump_json()


def test_title_length_counts_code_points_not_bytes_or_utf16_units() -> None:
    title = "🎉" * 100  # 400 bytes in UTF-8, 200 units in UTF-16

    assert CreateTaskRequest.model_validate({"title": title}).title == title
    assert errors_for("create-task-request.json", {"title": title}) == []


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("2026-12-03T16:20:00Z", "2026-12-03T16:20:00Z"),
        ("2026-12-03T16:20:00.000Z", "2026-12-03T16:20:00Z"),
        ("2026-12-03T16:20:00.25Z", "2026-12-03T16:20:00.250Z"),
        ("2026-12-03T16:20:00.123456+00:00", "2026-12-03T16:20:00.123456Z"),
        ("2026-12-03t17:20:00.5+01:00", "2026-12-03T17:20:00.500+01:00"),
    ],
)
def test_timestamps_are_written_short_with_z_for_utc(given: str, written: str) -> None:
    task = Task.model_validate({**TASK, "createdAt": given})

    assert task.model_dump(mode="json")["createdAt"] == written
    assert errors_for("task.json", task.model_dump(mode="json")) == []
