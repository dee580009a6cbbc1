"""moto's server for DynamoDB, SQS and SNS, with the templates' resources in it."""

from __future__ import annotations

import functools
import logging
import socket
import threading
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from infra.local.servers import HOST, BackgroundServer, raise_bind_error
from infra.local.templates import StageDescription, TableSpec

logger = logging.getLogger(__name__)

# Credentials moto accepts; they never leave 127.0.0.1.
FAKE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")

# moto's DynamoDB operations that write, conditionally or not.
_DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


class _AtomicDynamoDBWrites:
    """Run moto's DynamoDB writes one at a time, so that conditional writes are atomic.

    moto evaluates a condition expression and then writes, with no lock between
    the two, on the server's request threads: two deliveries of one event running
    at once could both create the same Powertools idempotency record, and both
    publish (the reliability drill saw exactly that). DynamoDB applies a conditional
    write atomically, and the Notification Service relies on it. moto serves from
    this process, so one lock around its backend's write methods restores the
    guarantee. The patch is process-wide: it is installed while at least one moto
    server of this module runs, and the original methods come back after the last.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._write_lock = threading.RLock()  # a transaction may write through put_item
        self._servers = 0
        self._originals: dict[str, Callable[..., Any]] = {}

    def acquire(self) -> None:
        from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415 - moto loads slowly

        with self._guard:
            if self._servers == 0:
                self._originals = {
                    name: getattr(DynamoDBBackend, name) for name in _DYNAMODB_WRITES
                }
                for name, method in self._originals.items():
                    setattr(DynamoDBBackend, name, self._locked(method))
            self._servers += 1

    def release(self) -> None:
        from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415 - moto loads slowly

        with self._guard:
            self._servers -= 1
            if self._servers == 0:
                for name, method in self._originals.items():
                    setattr(DynamoDBBackend, name, method)
                self._originals = {}

    def _locked(self, method: Callable[..., Any]) -> Callable[..., Any]:
        lock = self._write_lock

        @functools.wraps(method)
        def write(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - moto's signatures
            with lock:
                return method(*args, **kwargs)

        return write


_ATOMIC_WRITES = _AtomicDynamoDBWrites()


class _MotoServer(BackgroundServer):
    """moto's server, holding the atomic-writes patch from start to stop."""

    def __init__(self, server: BaseWSGIServer) -> None:
        super().__init__(server, "moto-server")
        self._holds_patch = False

    def start(self) -> None:
        _ATOMIC_WRITES.acquire()
        self._holds_patch = True
        super().start()

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            if self._holds_patch:
                self._holds_patch = False
                _ATOMIC_WRITES.release()


class _QuietMotoRequestHandler(MotoRequestHandler):
    """moto's handler, with werkzeug's access log line at debug level."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug("moto %s %s %s", self.requestline, code, size)


def start_moto_server(port: int) -> BackgroundServer:
    """Bind moto's server to 127.0.0.1 and serve it in a background thread.

    While it runs, its DynamoDB writes are atomic, as DynamoDB's are (see
    :class:`_AtomicDynamoDBWrites`).

    moto's own ``ThreadedMotoServer`` binds inside its thread, so a taken port
    leaves its ``start()`` waiting forever, and werkzeug exits the process on
    one; binding the socket here first reports it as :class:`PortInUseError`.
    """
    try:
        listener = socket.create_server((HOST, port))
    except OSError as error:
        raise_bind_error(error, "AWS endpoint (moto)", port, "--aws-port")
    with listener:  # werkzeug serves a duplicate of this descriptor
        server = make_server(
            HOST,
            listener.getsockname()[1],
            DomainDispatcherApplication(create_backend_app),
            threaded=True,
            request_handler=_QuietMotoRequestHandler,
            fd=listener.fileno(),
        )
    background = _MotoServer(server)
    background.start()
    return background


def reset_moto(endpoint_url: str) -> None:
    """Forget every resource moto holds.

    moto keeps its state in module globals, so a second stage started in the same
    process (one after another, e.g. in tests) would find the first one's tables.
    """
    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")  # noqa: S310 - our own 127.0.0.1 server
    with urllib.request.urlopen(request) as response:  # noqa: S310 - our own 127.0.0.1 server
        response.read()


def client(service: str, endpoint_url: str, region: str) -> Any:  # noqa: ANN401 - boto3 clients are untyped here
    """A boto3 client for one of moto's services, with fake credentials."""
    return boto3.client(
        service,  # type: ignore[call-overload] # the stubs type only literal names
        endpoint_url=endpoint_url,
        region_name=region,
        **FAKE_CREDENTIALS,
    )


def subscribe_queue(
    endpoint_url: str, region: str, topic_arn: str, queue_name: str
) -> str:
    """Create queue ``queue_name``, subscribed to ``topic_arn`` with raw delivery.

    Returns the queue's URL. Raw delivery puts each published message's body in
    the queue as it is, which is how tests and people read notifications here.
    """
    sqs = client("sqs", endpoint_url, region)
    url: str = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    client("sns", endpoint_url, region).subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    return url


def create_resources(stage: StageDescription, endpoint_url: str) -> None:
    """Create the stage's tables, queues, topics and subscriptions in moto."""
    region = stage.account.region
    dynamodb = client("dynamodb", endpoint_url, region)
    sqs = client("sqs", endpoint_url, region)
    sns = client("sns", endpoint_url, region)

    for table in stage.tables.values():
        _create_table(dynamodb, table)
    # Dead-letter queues first, so that redrive policies name existing queues.
    queues = sorted(
        stage.queues.values(), key=lambda q: "RedrivePolicy" in q.attributes
    )
    for queue in queues:
        sqs.create_queue(QueueName=queue.name, Attributes=dict(queue.attributes))
        logger.debug("created queue %s", queue.name)
    for topic in stage.topics.values():
        sns.create_topic(Name=topic.name, Attributes=dict(topic.attributes))
        logger.debug("created topic %s", topic.name)
    for subscription in stage.subscriptions:
        if subscription.protocol == "lambda":
            logger.warning(
                "SNS subscription of %s to a Lambda function is not delivered locally",
                subscription.topic_arn,
            )
            continue
        sns.subscribe(
            TopicArn=subscription.topic_arn,
            Protocol=subscription.protocol,
            Endpoint=subscription.endpoint,
            Attributes=dict(subscription.attributes),
        )


def _create_table(dynamodb: Any, table: TableSpec) -> None:  # noqa: ANN401 - boto3 client
    properties = table.properties
    request: dict[str, Any] = {
        "TableName": table.name,
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": properties.get("BillingMode", "PROVISIONED"),
    }
    if "ProvisionedThroughput" in properties:
        request["ProvisionedThroughput"] = properties["ProvisionedThroughput"]
    elif request["BillingMode"] == "PROVISIONED":
        request["BillingMode"] = "PAY_PER_REQUEST"  # e.g. a GlobalTable's replicas
    for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if properties.get(index_kind):
            request[index_kind] = [_index(index) for index in properties[index_kind]]
    stream = properties.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    dynamodb.create_table(**request)

    ttl = properties.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=table.name,
            TimeToLiveSpecification={
                "Enabled": True,
                "AttributeName": ttl["AttributeName"],
            },
        )
    logger.debug("created table %s", table.name)


def _index(index: Mapping[str, Any]) -> dict[str, Any]:
    return {key: index[key] for key in _INDEX_KEYS if key in index}
