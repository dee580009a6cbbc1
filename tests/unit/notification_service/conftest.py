"""A faked AWS account for the Notification Service, and helpers to look into it."""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from moto import mock_aws
from notification_service import handler
from notification_service.observability import logger, metrics

EXPIRY_SECONDS = 1_300_000
ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:notification-service"


@dataclass
class FakeLambdaContext:
    """The attributes of Lambda's context object that the service reads."""

    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    function_name: str = "notification-service"
    invoked_function_arn: str = FUNCTION_ARN
    memory_limit_in_mb: int = 256
    remaining_millis: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


@dataclass
class Published:
    """One message as an SQS queue subscribed to the topic received it."""

    body: dict[str, Any]
    attributes: dict[str, str]


@dataclass
class FakeAccount:
    """The topic, queues and table of one test, with ways to read them back."""

    sqs: Any
    dynamodb: Any
    subscriber_queue_url: str
    failure_queue_url: str
    table_name: str
    refusals: list[str] = field(default_factory=list)

    def published(self) -> list[Published]:
        """Every message published to the topic so far (drains the subscriber)."""
        return [
            Published(
                body=json.loads(message["Body"]),
                attributes={
                    name: value["StringValue"]
                    for name, value in message.get("MessageAttributes", {}).items()
                },
            )
            for message in self._drain(self.subscriber_queue_url)
        ]

    def parked(self) -> list[dict[str, Any]]:
        """Every failure record in the failure queue so far (drains it)."""
        return [json.loads(m["Body"]) for m in self._drain(self.failure_queue_url)]

    def idempotency_records(self) -> list[dict[str, Any]]:
        """The items of the idempotency table, as DynamoDB stores them."""
        items: list[dict[str, Any]] = self.dynamodb.scan(TableName=self.table_name)[
            "Items"
        ]
        return items

    def _drain(self, queue_url: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
        ).get("Messages", []):
            messages += batch
            for message in batch:
                self.sqs.delete_message(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return messages


@pytest.fixture(autouse=True)
def _powertools_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "notification-service")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "InternalHandoff")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    # Metrics reads its namespace when the handler module is imported, which in
    # Lambda happens with the environment in place but here at collection.
    monkeypatch.setattr(metrics, "namespace", "InternalHandoff")


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAccount]:
    """A moto account with the stack's resources, and the handler pointed at it."""
    with mock_aws():
        region = os.environ["AWS_DEFAULT_REGION"]
        sqs = boto3.client("sqs", region_name=region)
        sns = boto3.client("sns", region_name=region)
        dynamodb = boto3.client("dynamodb", region_name=region)

        dynamodb.create_table(
            TableName="idempotency",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        topic_arn = sns.create_topic(Name="notifications")["TopicArn"]
        subscriber_url = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
        subscriber_arn = sqs.get_queue_attributes(
            QueueUrl=subscriber_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=subscriber_arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        failure_url = sqs.create_queue(QueueName="failures")["QueueUrl"]

        monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", "idempotency")
        monkeypatch.setenv("IDEMPOTENCY_EXPIRY_SECONDS", str(EXPIRY_SECONDS))
        monkeypatch.setenv("NOTIFICATION_TOPIC_ARN", topic_arn)
        monkeypatch.setenv("FAILURE_QUEUE_URL", failure_url)
        handler._notifier.cache_clear()  # every test is a cold start
        try:
            yield FakeAccount(sqs, dynamodb, subscriber_url, failure_url, "idempotency")
        finally:
            handler._notifier.cache_clear()


@pytest.fixture
def context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The service's log lines, parsed, written since the fixture started."""
    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.registered_handler.setStream(previous)  # type: ignore[attr-defined]


@pytest.fixture
def metrics_emitted(
    capsys: pytest.CaptureFixture[str],
) -> Callable[[], list[dict[str, Any]]]:
    """The EMF metric documents flushed to stdout so far, one per invocation."""

    def read() -> list[dict[str, Any]]:
        lines = capsys.readouterr().out.splitlines()
        documents = [json.loads(line) for line in lines if line.startswith("{")]
        return [document for document in documents if "_aws" in document]

    return read


def refuse(account: FakeAccount, operation: str, code: str, times: int = 1) -> None:
    """Make the next ``times`` calls of ``operation`` (``sns.Publish``) fail.

    The refusal is an AWS error response with ``code``, raised by botocore as
    it would raise the real one. It reaches the clients created afterwards: the
    handler's, on its cold start.
    """
    remaining = [times]

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if remaining[0] == 0:
            return None
        remaining[0] -= 1
        account.refusals.append(operation)
        error = {"Code": code, "Message": f"{code} (injected by the test)"}
        return (
            AWSResponse("https://aws.test", 400, HTTPHeaders(), None),
            {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}},
        )

    # botocore-stubs types hooks as returning None, but a before-call hook's
    # answer replaces the call; that is the point here.
    _default_session().events.register(f"before-call.{operation}", answer)  # type: ignore[arg-type]


def hold(operation: str) -> tuple[threading.Event, threading.Event]:
    """Hold the first call of ``operation`` until released.

    Returns the events (reached, release): the first is set once the call is
    held, setting the second lets it go on.
    """
    reached, release = threading.Event(), threading.Event()

    def wait(**_: Any) -> None:
        if reached.is_set():
            return
        reached.set()
        release.wait(timeout=30)

    _default_session().events.register(f"before-call.{operation}", wait)
    return reached, release


def _default_session() -> boto3.session.Session:
    # moto swaps in a fresh default session for each mock, so hooks registered
    # here reach the handler's clients and end with the test.
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    return boto3.DEFAULT_SESSION
