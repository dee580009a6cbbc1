"""Fixtures of the Task Service tests: moto for DynamoDB and SQS, a recorded Lambda.

Powertools reads its tracing switch and metrics namespace when the service module is
first imported, so they are set here, before any test module imports it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from tests.unit.task_service.support import (
    FAILURE_QUEUE,
    NOTIFICATION_FUNCTION,
    TABLE_NAME,
    Aws,
    InvokeRecorder,
)

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "InternalHandoff")

# Imported only now: the Powertools settings above must come first.
from task_service import wiring
from task_service.observability import logger


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The write function's environment (a superset of the read function's)."""
    monkeypatch.setenv("TASKS_TABLE_NAME", TABLE_NAME)
    monkeypatch.setenv("NOTIFICATION_FUNCTION_NAME", NOTIFICATION_FUNCTION)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "InternalHandoff")
    monkeypatch.delenv("EVENT_SOURCE", raising=False)


@pytest.fixture
def aws(environment: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """A fresh container against moto: the tasks table, the failure queue.

    The boto3 clients outlive a test (creating them is the slow part, and moto
    intercepts every client made after its import); the service objects and their
    configuration do not.
    """
    forget_services()
    with mock_aws():
        dynamodb = wiring.dynamodb_client()
        dynamodb.create_table(
            TableName=TABLE_NAME,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sqs = wiring.sqs_client()
        queue_url = sqs.create_queue(QueueName=FAILURE_QUEUE)["QueueUrl"]
        monkeypatch.setenv("FAILURE_QUEUE_URL", queue_url)
        yield Aws(dynamodb=dynamodb, sqs=sqs, queue_url=queue_url)
    forget_services()


@pytest.fixture
def invokes(aws: Aws) -> Iterator[InvokeRecorder]:
    """Records every invoke of the service's own Lambda client and answers it."""
    recorder = InvokeRecorder()
    recorder.attach(wiring.lambda_client())
    yield recorder
    recorder.detach(wiring.lambda_client())


def forget_services() -> None:
    """Drop the configured service objects, as a new container would not have them."""
    wiring.task_queries.cache_clear()
    wiring.task_commands.cache_clear()


class _LineCollector(logging.Handler):
    def __init__(self, lines: list[dict[str, Any]]) -> None:
        super().__init__()
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines() -> Iterator[list[dict[str, Any]]]:
    """Every line the service logs during the test, parsed from its JSON."""
    lines: list[dict[str, Any]] = []
    collector = _LineCollector(lines)
    collector.setFormatter(logger.registered_formatter)
    logging.getLogger(logger.name).addHandler(collector)
    yield lines
    logging.getLogger(logger.name).removeHandler(collector)
