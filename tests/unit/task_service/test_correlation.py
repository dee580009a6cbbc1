"""The correlation id: from the client or API Gateway, on every answer and log line."""

from __future__ import annotations

from typing import Any

import pytest
from task_service.handlers import correlation_id_of, handle_write_request

from tests.unit.task_service.support import (
    REQUEST_ID,
    FakeContext,
    InvokeRecorder,
    api_event,
    body_of,
    header_of,
)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Correlation-Id": "order-42"}, "order-42"),
        ({"x-correlation-id": "order-42"}, "order-42"),
        ({"X-Correlation-Id": "x" * 128}, "x" * 128),
        ({"X-Correlation-Id": "x" * 129}, REQUEST_ID),
        ({"X-Correlation-Id": ""}, REQUEST_ID),
        ({"X-Correlation-Id": "two words"}, REQUEST_ID),
        ({"X-Correlation-Id": "line\nbreak"}, REQUEST_ID),
        ({}, REQUEST_ID),
    ],
)
def test_the_correlation_id_is_the_clients_when_valid(
    headers: dict[str, str], expected: str
) -> None:
    assert correlation_id_of(api_event("GET", "/tasks", headers=headers)) == expected


def test_an_event_without_headers_or_request_id_still_gets_one() -> None:
    event = api_event("GET", "/tasks") | {"headers": None, "requestContext": {}}

    assert len(correlation_id_of(event)) == 36


def test_the_correlation_id_travels_through_answer_logs_and_event(
    invokes: InvokeRecorder, log_lines: list[dict[str, Any]]
) -> None:
    headers = {"Content-Type": "application/json", "X-Correlation-Id": "order-42"}
    event = api_event("POST", "/tasks", body={"title": "a"}, headers=headers)

    response = handle_write_request(event, FakeContext())

    assert header_of(response, "X-Correlation-Id") == ["order-42"]
    assert invokes.events[0]["correlationid"] == "order-42"
    assert log_lines
    assert {line.get("correlation_id") for line in log_lines} == {"order-42"}


@pytest.mark.usefixtures("invokes")
def test_an_error_answer_carries_the_correlation_id() -> None:
    headers = {"Content-Type": "application/json", "X-Correlation-Id": "order-43"}

    response = handle_write_request(
        api_event("POST", "/tasks", body={}, headers=headers), FakeContext()
    )

    assert body_of(response)["correlationId"] == "order-43"
    assert header_of(response, "X-Correlation-Id") == ["order-43"]
