"""Find a stage's failure queue and Notification function, and clients to reach them.

The local stage is read from its outputs file; an AWS stage from its CloudFormation
stack (``NotificationService-<stage>``), with the credentials and region of the
environment. The Notification function is recognised by its handler string and
the failure queue by its construct id, both fixed in ``docs/architecture.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from infra.replay.errors import StageLookupError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

REPOSITORY: Final = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUTS_FILE: Final = REPOSITORY / ".local-stage" / "outputs.json"
NOTIFICATION_HANDLER: Final = "notification_service.handler.handle_handoff_event"
NOTIFICATION_FUNCTION_ID: Final = "NotificationFunction"
FAILURE_QUEUE_ID: Final = "FailureQueue"
QUEUE_URL_VARIABLE: Final = "FAILURE_QUEUE_URL"
# The credentials the local stage accepts; they never leave 127.0.0.1.
_LOCAL_ACCESS_KEY: Final = "testing"


def notification_stack_name(stage: str) -> str:
    """The Notification Service's stack in ``stage`` (as ``infra.app`` names it).

    Restated rather than imported: importing the CDK app starts Node.js, which a
    replay against AWS should not need. A test keeps the two in step.
    """
    return f"NotificationService-{stage}"


@dataclass(frozen=True)
class ReplayTarget:
    """Where one stage's failure queue and Notification function are."""

    stage: str
    region: str
    failure_queue_url: str
    notification_function: str
    session: boto3.Session
    aws_endpoint_url: str | None = None
    lambda_endpoint_url: str | None = None

    def sqs_client(self) -> SQSClient:
        """A client for the failure queue."""
        return self.session.client(
            "sqs", region_name=self.region, endpoint_url=self.aws_endpoint_url
        )

    def lambda_client(self) -> LambdaClient:
        """A client for the Notification function."""
        return self.session.client(
            "lambda", region_name=self.region, endpoint_url=self.lambda_endpoint_url
        )


def find_target(
    stage: str,
    *,
    outputs_file: Path = DEFAULT_OUTPUTS_FILE,
    session: boto3.Session | None = None,
) -> ReplayTarget:
    """Find the failure queue and Notification function of ``stage``.

    Raises
    ------
    StageLookupError
        When the outputs file, the credentials, the stack or a resource is missing;
        the message says which and how to get it.
    """
    if stage == "local":
        return local_target(outputs_file)
    return aws_target(stage, session or boto3.Session())


def local_target(outputs_file: Path) -> ReplayTarget:
    """The local stage, as its outputs file describes it."""
    try:
        outputs: Mapping[str, Any] = json.loads(outputs_file.read_text())
    except FileNotFoundError:
        msg = (
            f"the local stage's outputs file {outputs_file} does not exist: start the "
            "stage with `nox -s deploy` (or pass --outputs FILE)"
        )
        raise StageLookupError(msg) from None
    except (OSError, ValueError) as error:
        msg = f"cannot read the local stage's outputs file {outputs_file}: {error}"
        raise StageLookupError(msg) from error

    try:
        functions = outputs["functions"]
        notification = next(
            function
            for function in functions.values()
            if function.get("handler") == NOTIFICATION_HANDLER
        )
        return ReplayTarget(
            stage="local",
            region=outputs["region"],
            failure_queue_url=notification["environment"][QUEUE_URL_VARIABLE],
            notification_function=notification["name"],
            session=boto3.Session(
                aws_access_key_id=_LOCAL_ACCESS_KEY,
                aws_secret_access_key=_LOCAL_ACCESS_KEY,
            ),
            aws_endpoint_url=outputs["awsEndpointUrl"],
            lambda_endpoint_url=outputs["lambdaEndpointUrl"],
        )
    except StopIteration:
        msg = f"{outputs_file} lists no function with handler {NOTIFICATION_HANDLER}"
        raise StageLookupError(msg) from None
    except (KeyError, TypeError, AttributeError) as error:
        msg = f"{outputs_file} is not a local stage outputs file: no {error}"
        raise StageLookupError(msg) from error


def aws_target(stage: str, session: boto3.Session) -> ReplayTarget:
    """An AWS stage, found through its CloudFormation stack's resources."""
    if session.get_credentials() is None:
        msg = (
            f"stage {stage} is in AWS, and no AWS credentials were found: set "
            "AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
        raise StageLookupError(msg)
    region = session.region_name
    if not region:
        msg = f"stage {stage} is in AWS, and no region is set: set AWS_REGION"
        raise StageLookupError(msg)

    stack = notification_stack_name(stage)
    cloudformation: CloudFormationClient = session.client(
        "cloudformation", region_name=region
    )
    resources = _stack_resources(cloudformation, stack, region)
    return ReplayTarget(
        stage=stage,
        region=region,
        failure_queue_url=_physical_id(
            resources, stack, "AWS::SQS::Queue", FAILURE_QUEUE_ID
        ),
        notification_function=_physical_id(
            resources, stack, "AWS::Lambda::Function", NOTIFICATION_FUNCTION_ID
        ),
        session=session,
    )


def _stack_resources(
    cloudformation: CloudFormationClient, stack: str, region: str
) -> list[tuple[str, str, str]]:
    """(logical id, type, physical id) of every resource in ``stack``."""
    resources: list[tuple[str, str, str]] = []
    try:
        for page in cloudformation.get_paginator("list_stack_resources").paginate(
            StackName=stack
        ):
            resources += [
                (
                    summary["LogicalResourceId"],
                    summary["ResourceType"],
                    summary.get("PhysicalResourceId", ""),
                )
                for summary in page["StackResourceSummaries"]
            ]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        msg = f"cannot read stack {stack} in {region}: {message}"
        raise StageLookupError(msg) from error
    except BotoCoreError as error:
        msg = f"cannot read stack {stack} in {region}: {error}"
        raise StageLookupError(msg) from error
    return resources


def _physical_id(
    resources: list[tuple[str, str, str]],
    stack: str,
    resource_type: str,
    construct_id: str,
) -> str:
    # The CDK names a construct's resource after its id plus a hash suffix.
    found = [
        physical
        for logical, kind, physical in resources
        if kind == resource_type and logical.startswith(construct_id) and physical
    ]
    if len(found) != 1:
        msg = (
            f"stack {stack} should hold one {resource_type} named {construct_id}..., "
            f"found {len(found)}"
        )
        raise StageLookupError(msg)
    return found[0]
