"""Failure classes: rejected events are parked once; transient errors raise."""

from __future__ import annotations

from typing import Any

import pytest
from notification_service.errors import (
    FailureQueueError,
    IdempotencyStoreError,
    PublishError,
)
from notification_service.handler import handle_handoff_event

from tests.factories import CORRELATION_ID, handoff_event
from tests.schema_support import validator_for

from .conftest import FUNCTION_ARN, FakeAccount, FakeLambdaContext, refuse
from .test_delivery import metric_names

TOO_LONG = "x" * 101
UNKNOWN_TAG = (
    "Input tag 'task.archived' found using 'type' does not match any of the "
    "expected tags: 'task.created', 'task.updated', 'task.completed', 'task.deleted'"
)
NOT_A_UUID = "must be a UUID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
NOT_AN_OBJECT = "Input should be a valid dictionary or object to extract fields from"


def _without(field: str) -> dict[str, Any]:
    event = handoff_event()
    del event[field]
    return event


def _with_title(title: str) -> dict[str, Any]:
    event = handoff_event()
    event["data"]["task"]["title"] = title
    return event


REJECTED = [
    pytest.param(
        handoff_event(type="task.archived"),
        [{"field": "type", "rule": "enum", "message": UNKNOWN_TAG}],
        id="unknown type",
    ),
    pytest.param(
        _without("type"),
        [
            {
                "field": "type",
                "rule": "required",
                "message": "Unable to extract tag using discriminator 'type'",
            }
        ],
        id="no type",
    ),
    pytest.param(
        _without("correlationid"),
        [{"field": "correlationid", "rule": "required", "message": "Field required"}],
        id="no correlation id",
    ),
    pytest.param(
        _with_title(TOO_LONG),
        [
            {
                "field": "data.task.title",
                "rule": "maxLength",
                "message": "String should have at most 100 characters",
            }
        ],
        id="title too long",
    ),
    pytest.param(
        handoff_event(id="not-a-uuid"),
        [{"field": "id", "rule": "format", "message": NOT_A_UUID}],
        id="id not a uuid",
    ),
    pytest.param(
        handoff_event(colour="red"),
        [
            {
                "field": "colour",
                "rule": "additionalProperties",
                "message": "Unknown field 'colour'",
            }
        ],
        id="unknown field",
    ),
    pytest.param(
        handoff_event(specversion="0.3"),
        [
            {
                "field": "specversion",
                "rule": "const",
                "message": "Input should be '1.0'",
            }
        ],
        id="wrong specversion",
    ),
]


@pytest.mark.parametrize(("event", "field_errors"), REJECTED)
def test_rejected_event_is_parked_once_without_raising(
    account: FakeAccount,
    context: FakeLambdaContext,
    metrics_emitted: Any,
    event: dict[str, Any],
    field_errors: list[dict[str, str]],
) -> None:
    result = handle_handoff_event(event, context)

    [record] = account.parked()
    assert list(validator_for("failure-record.json").iter_errors(record)) == []
    assert record["requestContext"] == {
        "requestId": context.aws_request_id,
        "functionArn": FUNCTION_ARN,
        "condition": "EventRejected",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == event
    assert record["responsePayload"]["errorType"] == "EventRejected"
    assert record["responsePayload"]["fieldErrors"] == field_errors
    assert result["outcome"] == "rejected"
    assert account.published() == []
    assert account.idempotency_records() == []
    assert metric_names(metrics_emitted()) == ["PermanentFailures"]


def test_rejection_message_lists_every_broken_rule(
    account: FakeAccount, context: FakeLambdaContext
) -> None:
    event = _with_title(TOO_LONG)
    event["colour"] = "red"

    handle_handoff_event(event, context)

    [record] = account.parked()
    assert record["responsePayload"]["errorMessage"] == (
        "The handoff event breaks its contract: "
        "data.task.title: String should have at most 100 characters (maxLength); "
        "colour: Unknown field 'colour' (additionalProperties)"
    )


@pytest.mark.parametrize(
    "payload", [["task.created"], "task.created", 42, None], ids=repr
)
def test_payload_that_is_not_an_object_is_parked_wrapped(
    account: FakeAccount, context: FakeLambdaContext, payload: object
) -> None:
    result = handle_handoff_event(payload, context)

    [record] = account.parked()
    assert list(validator_for("failure-record.json").iter_errors(record)) == []
    assert record["requestPayload"] == {"payload": payload}
    assert record["responsePayload"]["fieldErrors"] == [
        {"field": "", "rule": "type", "message": NOT_AN_OBJECT}
    ]
    assert result == {
        "outcome": "rejected",
        "eventId": "",
        "messageId": result["messageId"],
    }


def test_rejected_event_delivered_twice_is_parked_twice(
    account: FakeAccount, context: FakeLambdaContext
) -> None:
    # Deliberate: a replayed rejection must land in the queue again, because the
    # replay deleted the first record; remembering rejections would drop it.
    event = handoff_event(type="task.archived")

    handle_handoff_event(event, context)
    handle_handoff_event(event, context)

    assert [record["requestPayload"] for record in account.parked()] == [event, event]


def test_rejection_log_line_carries_the_event_s_correlation_id(
    account: FakeAccount, context: FakeLambdaContext, log_lines: Any
) -> None:
    event = handoff_event(type="task.archived")

    handle_handoff_event(event, context)

    [line] = log_lines()
    assert line["level"] == "WARNING"
    assert line["message"] == "Event rejected and parked in the failure queue"
    assert line["correlation_id"] == CORRELATION_ID
    assert line["event_id"] == event["id"]
    assert line["field_errors"] == [
        {"field": "type", "rule": "enum", "message": UNKNOWN_TAG}
    ]


def test_sns_failure_raises_publishes_nothing_and_stays_retryable(
    account: FakeAccount, context: FakeLambdaContext, metrics_emitted: Any
) -> None:
    event = handoff_event()
    refuse(account, "sns.Publish", "Throttling")

    with pytest.raises(PublishError) as raised:
        handle_handoff_event(event, context)

    assert str(raised.value) == (
        "SNS Publish to arn:aws:sns:us-east-1:123456789012:notifications "
        "failed: Throttling"
    )
    assert account.refusals == ["sns.Publish"]
    assert account.published() == []
    assert account.idempotency_records() == []
    assert metric_names(metrics_emitted()) == ["TransientFailures"]

    retry = handle_handoff_event(event, context)

    assert retry["outcome"] == "delivered"
    assert len(account.published()) == 1


def test_idempotency_table_failure_raises_and_publishes_nothing(
    account: FakeAccount, context: FakeLambdaContext, metrics_emitted: Any
) -> None:
    event = handoff_event()
    refuse(account, "dynamodb.PutItem", "ProvisionedThroughputExceededException")

    with pytest.raises(IdempotencyStoreError) as raised:
        handle_handoff_event(event, context)

    assert str(raised.value).startswith(
        f"The idempotency table failed for event {event['id']}: "
        "Failed to save in progress record to idempotency store"
    )
    assert account.published() == []
    assert metric_names(metrics_emitted()) == ["TransientFailures"]
    assert handle_handoff_event(event, context)["outcome"] == "delivered"


def test_failure_queue_failure_raises_and_the_retry_parks_once(
    account: FakeAccount, context: FakeLambdaContext, metrics_emitted: Any
) -> None:
    event = handoff_event(type="task.archived")
    refuse(account, "sqs.SendMessage", "AWS.SimpleQueueService.NonExistentQueue")

    with pytest.raises(FailureQueueError) as raised:
        handle_handoff_event(event, context)

    assert str(raised.value) == (
        f"SQS SendMessage to {account.failure_queue_url} failed: "
        "AWS.SimpleQueueService.NonExistentQueue"
    )
    assert account.parked() == []
    assert metric_names(metrics_emitted()) == ["TransientFailures"]

    handle_handoff_event(event, context)

    assert len(account.parked()) == 1
