"""The handoff: every change goes out as a schema-valid event, or is parked; none lost.

Events are captured where they leave the service, at its Lambda client, and checked
against ``schemas/handoff-event.json`` (Draft 2020-12, formats checked).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from task_service import wiring
from task_service.handlers import handle_write_request

from tests.schema_support import errors_for
from tests.unit.task_service.support import (
    NOTIFICATION_FUNCTION,
    REQUEST_ID,
    Aws,
    FakeContext,
    InvokeRecorder,
    api_event,
    body_of,
)


def write(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = handle_write_request(
        api_event(method, path, **kwargs), FakeContext()
    )
    return response


def create(**fields: Any) -> dict[str, Any]:
    return body_of(write("POST", "/tasks", body={"title": "Book the venue", **fields}))  # type: ignore[no-any-return]


def update(task: dict[str, Any], **changes: Any) -> dict[str, Any]:
    state = {
        "title": task["title"],
        "isComplete": task["isComplete"],
        "version": task["version"],
    }
    return body_of(write("PUT", f"/tasks/{task['id']}", body=state | changes))  # type: ignore[no-any-return]


def emitted_metrics(output: str) -> dict[str, float]:
    """Metric name -> summed value, from the EMF lines Powertools printed."""
    totals: dict[str, float] = {}
    for line in output.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        document = json.loads(line)
        for definition in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            name = definition["Name"]
            totals[name] = totals.get(name, 0) + sum(document[name])
    return totals


# ---------------------------------------------------------------- the contract


def test_every_event_type_validates_against_the_handoff_schema(
    invokes: InvokeRecorder,
) -> None:
    task = create(
        detail="Ask for the room with the view.", dueAt="2026-12-24T18:00:00Z"
    )
    task = update(task, title="Book the hall")  # task.updated
    task = update(task, isComplete=True)  # task.completed
    task = update(task, isComplete=False)  # task.updated: no longer complete
    write("DELETE", f"/tasks/{task['id']}")  # task.deleted

    events = invokes.events
    assert [event["type"] for event in events] == [
        "task.created",
        "task.updated",
        "task.completed",
        "task.updated",
        "task.deleted",
    ]
    for event in events:
        assert errors_for("handoff-event.json", event) == [], event["type"]


def test_the_invoke_is_asynchronous_and_targets_the_configured_function(
    invokes: InvokeRecorder,
) -> None:
    create()

    [call] = invokes.calls
    assert call["invocation_type"] == "Event"
    assert call["url_path"].startswith(
        f"/2015-03-31/functions/{NOTIFICATION_FUNCTION}/"
    )


def test_an_event_carries_the_change_and_the_request(invokes: InvokeRecorder) -> None:
    task = create()

    [event] = invokes.events
    assert event == {
        "specversion": "1.0",
        "id": event["id"],
        "source": "/internal-handoff/task-service",
        "type": "task.created",
        "time": task["updatedAt"],
        "subject": task["id"],
        "correlationid": REQUEST_ID,
        "datacontenttype": "application/json",
        "data": {"task": task},
    }
    assert uuid.UUID(event["id"]).version == 4


def test_each_event_has_a_fresh_id(invokes: InvokeRecorder) -> None:
    task = create()
    update(task, title="Again")

    ids = [event["id"] for event in invokes.events]
    assert len(set(ids)) == 2


def test_the_source_comes_from_the_configuration(
    invokes: InvokeRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENT_SOURCE", "/acme/tasks")

    create()

    assert invokes.events[0]["source"] == "/acme/tasks"


def test_completing_a_task_twice_emits_completed_only_once(
    invokes: InvokeRecorder,
) -> None:
    task = update(create(), isComplete=True)
    update(task, title="Still complete")

    assert [event["type"] for event in invokes.events] == [
        "task.created",
        "task.completed",
        "task.updated",
    ]


def test_a_task_created_complete_emits_created(invokes: InvokeRecorder) -> None:
    create(isComplete=True)

    assert [event["type"] for event in invokes.events] == ["task.created"]


def test_a_deleted_event_carries_the_last_state(invokes: InvokeRecorder) -> None:
    task = update(create(), title="Last words")

    write("DELETE", f"/tasks/{task['id']}")

    deleted = invokes.events[-1]
    assert deleted["type"] == "task.deleted"
    assert deleted["data"]["task"] == task
    assert deleted["time"] >= task["updatedAt"]


def test_a_handed_off_change_is_counted_and_nothing_is_parked(
    aws: Aws, invokes: InvokeRecorder, capsys: pytest.CaptureFixture[str]
) -> None:
    create()

    assert emitted_metrics(capsys.readouterr().out) == {
        "TasksWritten": 1,
        "HandoffsSent": 1,
    }
    assert aws.parked() == []


# ---------------------------------------------------------------- no lost handoff


@pytest.mark.parametrize(
    ("outcome", "refusal"),
    [
        ("throttled", ("TooManyRequestsException", 429)),
        ("failing", ("ServiceException", 500)),
        ("unreachable", ("EndpointConnectionError", None)),
        ("wrong-status", ("UnexpectedStatusCode", 200)),
    ],
)
def test_a_refused_invoke_parks_exactly_one_failure_record(
    aws: Aws,
    invokes: InvokeRecorder,
    capsys: pytest.CaptureFixture[str],
    outcome: str,
    refusal: tuple[str, int | None],
) -> None:
    error_type, status = refusal
    invokes.outcome = outcome

    response = write("POST", "/tasks", body={"title": "Book the venue"})

    assert response["statusCode"] == 201
    task = body_of(response)
    assert aws.stored(task["id"]) is not None
    [event] = invokes.events
    [record] = aws.parked()
    assert errors_for("failure-record.json", record) == []
    assert record["requestPayload"] == event
    assert errors_for("handoff-event.json", record["requestPayload"]) == []
    assert record["requestContext"]["condition"] == "HandoffRefused"
    assert record["requestContext"]["functionArn"] == NOTIFICATION_FUNCTION
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["responsePayload"]["errorType"] == error_type
    assert (record["responseContext"] or {}).get("statusCode") == status
    assert emitted_metrics(capsys.readouterr().out) == {
        "TasksWritten": 1,
        "HandoffsParked": 1,
    }


@pytest.mark.parametrize("outcome", ["throttled", "unreachable"])
def test_a_refused_update_and_delete_are_parked_too(
    aws: Aws, invokes: InvokeRecorder, outcome: str
) -> None:
    task = create()
    invokes.outcome = outcome

    assert (
        write(
            "PUT",
            f"/tasks/{task['id']}",
            body={"title": "A", "isComplete": True, "version": 1},
        )["statusCode"]
        == 200
    )
    assert write("DELETE", f"/tasks/{task['id']}")["statusCode"] == 204

    parked = [record["requestPayload"]["type"] for record in aws.parked()]
    assert sorted(parked) == ["task.completed", "task.deleted"]


def test_a_parked_handoff_is_logged_with_the_event(
    invokes: InvokeRecorder, log_lines: list[dict[str, Any]]
) -> None:
    invokes.outcome = "throttled"

    create()

    [warning] = [line for line in log_lines if line["level"] == "WARNING"]
    assert warning["message"] == "Handoff refused, event parked in the failure queue"
    assert warning["event_id"] == invokes.events[0]["id"]
    assert warning["error_type"] == "TooManyRequestsException"
    assert warning["correlation_id"] == REQUEST_ID


def test_when_the_failure_queue_refuses_too_the_event_is_logged_and_counted(
    aws: Aws,
    invokes: InvokeRecorder,
    monkeypatch: pytest.MonkeyPatch,
    log_lines: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    invokes.outcome = "throttled"
    monkeypatch.setenv("FAILURE_QUEUE_URL", aws.queue_url + "-gone")
    wiring.task_commands.cache_clear()

    response = write("POST", "/tasks", body={"title": "Book the venue"})

    assert response["statusCode"] == 201
    [lost] = [line for line in log_lines if line["level"] == "ERROR"]
    assert (
        lost["message"]
        == "Handoff lost: the invoke was refused and the failure queue too"
    )
    assert lost["event"] == invokes.events[0]
    assert emitted_metrics(capsys.readouterr().out) == {
        "TasksWritten": 1,
        "HandoffsLost": 1,
    }
