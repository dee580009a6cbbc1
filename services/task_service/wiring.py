"""Builds the service's objects once per container, on first use.

Nothing here runs at import: the first request of a container reads and validates
the configuration (failing with the variable's name) and creates the boto3 clients,
which later requests reuse.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from task_service.config import ReadConfig, WriteConfig
from task_service.handoff import HandoffSender
from task_service.service import TaskCommands, TaskQueries
from task_service.store import TaskStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_lambda.client import LambdaClient
    from mypy_boto3_sqs.client import SQSClient

# The API waits for the invoke: keep its worst case short. Standard retries back off
# on throttling and 5xx; what still fails is parked, not lost.
_HANDOFF_CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "total_max_attempts": 3},
)


@cache
def dynamodb_client() -> DynamoDBClient:
    """The container's DynamoDB client."""
    return boto3.client("dynamodb")


@cache
def lambda_client() -> LambdaClient:
    """The container's Lambda client, for the handoff."""
    return boto3.client("lambda", config=_HANDOFF_CLIENT_CONFIG)


@cache
def sqs_client() -> SQSClient:
    """The container's SQS client, for parking refused handoffs."""
    return boto3.client("sqs")


@cache
def task_queries() -> TaskQueries:
    """The read side: needs only the tasks table."""
    config = ReadConfig.from_environ(os.environ)
    return TaskQueries(TaskStore(dynamodb_client(), config.tasks_table_name))


@cache
def task_commands() -> TaskCommands:
    """The write side: the tasks table and the handoff."""
    config = WriteConfig.from_environ(os.environ)
    handoff = HandoffSender(
        lambda_client(),
        sqs_client,
        function_name=config.notification_function_name,
        failure_queue_url=config.failure_queue_url,
    )
    return TaskCommands(
        TaskStore(dynamodb_client(), config.tasks_table_name),
        handoff,
        event_source=config.event_source,
    )
