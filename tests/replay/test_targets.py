"""Finding a stage's failure queue and Notification function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from infra.replay.errors import StageLookupError
from infra.replay.targets import (
    NOTIFICATION_HANDLER,
    aws_target,
    find_target,
    local_target,
    notification_stack_name,
)

QUEUE_URL = "http://127.0.0.1:5000/123456789012/failure-queue"


def local_outputs(**changes: Any) -> dict[str, Any]:
    """An outputs file as ``infra.local`` writes it, cut to what replay reads."""
    outputs: dict[str, Any] = {
        "stage": "local",
        "awsEndpointUrl": "http://127.0.0.1:5000",
        "lambdaEndpointUrl": "http://127.0.0.1:5001",
        "region": "us-east-1",
        "functions": {
            "TaskWriteFunction": {
                "name": "task-write",
                "handler": "task_service.handlers.handle_write_request",
                "environment": {"FAILURE_QUEUE_URL": QUEUE_URL},
            },
            "NotificationFunction": {
                "name": "notification",
                "handler": NOTIFICATION_HANDLER,
                "environment": {"FAILURE_QUEUE_URL": QUEUE_URL},
            },
        },
    }
    outputs.update(changes)
    return outputs


def write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_the_local_stage_is_read_from_its_outputs_file(tmp_path: Path) -> None:
    target = find_target(
        "local", outputs_file=write(tmp_path / "o.json", local_outputs())
    )

    assert (target.failure_queue_url, target.notification_function) == (
        QUEUE_URL,
        "notification",
    )
    assert target.sqs_client().meta.endpoint_url == "http://127.0.0.1:5000"
    assert target.lambda_client().meta.endpoint_url == "http://127.0.0.1:5001"
    assert target.lambda_client().meta.region_name == "us-east-1"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (
            None,
            "the local stage's outputs file {path} does not exist: start the "
            "stage with `nox -s deploy` (or pass --outputs FILE)",
        ),
        (
            "{",
            "cannot read the local stage's outputs file {path}: Expecting "
            "property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (
            json.dumps(local_outputs(functions={})),
            f"{{path}} lists no function with handler {NOTIFICATION_HANDLER}",
        ),
        (
            json.dumps({"functions": local_outputs()["functions"]}),
            "{path} is not a local stage outputs file: no 'region'",
        ),
    ],
    ids=["missing", "not-json", "no-function", "no-region"],
)
def test_a_bad_outputs_file_is_named_in_the_error(
    tmp_path: Path, content: str | None, error: str
) -> None:
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_text(content)

    with pytest.raises(StageLookupError) as raised:
        local_target(path)

    assert str(raised.value) == error.format(path=path)


class StubbedSession(boto3.Session):
    """A session whose CloudFormation client answers from a Stubber."""

    def __init__(self, stubber_answers: list[dict[str, Any]] | Exception) -> None:
        super().__init__(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="eu-west-1",
        )
        self.answers = stubber_answers

    def client(self, *args: Any, **kwargs: Any) -> Any:
        client = super().client(*args, **kwargs)
        if args[0] == "cloudformation":
            stubber = Stubber(client)
            if isinstance(self.answers, Exception):
                stubber.add_client_error(
                    "list_stack_resources",
                    "ValidationError",
                    str(self.answers),
                    expected_params={"StackName": "NotificationService-dev"},
                )
            for answer in [] if isinstance(self.answers, Exception) else self.answers:
                stubber.add_response(
                    "list_stack_resources",
                    answer,
                    {"StackName": "NotificationService-dev"},
                )
            stubber.activate()
        return client


def summary(logical_id: str, kind: str, physical_id: str) -> dict[str, Any]:
    return {
        "LogicalResourceId": logical_id,
        "ResourceType": kind,
        "PhysicalResourceId": physical_id,
        "LastUpdatedTimestamp": "2026-12-03T16:00:00Z",
        "ResourceStatus": "CREATE_COMPLETE",
    }


STACK_RESOURCES = [
    summary("FailureQueue1F3A2B4C", "AWS::SQS::Queue", QUEUE_URL),
    summary("FailureQueuePolicy9A8B", "AWS::SQS::QueuePolicy", "policy"),
    summary("NotificationFunctionServiceRole12AB", "AWS::IAM::Role", "role"),
    summary("NotificationFunction3C4D5E6F", "AWS::Lambda::Function", "notify-dev"),
    summary("NotificationTopic1A2B", "AWS::SNS::Topic", "arn:aws:sns:topic"),
]


def test_an_aws_stage_is_found_through_its_stack() -> None:
    target = aws_target(
        "dev", StubbedSession([{"StackResourceSummaries": STACK_RESOURCES}])
    )

    assert (target.region, target.failure_queue_url, target.notification_function) == (
        "eu-west-1",
        QUEUE_URL,
        "notify-dev",
    )
    assert (
        target.sqs_client().meta.endpoint_url == "https://sqs.eu-west-1.amazonaws.com"
    )


def test_a_missing_stack_is_named_in_the_error() -> None:
    session = StubbedSession(
        Exception("Stack with id NotificationService-dev does not exist")
    )

    with pytest.raises(StageLookupError) as raised:
        aws_target("dev", session)

    assert str(raised.value) == (
        "cannot read stack NotificationService-dev in eu-west-1: Stack with id "
        "NotificationService-dev does not exist"
    )


def test_a_stack_without_the_function_is_named_in_the_error() -> None:
    session = StubbedSession([{"StackResourceSummaries": STACK_RESOURCES[:2]}])

    with pytest.raises(StageLookupError) as raised:
        aws_target("dev", session)

    assert str(raised.value) == (
        "stack NotificationService-dev should hold one AWS::Lambda::Function named "
        "NotificationFunction..., found 0"
    )


def test_an_aws_stage_without_credentials_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    with pytest.raises(StageLookupError) as raised:
        find_target("qat")

    assert str(raised.value) == (
        "stage qat is in AWS, and no AWS credentials were found: set AWS_PROFILE, "
        "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )


def test_an_aws_stage_without_a_region_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))

    with pytest.raises(StageLookupError) as raised:
        find_target("prd")

    assert (
        str(raised.value) == "stage prd is in AWS, and no region is set: set AWS_REGION"
    )


@pytest.mark.infra
def test_the_stack_name_matches_the_cdk_app() -> None:
    from infra.app import notification_stack_name as app_stack_name  # noqa: PLC0415 - starts Node.js

    assert [notification_stack_name(s) for s in ("dev", "qat", "prd", "local")] == [
        app_stack_name(s) for s in ("dev", "qat", "prd", "local")
    ]


def test_the_outputs_the_local_stage_writes_are_understood(tmp_path: Path) -> None:
    from infra.local.stage import StageOutputs  # noqa: PLC0415 - only this test needs it

    document = local_outputs()
    outputs = StageOutputs(
        api_url="http://127.0.0.1:5002/",
        aws_endpoint_url=document["awsEndpointUrl"],
        lambda_endpoint_url=document["lambdaEndpointUrl"],
        control_url=document["lambdaEndpointUrl"] + "/_local",
        region="us-east-1",
        account_id="123456789012",
        tables={},
        queues={"FailureQueue": {"name": "failure-queue", "url": QUEUE_URL}},
        topics={},
        functions=document["functions"],
    )
    outputs.write(tmp_path / "outputs.json")

    target = local_target(tmp_path / "outputs.json")

    assert (target.failure_queue_url, target.notification_function) == (
        QUEUE_URL,
        "notification",
    )
