"""The DynamoDB adapter on its own: conditional writes and the errors they become."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from task_service import wiring
from task_service.errors import (
    StoreUnavailableError,
    TaskNotFoundError,
    VersionConflictError,
)
from task_service.handlers import handle_write_request
from task_service.store import TaskStore, decode_page_token, encode_page_token

from generated.task import Task
from tests.unit.task_service.support import (
    TABLE_NAME,
    UNKNOWN_ID,
    Aws,
    FakeContext,
    InvokeRecorder,
    api_event,
    body_of,
    refusing,
)


def a_task(version: int = 1, **fields: Any) -> Task:
    return Task.model_validate(
        {
            "id": UNKNOWN_ID,
            "title": "Book the venue",
            "isComplete": False,
            "createdAt": "2026-12-03T16:20:00Z",
            "updatedAt": "2026-12-03T16:20:00Z",
            "version": version,
            **fields,
        }
    )


@pytest.fixture
def store(aws: Aws) -> TaskStore:
    return TaskStore(aws.dynamodb, TABLE_NAME)


def test_a_task_round_trips_through_its_item(store: TaskStore, aws: Aws) -> None:
    task = a_task(detail="Room with a view", dueAt="2026-12-24T18:00:00+01:00")

    store.create(task)

    assert store.get(UNKNOWN_ID) == task
    assert aws.stored(UNKNOWN_ID) == {
        "id": {"S": UNKNOWN_ID},
        "title": {"S": "Book the venue"},
        "detail": {"S": "Room with a view"},
        "dueAt": {"S": "2026-12-24T18:00:00+01:00"},
        "isComplete": {"BOOL": False},
        "createdAt": {"S": "2026-12-03T16:20:00Z"},
        "updatedAt": {"S": "2026-12-03T16:20:00Z"},
        "version": {"N": "1"},
    }


def test_a_replace_at_a_version_that_moved_on_is_a_conflict(store: TaskStore) -> None:
    store.create(a_task(version=3))

    with pytest.raises(VersionConflictError) as raised:
        store.replace(a_task(version=3), expected_version=2)

    assert (raised.value.expected, raised.value.current) == (2, 3)


def test_a_replace_of_a_missing_task_is_not_found(store: TaskStore) -> None:
    with pytest.raises(TaskNotFoundError):
        store.replace(a_task(version=2), expected_version=1)


def test_a_delete_returns_the_last_state(store: TaskStore) -> None:
    store.create(a_task(version=2))

    assert store.delete(UNKNOWN_ID, expected_version=2) == a_task(version=2)


def test_a_delete_at_another_version_is_a_conflict(store: TaskStore) -> None:
    store.create(a_task(version=2))

    with pytest.raises(VersionConflictError):
        store.delete(UNKNOWN_ID, expected_version=1)


def test_a_create_never_overwrites(store: TaskStore) -> None:
    store.create(a_task())

    with pytest.raises(ClientError, match="ConditionalCheckFailedException"):
        store.create(a_task(title="Other"))


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException"]
)
def test_an_overloaded_table_is_unavailable(store: TaskStore, code: str) -> None:
    with (
        refusing(wiring.dynamodb_client(), "before-call.dynamodb.Scan", code),
        pytest.raises(StoreUnavailableError),
    ):
        store.page(10, None)


def test_other_aws_errors_pass_through_unchanged(store: TaskStore) -> None:
    with (
        refusing(
            wiring.dynamodb_client(),
            "before-call.dynamodb.GetItem",
            "AccessDeniedException",
        ),
        pytest.raises(ClientError, match="AccessDeniedException"),
    ):
        store.get(UNKNOWN_ID)


def test_page_tokens_round_trip() -> None:
    key = {"id": {"S": UNKNOWN_ID}}

    assert decode_page_token(encode_page_token(key)) == key


def test_a_throttled_create_answers_503_and_hands_nothing_off(
    invokes: InvokeRecorder,
) -> None:
    code = "ThrottlingException"
    with refusing(wiring.dynamodb_client(), "before-call.dynamodb.PutItem", code):
        response = handle_write_request(
            api_event("POST", "/tasks", body={"title": "a"}), FakeContext()
        )

    assert response["statusCode"] == 503
    assert invokes.calls == []


def test_an_access_denied_table_answers_500_with_an_error_response(
    invokes: InvokeRecorder,
) -> None:
    code = "AccessDeniedException"
    with refusing(wiring.dynamodb_client(), "before-call.dynamodb.PutItem", code):
        response = handle_write_request(
            api_event("POST", "/tasks", body={"title": "a"}), FakeContext()
        )

    assert response["statusCode"] == 500
    assert body_of(response)["errors"] == []
    assert invokes.calls == []
