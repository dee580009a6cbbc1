"""A stand-in Task function pair: store a task, hand it off, read it back."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import boto3

from tests.e2e.fake_services import environment_report

_table = boto3.resource("dynamodb").Table(os.environ["TASKS_TABLE_NAME"])
invocations = 0


def _response(status: int, body: Any) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }


def handle_read_request(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global invocations  # noqa: PLW0603 - module state is what the test observes
    invocations += 1
    if event.get("probe") == "environment":
        return environment_report(context, invocations)
    parameters = event.get("pathParameters") or {}
    if "taskId" in parameters:
        item = _table.get_item(Key={"id": parameters["taskId"]}).get("Item")
        return (
            _response(200, item) if item else _response(404, {"message": "not found"})
        )
    return _response(200, {"items": _table.scan()["Items"], "event": event})


def handle_write_request(event: dict[str, Any], context: Any) -> dict[str, Any]:
    task = {"id": str(uuid.uuid4()), **json.loads(event.get("body") or "{}")}
    if event["httpMethod"] == "DELETE":
        _table.delete_item(Key={"id": event["pathParameters"]["taskId"]})
        return {"statusCode": 204, "body": ""}
    _table.put_item(Item=task)
    boto3.client("lambda").invoke(
        FunctionName=os.environ["NOTIFICATION_FUNCTION_NAME"],
        InvocationType="Event",
        Payload=json.dumps(task).encode(),
    )
    return _response(201, task)
