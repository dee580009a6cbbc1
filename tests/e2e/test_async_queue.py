"""The async queue's schedule and age rules, on a fake clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from infra.local.async_queue import AsyncEventQueue, QueuedEvent, retry_delay
from infra.local.runtime import InvocationResult
from infra.local.templates import AsyncConfig, FunctionSpec
from tests.schema_support import errors_for

FACTOR = 0.01
DESTINATION = "arn:aws:sqs:us-east-1:123456789012:failures"
SUCCESS_DESTINATION = "arn:aws:sqs:us-east-1:123456789012:successes"
WRITTEN_AT = datetime(2026, 12, 3, 16, 20, 1, 500000, tzinfo=UTC)
EVENT = {"specversion": "1.0", "id": "5d7c9f0a-8e1b-4c2d-9f3e-a4b5c6d7e8f9"}
FUNCTION = FunctionSpec(
    key="NotificationFunction",
    name="notify",
    arn="arn:aws:lambda:us-east-1:123456789012:function:notify",
    handler="notification_service.handler.handle_handoff_event",
    runtime="python3.12",
    timeout_seconds=30,
    memory_mb=256,
    environment={},
    reserved_concurrency=None,
    async_config=AsyncConfig(
        max_retry_attempts=2, max_event_age_seconds=21600, on_failure=DESTINATION
    ),
)
ERROR = {"errorType": "PublishError", "errorMessage": "SNS Publish failed"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    """A queue on a fake clock whose attempts follow a script of outcomes."""

    def __init__(self, outcomes: list[bool], function: FunctionSpec = FUNCTION) -> None:
        self.clock = FakeClock()
        self.function = function
        self.outcomes = list(outcomes)
        self.attempt_times: list[float] = []
        self.records: list[tuple[str, dict[str, Any]]] = []
        self.record_times: list[float] = []
        self.queue = AsyncEventQueue(
            self._attempt,
            self._write,
            time_factor=FACTOR,
            clock=self.clock,
            wall_clock=lambda: WRITTEN_AT,
        )

    def _attempt(self, event: QueuedEvent) -> InvocationResult:
        self.attempt_times.append(self.clock.now)
        if self.outcomes.pop(0):
            return InvocationResult(event.request_id, {"published": True})
        return InvocationResult(event.request_id, ERROR, "Unhandled")

    def _write(self, destination: str, record: dict[str, Any]) -> None:
        self.records.append((destination, record))
        self.record_times.append(self.clock.now)

    def run(self) -> None:
        """Jump the clock from one due event to the next until none is left."""
        while True:
            while self.queue.process_due():
                pass
            due = self.queue.next_due()
            if due is None:
                return
            self.clock.now = due


def offsets(times: list[float]) -> list[float]:
    """Times relative to the fake clock's start, rounded against float noise."""
    return [round(time - 1000.0, 6) for time in times]


@pytest.mark.parametrize(
    ("attempts_made", "seconds"), [(1, 60.0), (2, 120.0), (3, 120.0)]
)
def test_retry_delays_follow_lambdas_schedule(
    attempts_made: int, seconds: float
) -> None:
    assert retry_delay(attempts_made) == seconds


def test_failing_event_is_retried_after_one_then_two_scaled_minutes() -> None:
    harness = Harness([False, False, False])
    harness.queue.enqueue(FUNCTION, EVENT, "request-1")
    harness.run()
    assert offsets(harness.attempt_times) == [0.0, 0.6, 1.8]


def test_exhausted_retries_write_exactly_one_record_in_aws_format() -> None:
    harness = Harness([False, False, False])
    harness.queue.enqueue(FUNCTION, EVENT, "request-1")
    harness.run()
    assert harness.records == [
        (
            DESTINATION,
            {
                "version": "1.0",
                "timestamp": "2026-12-03T16:20:01.500Z",
                "requestContext": {
                    "requestId": "request-1",
                    "functionArn": f"{FUNCTION.arn}:$LATEST",
                    "condition": "RetriesExhausted",
                    "approximateInvokeCount": 3,
                },
                "requestPayload": EVENT,
                "responseContext": {
                    "statusCode": 200,
                    "executedVersion": "$LATEST",
                    "functionError": "Unhandled",
                },
                "responsePayload": ERROR,
            },
        )
    ]
    assert errors_for("failure-record.json", harness.records[0][1]) == []


def test_transient_failure_is_delivered_on_retry_without_record() -> None:
    harness = Harness([False, True])
    harness.queue.enqueue(FUNCTION, EVENT, "request-1")
    harness.run()
    assert offsets(harness.attempt_times) == [0.0, 0.6]
    assert harness.records == []


def test_success_goes_to_the_on_success_destination() -> None:
    config = replace(FUNCTION.async_config, on_success=SUCCESS_DESTINATION)
    function = replace(FUNCTION, async_config=config)
    harness = Harness([True], function)
    harness.queue.enqueue(function, EVENT, "request-1")
    harness.run()
    [(destination, record)] = harness.records
    assert destination == SUCCESS_DESTINATION
    assert record["requestContext"]["condition"] == "Success"
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
    }
    assert record["responsePayload"] == {"published": True}


def test_no_retries_configured_means_one_attempt() -> None:
    config = replace(FUNCTION.async_config, max_retry_attempts=0)
    function = replace(FUNCTION, async_config=config)
    harness = Harness([False], function)
    harness.queue.enqueue(function, EVENT, "request-1")
    harness.run()
    assert offsets(harness.attempt_times) == [0.0]
    assert [
        r["requestContext"]["approximateInvokeCount"] for _, r in harness.records
    ] == [1]


def test_event_expiring_before_its_retry_leaves_at_its_age_limit() -> None:
    # 100 s of age: the first retry (after 60 s) runs, the second (120 s later) would
    # come after the limit, so the event leaves at 100 s with two attempts made.
    config = replace(FUNCTION.async_config, max_event_age_seconds=100)
    function = replace(FUNCTION, async_config=config)
    harness = Harness([False, False, False], function)
    harness.queue.enqueue(function, EVENT, "request-1")
    harness.run()
    assert offsets(harness.attempt_times) == [0.0, 0.6]
    assert offsets(harness.record_times) == [1.0]
    [(_, record)] = harness.records
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responsePayload"] == ERROR


def test_event_older_than_its_limit_is_never_attempted() -> None:
    harness = Harness([])
    harness.queue.enqueue(FUNCTION, EVENT, "request-1", age_seconds=21600)
    harness.run()
    assert harness.attempt_times == []
    [(destination, record)] = harness.records
    assert destination == DESTINATION
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in record
    assert errors_for("failure-record.json", record) == []


def test_event_not_yet_due_is_not_processed() -> None:
    harness = Harness([False, True])
    harness.queue.enqueue(FUNCTION, EVENT, "request-1")
    assert harness.queue.process_due() is True
    assert harness.queue.process_due() is False
    assert harness.queue.stats().pending == 1


def test_function_without_destination_drops_the_event_silently() -> None:
    config = replace(FUNCTION.async_config, on_failure=None, max_retry_attempts=0)
    function = replace(FUNCTION, async_config=config)
    harness = Harness([False], function)
    harness.queue.enqueue(function, EVENT, "request-1")
    harness.run()
    assert harness.records == []
    assert harness.queue.stats().idle
