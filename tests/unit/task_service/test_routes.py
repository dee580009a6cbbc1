"""Every route of the Task API, through the Lambda entry points, against moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from task_service import wiring
from task_service.handlers import handle_read_request, handle_write_request

from tests.schema_support import errors_for
from tests.unit.task_service.support import (
    UNKNOWN_ID,
    Aws,
    FakeContext,
    InvokeRecorder,
    api_event,
    body_of,
)

NEW_TASK = {
    "title": "Book the venue 🎉",
    "detail": "Ask for the room with the view.",
    "dueAt": "2026-12-24T18:00:00+01:00",
}


def write(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = handle_write_request(
        api_event(method, path, **kwargs), FakeContext()
    )
    return response


def read(path: str, **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = handle_read_request(
        api_event("GET", path, **kwargs), FakeContext()
    )
    return response


def create(title: str = "Water the plants", **fields: Any) -> dict[str, Any]:
    response = write("POST", "/tasks", body={"title": title, **fields})
    assert response["statusCode"] == 201, response["body"]
    return body_of(response)  # type: ignore[no-any-return]


def is_utc(timestamp: str) -> bool:
    return datetime.fromisoformat(timestamp).utcoffset() == timedelta(0)


@pytest.mark.usefixtures("invokes")
def test_create_answers_201_with_the_stored_task_at_version_1(aws: Aws) -> None:
    response = write("POST", "/tasks", body=NEW_TASK)

    assert response["statusCode"] == 201
    task = body_of(response)
    assert errors_for("task.json", task) == []
    assert {k: task[k] for k in NEW_TASK} == NEW_TASK
    assert task["isComplete"] is False
    assert task["version"] == 1
    assert task["createdAt"] == task["updatedAt"]
    assert is_utc(task["createdAt"])
    assert aws.stored(task["id"]) is not None


@pytest.mark.usefixtures("invokes")
def test_created_task_reads_back_unchanged(aws: Aws) -> None:
    created = create("Water the plants", isComplete=True)

    response = read(f"/tasks/{created['id']}")

    assert response["statusCode"] == 200
    assert body_of(response) == created


@pytest.mark.usefixtures("aws")
def test_reading_an_unknown_task_answers_404() -> None:
    response = read(f"/tasks/{UNKNOWN_ID}")

    assert response["statusCode"] == 404
    assert body_of(response)["message"] == f"Task {UNKNOWN_ID} was not found."
    assert body_of(response)["errors"] == []


@pytest.fixture
def scans() -> Iterator[list[dict[str, Any]]]:
    """The request of every Scan the service sends from now on."""
    requests: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        requests.append(json.loads(params["body"]))

    client = wiring.dynamodb_client()
    client.meta.events.register("before-call.dynamodb.Scan", record)
    yield requests
    client.meta.events.unregister("before-call.dynamodb.Scan", record)


@pytest.mark.usefixtures("invokes")
def test_listing_pages_through_every_task_with_bounded_scans(
    scans: list[dict[str, Any]],
) -> None:
    created = {create(f"Task {n}")["id"] for n in range(5)}

    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        query = {"limit": "2"} | ({"nextToken": token} if token else {})
        page = body_of(read("/tasks", query=query))
        assert errors_for("task-list.json", page) == []
        assert len(page["items"]) <= 2
        seen += [task["id"] for task in page["items"]]
        token = page["nextToken"]
        if token is None:
            break

    assert sorted(seen) == sorted(created)
    assert all(scan["Limit"] == 2 for scan in scans)
    assert len(scans) == 3  # 2 + 2 + 1


@pytest.mark.usefixtures("invokes")
def test_listing_without_limit_returns_at_most_20_tasks() -> None:
    for n in range(21):
        create(f"Task {n}")

    page = body_of(read("/tasks"))

    assert len(page["items"]) == 20
    assert isinstance(page["nextToken"], str)


@pytest.mark.usefixtures("aws")
def test_listing_an_empty_table_answers_an_empty_last_page() -> None:
    response = read("/tasks")

    assert response["statusCode"] == 200
    assert body_of(response) == {"items": [], "nextToken": None}


@pytest.mark.usefixtures("invokes")
def test_update_replaces_the_state_and_increments_the_version(aws: Aws) -> None:
    created = create(**NEW_TASK)
    change = {"title": "Book the hall", "isComplete": True, "version": 1}

    response = write("PUT", f"/tasks/{created['id']}", body=change)

    assert response["statusCode"] == 200
    task = body_of(response)
    assert errors_for("task.json", task) == []
    assert task["title"] == "Book the hall"
    assert task["isComplete"] is True
    assert task["detail"] is None  # PUT replaces the whole state
    assert task["version"] == 2
    assert task["createdAt"] == created["createdAt"]
    assert task["updatedAt"] > created["updatedAt"]
    assert is_utc(task["updatedAt"])
    assert aws.stored(created["id"])["version"] == {"N": "2"}  # type: ignore[index]


@pytest.mark.usefixtures("invokes")
def test_update_with_a_stale_version_answers_409_and_changes_nothing(
    aws: Aws,
) -> None:
    created = create()
    write(
        "PUT",
        f"/tasks/{created['id']}",
        body={"title": "A", "isComplete": False, "version": 1},
    )

    response = write(
        "PUT",
        f"/tasks/{created['id']}",
        body={"title": "B", "isComplete": False, "version": 1},
    )

    assert response["statusCode"] == 409
    assert body_of(response)["message"] == (
        f"Task {created['id']} is at version 2, not 1: "
        "read it again and apply your change to the current version."
    )
    assert aws.stored(created["id"])["title"] == {"S": "A"}  # type: ignore[index]


@pytest.mark.usefixtures("invokes")
def test_updating_an_unknown_task_answers_404(invokes: InvokeRecorder) -> None:
    response = write(
        "PUT",
        f"/tasks/{UNKNOWN_ID}",
        body={"title": "A", "isComplete": False, "version": 1},
    )

    assert response["statusCode"] == 404
    assert body_of(response)["message"] == f"Task {UNKNOWN_ID} was not found."
    assert invokes.calls == []


def test_delete_answers_204_and_the_task_is_gone(
    aws: Aws, invokes: InvokeRecorder
) -> None:
    created = create()

    response = write("DELETE", f"/tasks/{created['id']}")

    assert response["statusCode"] == 204
    assert response["body"] in (None, "")
    assert aws.stored(created["id"]) is None
    assert read(f"/tasks/{created['id']}")["statusCode"] == 404


@pytest.mark.usefixtures("invokes")
def test_delete_at_the_current_version_succeeds() -> None:
    created = create()

    response = write("DELETE", f"/tasks/{created['id']}", query={"version": "1"})

    assert response["statusCode"] == 204


@pytest.mark.usefixtures("invokes")
def test_delete_at_a_stale_version_answers_409_and_keeps_the_task(aws: Aws) -> None:
    created = create()
    write(
        "PUT",
        f"/tasks/{created['id']}",
        body={"title": "A", "isComplete": False, "version": 1},
    )

    response = write("DELETE", f"/tasks/{created['id']}", query={"version": "1"})

    assert response["statusCode"] == 409
    assert aws.stored(created["id"]) is not None


def test_deleting_an_unknown_task_answers_404(invokes: InvokeRecorder) -> None:
    response = write("DELETE", f"/tasks/{UNKNOWN_ID}")

    assert response["statusCode"] == 404
    assert body_of(response)["message"] == f"Task {UNKNOWN_ID} was not found."
    assert invokes.calls == []
