"""The whole pattern through the local stage, over HTTP, from the real templates.

The Task Service and the Notification Service run unchanged; faults are injected
by the local stage's control endpoint, never in the services' code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.aws import subscribe_queue
from infra.local.stage import StageOutputs
from tests.e2e.support import (
    call,
    reset_faults,
    set_faults,
    stats,
    wait_until_idle,
)
from tests.schema_support import errors_for

pytestmark = pytest.mark.e2e

NOTIFY = "NotificationFunction"


class Stage:
    """The running stage, with clients for its queues and a notifications inbox."""

    def __init__(self, outputs: StageOutputs) -> None:
        self.outputs = outputs
        session = boto3.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=outputs.region,
        )
        self.sqs = session.client("sqs", endpoint_url=outputs.aws_endpoint_url)
        self.failure_queue = outputs.queues["FailureQueue"]["url"]
        self.inbox = subscribe_queue(
            outputs.aws_endpoint_url,
            outputs.region,
            outputs.topics["NotificationTopic"]["arn"],
            "e2e-notifications",
        )

    def url(self, path: str) -> str:
        return f"{self.outputs.api_url}{path}"

    def create_task(self, title: str = "Book the venue") -> dict[str, Any]:
        answer = call("POST", self.url("tasks"), {"title": title})
        assert answer.status == 201, answer
        task: dict[str, Any] = answer.body
        return task

    def drain(self, queue_url: str) -> list[dict[str, Any]]:
        """Every message of a queue, parsed, once the async queue is idle."""
        wait_until_idle(self.outputs)
        bodies: list[dict[str, Any]] = []
        while True:
            answer = self.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10
            )
            messages = answer.get("Messages", [])
            if not messages:
                return bodies
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def notifications_for(self, task_id: str) -> list[dict[str, Any]]:
        return [body for body in self.drain(self.inbox) if body["taskId"] == task_id]

    def failure_records(self) -> list[dict[str, Any]]:
        return self.drain(self.failure_queue)


@pytest.fixture(scope="module")
def stage(local_stage: StageOutputs) -> Stage:
    return Stage(local_stage)


@pytest.fixture(autouse=True)
def _fresh(stage: Stage) -> Iterator[None]:
    """Each test starts with no faults, an idle async queue and empty queues."""
    yield
    reset_faults(stage.outputs)
    stage.drain(stage.inbox)
    stage.drain(stage.failure_queue)


# ---------------------------------------------------------------- routes


def test_create_answers_201_with_the_stored_task(stage: Stage) -> None:
    task = stage.create_task("Book the venue 🎉")
    assert errors_for("task.json", task) == []
    assert (task["title"], task["isComplete"], task["version"]) == (
        "Book the venue 🎉",
        False,
        1,
    )


def test_read_one_returns_the_task(stage: Stage) -> None:
    task = stage.create_task()
    answer = call("GET", stage.url(f"tasks/{task['id']}"))
    assert (answer.status, answer.body) == (200, task)


def test_list_includes_the_task(stage: Stage) -> None:
    task = stage.create_task()
    answer = call("GET", stage.url("tasks"))
    assert answer.status == 200
    assert task in answer.body["items"]


def test_replace_stores_the_new_state_at_the_next_version(stage: Stage) -> None:
    task = stage.create_task()
    change = {"title": "Book the hall", "isComplete": True, "version": 1}
    answer = call("PUT", stage.url(f"tasks/{task['id']}"), change)
    assert answer.status == 200
    assert (
        answer.body["title"],
        answer.body["isComplete"],
        answer.body["version"],
    ) == (
        "Book the hall",
        True,
        2,
    )


def test_delete_answers_204_and_the_task_is_gone(stage: Stage) -> None:
    task = stage.create_task()
    deleted = call("DELETE", stage.url(f"tasks/{task['id']}"))
    missing = call("GET", stage.url(f"tasks/{task['id']}"))
    assert deleted.status == 204
    assert missing.status == 404
    assert errors_for("error-response.json", missing.body) == []


def test_invalid_request_answers_400_in_the_error_shape(stage: Stage) -> None:
    answer = call("POST", stage.url("tasks"), {"title": ""})
    assert answer.status == 400
    assert errors_for("error-response.json", answer.body) == []


def test_unknown_path_answers_404_in_the_error_shape(stage: Stage) -> None:
    answer = call("GET", stage.url("projects"))
    assert (answer.status, answer.body["message"]) == (
        404,
        "No resource matches /projects.",
    )
    assert errors_for("error-response.json", answer.body) == []


# ---------------------------------------------------------------- notifications


def test_every_write_publishes_one_notification_valid_against_its_schema(
    stage: Stage,
) -> None:
    task = stage.create_task()
    task_url = stage.url(f"tasks/{task['id']}")
    call("PUT", task_url, {"title": "Book the hall", "isComplete": False, "version": 1})
    call("PUT", task_url, {"title": "Book the hall", "isComplete": True, "version": 2})
    call("DELETE", task_url)

    notifications = stage.notifications_for(task["id"])

    assert sorted(n["eventType"] for n in notifications) == sorted(
        ["task.created", "task.updated", "task.completed", "task.deleted"]
    )
    for notification in notifications:
        assert errors_for("notification-message.json", notification) == []
    assert len({n["eventId"] for n in notifications}) == 4


def test_transient_failure_is_retried_then_delivered_once(stage: Stage) -> None:
    before = stats(stage.outputs, NOTIFY)
    set_faults(stage.outputs, NOTIFY, fail_first=1)

    task = stage.create_task()
    notifications = stage.notifications_for(task["id"])
    after = stats(stage.outputs, NOTIFY)

    assert [n["eventType"] for n in notifications] == ["task.created"]
    assert after["attempts"] - before.get("attempts", 0) == 2
    assert after["failures"] - before.get("failures", 0) == 1
    assert stage.failure_records() == []


def test_exhausted_retries_leave_exactly_one_failure_record_in_aws_format(
    stage: Stage,
) -> None:
    set_faults(stage.outputs, NOTIFY, fail_first=3)

    task = stage.create_task()
    records = stage.failure_records()

    assert len(records) == 1
    record = records[0]
    assert errors_for("failure-record.json", record) == []
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"] == (
        f"{stage.outputs.functions[NOTIFY]['arn']}:$LATEST"
    )
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"] == {
        "errorType": "InjectedFault",
        "errorMessage": f"The local stage failed this attempt of {NOTIFY}",
        "stackTrace": [],
    }
    assert errors_for("handoff-event.json", record["requestPayload"]) == []
    assert record["requestPayload"]["subject"] == task["id"]
    assert stage.notifications_for(task["id"]) == []


@pytest.mark.parametrize(
    ("younger_than_limit_by", "fail_first", "invoke_count"),
    [
        pytest.param(0, 0, 0, id="too old on arrival"),
        pytest.param(30, 1, 1, id="too old before its first retry"),
    ],
)
def test_event_past_its_maximum_age_goes_to_the_failure_queue(
    stage: Stage, younger_than_limit_by: int, fail_first: int, invoke_count: int
) -> None:
    limit = stage.outputs.functions[NOTIFY]["asyncConfig"]["maximumEventAgeInSeconds"]
    set_faults(
        stage.outputs,
        NOTIFY,
        event_age_seconds=limit - younger_than_limit_by,
        fail_first=fail_first,
    )

    task = stage.create_task()
    [record] = stage.failure_records()

    assert errors_for("failure-record.json", record) == []
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == invoke_count
    assert record["requestPayload"]["subject"] == task["id"]
    assert stage.notifications_for(task["id"]) == []


def test_refused_invokes_are_parked_by_the_task_service(stage: Stage) -> None:
    set_faults(stage.outputs, NOTIFY, throttle=True)

    task = stage.create_task()
    [record] = stage.failure_records()

    assert errors_for("failure-record.json", record) == []
    assert record["requestContext"]["condition"] == "HandoffRefused"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["requestPayload"]["subject"] == task["id"]
    assert record["responsePayload"]["errorType"] == "TooManyRequestsException"
    assert stage.notifications_for(task["id"]) == []


def test_duplicate_delivery_publishes_one_notification(stage: Stage) -> None:
    before = stats(stage.outputs, NOTIFY)
    set_faults(stage.outputs, NOTIFY, duplicate_rate=1.0)

    task = stage.create_task()
    notifications = stage.notifications_for(task["id"])
    after = stats(stage.outputs, NOTIFY)

    assert after["duplicated"] - before.get("duplicated", 0) == 1
    assert after["attempts"] - before.get("attempts", 0) >= 2
    assert [n["eventType"] for n in notifications] == ["task.created"]
    assert stage.failure_records() == []


def test_distinct_events_each_publish_their_own_notification(stage: Stage) -> None:
    first = stage.create_task()
    second = stage.create_task()
    notifications = stage.drain(stage.inbox)
    assert sorted(n["taskId"] for n in notifications) == sorted(
        [first["id"], second["id"]]
    )
