"""Delivery: one notification per event id, whatever arrives how often."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any

import pytest
from notification_service.errors import EventInProgressError
from notification_service.handler import handle_handoff_event

from tests.factories import CORRELATION_ID, EVENT_TYPES, TASK_ID, handoff_event
from tests.schema_support import validator_for

from .conftest import EXPIRY_SECONDS, FakeAccount, FakeLambdaContext, hold


def metric_names(documents: list[dict[str, Any]]) -> list[str]:
    return [
        metric["Name"]
        for document in documents
        for directive in document["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    ]


@pytest.mark.parametrize(
    ("event_type", "summary"),
    [
        ("task.created", "Task created: Book the venue 🎉"),
        ("task.updated", "Task updated: Book the venue 🎉"),
        ("task.completed", "Task completed: Book the venue 🎉"),
        ("task.deleted", "Task deleted: Book the venue 🎉"),
    ],
)
def test_each_event_type_publishes_one_valid_notification(
    account: FakeAccount, context: FakeLambdaContext, event_type: str, summary: str
) -> None:
    event = handoff_event(event_type)

    result = handle_handoff_event(event, context)

    [published] = account.published()
    assert (
        list(validator_for("notification-message.json").iter_errors(published.body))
        == []
    )
    assert published.body == {
        "eventId": event["id"],
        "eventType": event_type,
        "taskId": TASK_ID,
        "correlationId": CORRELATION_ID,
        "occurredAt": "2026-12-04T09:00:00Z",
        "summary": summary,
        # The task as received, with its absent optional fields spelled out.
        "task": {**event["data"]["task"], "dueAt": None},
    }
    assert published.attributes == {"eventType": event_type, "taskId": TASK_ID}
    assert result["outcome"] == "delivered"
    assert result["eventId"] == event["id"]


def test_delivery_counts_notifications_delivered(
    account: FakeAccount, context: FakeLambdaContext, metrics_emitted: Any
) -> None:
    handle_handoff_event(handoff_event(), context)

    [document] = metrics_emitted()
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "InternalHandoff"
    assert metric_names([document]) == ["NotificationsDelivered"]
    assert document["NotificationsDelivered"] == [1.0]
    assert document["service"] == "notification-service"


def test_idempotency_record_key_is_the_fixed_prefix_and_the_event_id(
    account: FakeAccount, context: FakeLambdaContext
) -> None:
    event = handoff_event()
    id_hash = hashlib.md5(json.dumps(event["id"]).encode()).hexdigest()  # noqa: S324 - Powertools' key hash, not security
    before = int(time.time())

    handle_handoff_event(event, context)

    [record] = account.idempotency_records()
    assert record["id"] == {"S": f"notification-service.deliver#{id_hash}"}
    assert record["status"] == {"S": "COMPLETED"}
    expiration = int(record["expiration"]["N"])
    assert before + EXPIRY_SECONDS <= expiration <= int(time.time()) + EXPIRY_SECONDS


def test_idempotency_key_ignores_everything_but_the_event_id(
    account: FakeAccount, context: FakeLambdaContext
) -> None:
    event = handoff_event()
    # A replay of the same event id whose other fields differ is still a duplicate.
    replay = {**event, "time": "2026-12-05T10:00:00Z", "correlationid": "other"}

    handle_handoff_event(event, context)
    result = handle_handoff_event(replay, context)

    assert result["outcome"] == "duplicate"
    assert len(account.published()) == 1


def test_sequential_duplicate_publishes_once(
    account: FakeAccount, context: FakeLambdaContext, metrics_emitted: Any
) -> None:
    event = handoff_event()

    first = handle_handoff_event(event, context)
    second = handle_handoff_event(event, context)

    assert len(account.published()) == 1
    assert first["outcome"] == "delivered"
    assert second == {**first, "outcome": "duplicate"}
    assert metric_names(metrics_emitted()) == [
        "NotificationsDelivered",
        "DuplicateEvents",
    ]


def test_concurrent_duplicate_raises_for_a_retry_and_publishes_once(
    account: FakeAccount,
    context: FakeLambdaContext,
    metrics_emitted: Any,
    log_lines: Any,
) -> None:
    event = handoff_event()
    # The first invocation stops inside its publish, holding the in-progress
    # record, while the second runs from start to end.
    reached_publish, release_publish = hold("sns.Publish")
    outcomes: list[dict[str, str]] = []
    first = threading.Thread(
        target=lambda: outcomes.append(handle_handoff_event(event, context))
    )
    first.start()
    assert reached_publish.wait(timeout=30)

    with pytest.raises(EventInProgressError) as raised:
        handle_handoff_event(event, FakeLambdaContext(aws_request_id="second"))
    release_publish.set()
    first.join(timeout=30)
    retry = handle_handoff_event(event, FakeLambdaContext(aws_request_id="retry"))

    assert str(raised.value) == (
        f"Event {event['id']} is being delivered by another invocation; "
        "retry later to find its outcome."
    )
    assert [outcome["outcome"] for outcome in outcomes] == ["delivered"]
    assert retry == {**outcomes[0], "outcome": "duplicate"}
    assert len(account.published()) == 1
    assert sorted(metric_names(metrics_emitted())) == [
        "DuplicateEvents",
        "NotificationsDelivered",
        "TransientFailures",
    ]
    warnings = [line for line in log_lines() if line["level"] == "WARNING"]
    assert [(line["message"], line["function_request_id"]) for line in warnings] == [
        ("Event in progress elsewhere; raising so that Lambda retries", "second")
    ]


def test_every_log_line_carries_the_correlation_id_and_idempotency_key(
    account: FakeAccount, context: FakeLambdaContext, log_lines: Any
) -> None:
    event = handoff_event()
    id_hash = hashlib.md5(json.dumps(event["id"]).encode()).hexdigest()  # noqa: S324 - Powertools' key hash, not security

    handle_handoff_event(event, context)
    handle_handoff_event(event, context)

    lines = log_lines()
    assert [line["message"] for line in lines] == [
        "Notification published",
        "Event already delivered; nothing published",
    ]
    for line in lines:
        assert line["correlation_id"] == CORRELATION_ID
        assert line["idempotency_key"] == f"notification-service.deliver#{id_hash}"
        assert line["event_id"] == event["id"]
        assert line["service"] == "notification-service"
        assert line["function_request_id"] == context.aws_request_id


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_events_of_different_ids_each_publish(
    account: FakeAccount, context: FakeLambdaContext, event_type: str
) -> None:
    handle_handoff_event(handoff_event(event_type), context)
    handle_handoff_event(handoff_event(event_type), context)

    assert len(account.published()) == 2


def test_retry_after_a_timed_out_invocation_delivers(
    account: FakeAccount, context: FakeLambdaContext
) -> None:
    # What an invocation that Lambda stopped at its timeout leaves behind: an
    # in-progress record whose in-progress expiry (its deadline) has passed.
    event = handoff_event()
    id_hash = hashlib.md5(json.dumps(event["id"]).encode()).hexdigest()  # noqa: S324 - Powertools' key hash, not security
    now = int(time.time())
    account.dynamodb.put_item(
        TableName=account.table_name,
        Item={
            "id": {"S": f"notification-service.deliver#{id_hash}"},
            "status": {"S": "INPROGRESS"},
            "expiration": {"N": str(now + EXPIRY_SECONDS)},
            "in_progress_expiration": {"N": str((now - 60) * 1000)},
        },
    )

    result = handle_handoff_event(event, context)

    assert result["outcome"] == "delivered"
    assert len(account.published()) == 1
