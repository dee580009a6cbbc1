"""Handoff events as the Task Service sends them, and failure records around them."""

from __future__ import annotations

import uuid
from typing import Any

TASK_ID = "0b8f3f4e-2d6c-4a53-9a1f-6f0f5d1c2e3a"
CORRELATION_ID = "3f2a9c1e-5b7d-4e8f-a0b1-c2d3e4f5a6b7"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:notification"
EVENT_TYPES = ("task.created", "task.updated", "task.completed", "task.deleted")


def handoff_event(event_type: str = "task.created", **changes: Any) -> dict[str, Any]:
    """A valid handoff event of ``event_type`` with a fresh id, then ``changes``."""
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/internal-handoff/task-service",
        "type": event_type,
        "time": "2026-12-04T09:00:00Z",
        "subject": TASK_ID,
        "correlationid": CORRELATION_ID,
        "datacontenttype": "application/json",
        "data": {
            "task": {
                "id": TASK_ID,
                "title": "Book the venue 🎉",
                "detail": None,
                "isComplete": event_type == "task.completed",
                "createdAt": "2026-12-03T16:20:00Z",
                "updatedAt": "2026-12-04T09:00:00Z",
                "version": 2,
            }
        },
    }
    return {**event, **changes}


def failure_record(
    payload: dict[str, Any], condition: str = "RetriesExhausted", **changes: Any
) -> dict[str, Any]:
    """A failure record with ``condition`` around ``payload``."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": "2026-12-03T16:26:31.427Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-4a3a-8e4e-7a9c2b7f4f1d",
            "functionArn": FUNCTION_ARN,
            "condition": condition,
            "approximateInvokeCount": 3,
        },
        "requestPayload": payload,
        "responsePayload": {"errorType": "PublishError", "errorMessage": "boom"},
    }
    record.update(changes)
    return record
