"""Helpers of the Task Service tests: events, a Lambda context, a recorded Lambda."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import EndpointConnectionError

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_lambda.client import LambdaClient
    from mypy_boto3_sqs.client import SQSClient

TABLE_NAME = "tasks"
FAILURE_QUEUE = "task-failures"
NOTIFICATION_FUNCTION = "notification-service"
REQUEST_ID = "c0ffee00-0000-4000-8000-000000000001"
UNKNOWN_ID = "0b8f3f4e-2d6c-4a53-9a1f-6f0f5d1c2e3a"
_INVOKE = "before-call.lambda.Invoke"


@dataclass
class Aws:
    """The moto clients and the failure queue of one test."""

    dynamodb: DynamoDBClient
    sqs: SQSClient
    queue_url: str

    def stored(self, task_id: str) -> dict[str, Any] | None:
        """The raw DynamoDB item of a task, or None."""
        answer = self.dynamodb.get_item(
            TableName=TABLE_NAME, Key={"id": {"S": task_id}}
        )
        item: dict[str, Any] | None = answer.get("Item")
        return item

    def parked(self) -> list[dict[str, Any]]:
        """Every message body in the failure queue, parsed."""
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        )
        return [json.loads(message["Body"]) for message in answer.get("Messages", [])]


@dataclass
class FakeContext:
    """The parts of a LambdaContext that Powertools reads."""

    function_name: str = "task-write"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:task-write"
    )
    aws_request_id: str = "5a1d0c6e-0000-4000-8000-00000000cafe"


def api_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    request_id: str = REQUEST_ID,
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as the Lambda integration delivers it."""
    if headers is None:
        headers = {"Content-Type": "application/json"} if body is not None else {}
    text = json.dumps(body) if isinstance(body, dict | list) else body
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": (
            {name: [value] for name, value in query.items()} if query else None
        ),
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "requestId": request_id,
            "stage": "dev",
            "httpMethod": method,
            "path": f"/dev{path}",
        },
        "body": text,
        "isBase64Encoded": False,
    }


def body_of(response: dict[str, Any]) -> Any:
    """The parsed JSON body of a handler's answer."""
    return json.loads(response["body"])


def header_of(response: dict[str, Any], name: str) -> list[str]:
    """The values of one response header."""
    return list(response.get("multiValueHeaders", {}).get(name, []))


@dataclass
class InvokeRecorder:
    """Stands in for the Lambda service behind a real boto3 client.

    It answers each Invoke before the request would leave the client (botocore's
    ``before-call`` event), records it, and answers as ``outcome`` says: ``accepted``
    (202), ``throttled`` (429), ``failing`` (500), ``unreachable`` (no connection) or
    ``wrong-status`` (a 200, as for a synchronous invoke). A refused answer stands
    for what the SDK reports after its own retries.
    """

    outcome: str = "accepted"
    calls: list[dict[str, Any]] = field(default_factory=list)

    def attach(self, client: LambdaClient) -> None:
        """Answer this client's invokes from now on."""
        # botocore's stubs type handlers as returning None; a before-call handler
        # may return a response, which botocore then uses instead of sending.
        client.meta.events.register(_INVOKE, self._answer)  # type: ignore[arg-type]

    def detach(self, client: LambdaClient) -> None:
        """Stop answering this client's invokes."""
        client.meta.events.unregister(_INVOKE, self._answer)  # type: ignore[arg-type]

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event sent, parsed from the invoke payloads."""
        return [json.loads(call["body"]) for call in self.calls]

    def _answer(
        self,
        params: dict[str, Any],
        **_: Any,
    ) -> tuple[AWSResponse, dict[str, Any]]:
        self.calls.append(
            {
                "body": params["body"],
                "url_path": params["url_path"],
                "invocation_type": params["headers"].get("X-Amz-Invocation-Type"),
            }
        )
        if self.outcome == "unreachable":
            raise EndpointConnectionError(
                endpoint_url="https://lambda.us-east-1.amazonaws.com"
            )
        status, parsed = {
            "accepted": (202, {"StatusCode": 202}),
            "wrong-status": (200, {"StatusCode": 200}),
            "throttled": (429, _error("TooManyRequestsException", "Rate exceeded")),
            "failing": (500, _error("ServiceException", "Internal failure")),
        }[self.outcome]
        parsed["ResponseMetadata"] = {
            "RequestId": "9a1c2e3f-4b5d-4c6e-8f7a-0b1c2d3e4f5a",
            "HTTPStatusCode": status,
        }
        return AWSResponse(
            "https://lambda.invalid", status, HTTPHeaders(), None
        ), parsed


def _error(code: str, message: str) -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message}}


@contextmanager
def refusing(client: BaseClient, event_name: str, code: str) -> Iterator[None]:
    """While inside, the client's calls named by ``event_name`` fail with ``code``."""

    def refuse(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        response = AWSResponse("https://aws.invalid", 400, HTTPHeaders(), None)
        return response, _error(code, "Refused by the test")

    client.meta.events.register(event_name, refuse)  # type: ignore[arg-type]
    try:
        yield
    finally:
        client.meta.events.unregister(event_name, refuse)  # type: ignore[arg-type]
