"""The DynamoDB adapter: tasks in one table, partition key ``id``.

Every write is conditional: a create only if the id is free, a replace or delete only
if the task exists (and, where the caller says so, at the expected version). Items
hold the task's wire representation, so reading one back is a plain validation.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from generated.task import Task
from task_service.errors import TaskNotFoundError, translated_store_errors

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_MAX_TOKEN_LENGTH = 200


class InvalidPageTokenError(ValueError):
    """A ``nextToken`` that this store did not issue."""


@dataclass(frozen=True)
class TaskPage:
    """One page of tasks and, when more may follow, the token of the next page."""

    tasks: list[Task]
    next_token: str | None


def encode_page_token(last_key: dict[str, Any]) -> str:
    """Turn DynamoDB's LastEvaluatedKey into an opaque, URL-safe token."""
    task_id = last_key["id"]["S"]
    raw = json.dumps({"id": task_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str) -> dict[str, AttributeValueTypeDef]:
    """Turn a token back into an ExclusiveStartKey, or raise InvalidPageTokenError."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise InvalidPageTokenError(token)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise InvalidPageTokenError(token) from error
    task_id = decoded.get("id") if isinstance(decoded, dict) else None
    if set(decoded or ()) != {"id"} or not isinstance(task_id, str):
        raise InvalidPageTokenError(token)
    if not _UUID.fullmatch(task_id):
        raise InvalidPageTokenError(token)
    return {"id": {"S": task_id}}


def _to_item(task: Task) -> dict[str, AttributeValueTypeDef]:
    wire = task.model_dump(mode="json", exclude_none=True)
    item: dict[str, AttributeValueTypeDef] = {}
    for name, value in wire.items():
        if isinstance(value, bool):
            item[name] = {"BOOL": value}
        elif isinstance(value, int):
            item[name] = {"N": str(value)}
        else:
            item[name] = {"S": str(value)}
    return item


def _from_item(item: dict[str, Any]) -> Task:
    wire: dict[str, Any] = {}
    for name, value in item.items():
        if "BOOL" in value:
            wire[name] = value["BOOL"]
        elif "N" in value:
            wire[name] = int(value["N"])
        else:
            wire[name] = value["S"]
    return Task.model_validate(wire)


class TaskStore:
    """Tasks in DynamoDB, read and written with conditions."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, task: Task) -> None:
        """Store a new task; its id must be free (a fresh uuid4 always is)."""
        # A taken uuid4 is no domain case: its failed condition stays unexpected.
        with translated_store_errors():
            self._client.put_item(
                TableName=self._table,
                Item=_to_item(task),
                ConditionExpression="attribute_not_exists(id)",
            )

    def get(self, task_id: str) -> Task:
        """The task with this id, or TaskNotFoundError."""
        with translated_store_errors(task_id):
            answer = self._client.get_item(
                TableName=self._table, Key={"id": {"S": task_id}}, ConsistentRead=True
            )
        if "Item" not in answer:
            raise TaskNotFoundError(task_id)
        return _from_item(answer["Item"])

    def page(self, limit: int, token: str | None) -> TaskPage:
        """At most ``limit`` tasks from one bounded Scan, and the next page's token.

        DynamoDB may hand out a token even when no task follows; the page after it is
        then empty and carries no token.
        """
        request: dict[str, Any] = {"TableName": self._table, "Limit": limit}
        if token is not None:
            request["ExclusiveStartKey"] = decode_page_token(token)
        with translated_store_errors():
            answer = self._client.scan(**request)
        last_key = answer.get("LastEvaluatedKey")
        return TaskPage(
            tasks=[_from_item(item) for item in answer.get("Items", [])],
            next_token=encode_page_token(last_key) if last_key else None,
        )

    def replace(self, task: Task, expected_version: int) -> None:
        """Overwrite the task, only while it exists at ``expected_version``."""
        with translated_store_errors(str(task.id), expected_version):
            self._client.put_item(
                TableName=self._table,
                Item=_to_item(task),
                ConditionExpression="attribute_exists(id) AND version = :expected",
                ExpressionAttributeValues={":expected": {"N": str(expected_version)}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )

    def delete(self, task_id: str, expected_version: int | None) -> Task:
        """Delete the task (at ``expected_version`` if given); return its last state."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"id": {"S": task_id}},
            "ConditionExpression": "attribute_exists(id)",
            "ReturnValues": "ALL_OLD",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if expected_version is not None:
            request["ConditionExpression"] += " AND version = :expected"
            request["ExpressionAttributeValues"] = {
                ":expected": {"N": str(expected_version)}
            }
        with translated_store_errors(task_id, expected_version):
            answer = self._client.delete_item(**request)
        return _from_item(answer["Attributes"])
