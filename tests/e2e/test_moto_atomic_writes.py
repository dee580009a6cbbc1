"""moto's DynamoDB conditional writes are atomic while the local stage's server runs.

moto checks a condition expression and then writes, with nothing between the two;
these tests widen that gap on purpose, so that without the local stage's lock
concurrent writers would all pass the check and all write.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models import table as moto_table

from infra.local.aws import FAKE_CREDENTIALS, start_moto_server
from infra.local.servers import BackgroundServer

pytestmark = pytest.mark.e2e

WRITERS = 8
WRITE_METHODS = ("put_item", "update_item", "delete_item", "transact_write_items")


@pytest.fixture
def moto_server() -> Iterator[BackgroundServer]:
    server = start_moto_server(0)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def slow_condition_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pause between moto's read of the current item and its condition check."""
    original: Callable[..., Any] = getattr(moto_table, "get_filter_expression")  # noqa: B009 - moto does not export it

    def slowly(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.05)
        return original(*args, **kwargs)

    monkeypatch.setattr(moto_table, "get_filter_expression", slowly)


def _dynamodb(url: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        config=Config(max_pool_connections=WRITERS, retries={"total_max_attempts": 1}),
        aws_access_key_id=FAKE_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=FAKE_CREDENTIALS["aws_secret_access_key"],
    )


@pytest.mark.usefixtures("slow_condition_checks")
def test_concurrent_conditional_puts_create_the_item_exactly_once(
    moto_server: BackgroundServer,
) -> None:
    dynamodb = _dynamodb(moto_server.url)
    table = f"atomic-{uuid.uuid4().hex}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    start = threading.Barrier(WRITERS)
    outcomes: dict[str, str] = {}

    def write(writer: str) -> None:
        start.wait()
        try:
            dynamodb.put_item(
                TableName=table,
                Item={"id": {"S": "event-1"}, "writer": {"S": writer}},
                ConditionExpression="attribute_not_exists(id)",
            )
            outcomes[writer] = "created"
        except ClientError as error:
            outcomes[writer] = error.response["Error"]["Code"]

    threads = [threading.Thread(target=write, args=(str(n),)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = dynamodb.get_item(TableName=table, Key={"id": {"S": "event-1"}})["Item"]
    dynamodb.delete_table(TableName=table)

    created = [writer for writer, outcome in outcomes.items() if outcome == "created"]
    assert len(created) == 1, outcomes
    assert sorted(outcomes.values()) == [
        *["ConditionalCheckFailedException"] * (WRITERS - 1),
        "created",
    ]
    assert stored["writer"] == {"S": created[0]}


def test_moto_writes_are_restored_when_the_last_server_stops() -> None:
    originals = {name: getattr(DynamoDBBackend, name) for name in WRITE_METHODS}
    first = start_moto_server(0)
    second = start_moto_server(0)
    first.stop()
    still_locked = {
        name: getattr(DynamoDBBackend, name) is not originals[name]
        for name in WRITE_METHODS
    }
    second.stop()
    restored = {
        name: getattr(DynamoDBBackend, name) is originals[name]
        for name in WRITE_METHODS
    }
    assert still_locked == dict.fromkeys(WRITE_METHODS, True)
    assert restored == dict.fromkeys(WRITE_METHODS, True)
