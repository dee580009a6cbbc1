"""The synthesized templates hold what docs/architecture.md and issue 5 promise."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple, TypeVar

import pytest
from aws_cdk.assertions import Match, Template

from infra.app import build_app
from infra.stages import StageSettingsError, load_settings
from tests.infra.conftest import Synthesize
from tests.schema_support import errors_for

pytestmark = pytest.mark.infra

AWS_STAGES = ["dev", "qat", "prd"]
WRITE_ACTIONS = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
}
TAG_KEYS = {"App", "Env", "OU", "Owner"}

T = TypeVar("T")


# ---------------------------------------------------------------- helpers


def only(resources: Mapping[str, T]) -> T:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.values()))


def only_key(resources: Mapping[str, Any]) -> str:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources))


def function(template: Template, construct_id: str) -> Mapping[str, Any]:
    functions = template.find_resources("AWS::Lambda::Function")
    return only({k: v for k, v in functions.items() if k.startswith(construct_id)})


def statements_by_role(template: Template) -> dict[str, list[dict[str, Any]]]:
    """Each role's policy statements, keyed by the role's logical id."""
    by_role: dict[str, list[dict[str, Any]]] = {}
    for policy in template.find_resources("AWS::IAM::Policy").values():
        properties = policy["Properties"]
        for role in properties["Roles"]:
            by_role.setdefault(role["Ref"], []).extend(
                properties["PolicyDocument"]["Statement"]
            )
    return by_role


def role_statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    roles = statements_by_role(template)
    return only({k: v for k, v in roles.items() if k.startswith(role_prefix)})


def actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def granted(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements if s["Effect"] == "Allow" for a in actions(s)}


# ---------------------------------------------------------------- async invoke


@pytest.mark.parametrize("stage", AWS_STAGES)
def test_notification_function_retries_twice_then_fails_over_to_the_queue(
    synthesize: Synthesize, stage: str
) -> None:
    template = synthesize(stage).notification

    config = only(template.find_resources("AWS::Lambda::EventInvokeConfig"))

    queue_id = next(iter(template.find_resources("AWS::SQS::Queue")))
    function_id = next(iter(template.find_resources("AWS::Lambda::Function")))
    assert config["Properties"] == {
        "FunctionName": {"Ref": function_id},
        "Qualifier": "$LATEST",
        "MaximumRetryAttempts": 2,
        "MaximumEventAgeInSeconds": 21600,
        "DestinationConfig": {
            "OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}
        },
    }


def test_maximum_event_age_and_idempotency_expiry_follow_the_setting(
    synthesize: Synthesize,
) -> None:
    template = synthesize("dev", {"maxEventAgeSeconds": "600"}).notification

    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig", {"MaximumEventAgeInSeconds": 600}
    )
    environment = function(template, "NotificationFunction")["Properties"][
        "Environment"
    ]["Variables"]
    # 600 s of event age + 14 days of queue retention + 1 day of margin.
    assert environment["IDEMPOTENCY_EXPIRY_SECONDS"] == str(600 + 14 * 86400 + 86400)


# ---------------------------------------------------------------- functions


@pytest.mark.parametrize(
    ("stack", "construct_id", "handler", "variables"),
    [
        (
            "notification",
            "NotificationFunction",
            "notification_service.handler.handle_handoff_event",
            {
                "FAILURE_QUEUE_URL",
                "IDEMPOTENCY_EXPIRY_SECONDS",
                "IDEMPOTENCY_TABLE_NAME",
                "NOTIFICATION_TOPIC_ARN",
            },
        ),
        (
            "task",
            "TaskReadFunction",
            "task_service.handlers.handle_read_request",
            {"TASKS_TABLE_NAME"},
        ),
        (
            "task",
            "TaskWriteFunction",
            "task_service.handlers.handle_write_request",
            {"TASKS_TABLE_NAME", "NOTIFICATION_FUNCTION_NAME", "FAILURE_QUEUE_URL"},
        ),
    ],
)
def test_functions_follow_the_runtime_interface(
    synthesize: Synthesize,
    stack: str,
    construct_id: str,
    handler: str,
    variables: set[str],
) -> None:
    template = getattr(synthesize("dev"), stack)

    properties = function(template, construct_id)["Properties"]

    assert properties["Handler"] == handler
    assert properties["Runtime"] == "python3.12"
    assert properties["Architectures"] == ["arm64"]
    assert properties["TracingConfig"] == {"Mode": "Active"}
    powertools = {
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_LOG_LEVEL",
    }
    assert set(properties["Environment"]["Variables"]) == variables | powertools
    assert properties["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == (
        "InternalHandoff"
    )


def test_architecture_is_configurable(synthesize: Synthesize) -> None:
    synthesized = synthesize("dev", {"architecture": "x86_64"})

    for template in synthesized.both():
        for resource in template.find_resources("AWS::Lambda::Function").values():
            assert resource["Properties"]["Architectures"] == ["x86_64"]


# ---------------------------------------------------------------- least privilege


@pytest.mark.parametrize("stage", AWS_STAGES)
def test_only_the_write_function_may_invoke_and_only_the_notification_arn(
    synthesize: Synthesize, stage: str
) -> None:
    synthesized = synthesize(stage)

    invokers = {
        role: [s for s in statements if "lambda:InvokeFunction" in actions(s)]
        for template in synthesized.both()
        for role, statements in statements_by_role(template).items()
    }
    invokers = {role: found for role, found in invokers.items() if found}

    assert [role[: len("TaskWriteRole")] for role in invokers] == ["TaskWriteRole"]
    [statement] = next(iter(invokers.values()))
    assert actions(statement) == {"lambda:InvokeFunction"}
    # One resource, not a list: the function's ARN, exported by its stack.
    export_name = statement["Resource"]["Fn::ImportValue"]
    outputs = synthesized.notification.to_json()["Outputs"].values()
    [exported] = [
        o["Value"] for o in outputs if o.get("Export", {}).get("Name") == export_name
    ]
    notification = synthesized.notification.find_resources("AWS::Lambda::Function")
    assert exported == {"Fn::GetAtt": [only_key(notification), "Arn"]}


@pytest.mark.parametrize("stage", AWS_STAGES)
def test_read_function_can_only_read_the_tasks_table(
    synthesize: Synthesize, stage: str
) -> None:
    statements = role_statements(synthesize(stage).task, "TaskReadRole")

    allowed = granted(statements)

    assert {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"} <= allowed
    assert not allowed & WRITE_ACTIONS
    assert "lambda:InvokeFunction" not in allowed
    assert not {a for a in allowed if a.startswith(("sqs:", "sns:"))}


@pytest.mark.parametrize("stage", AWS_STAGES)
def test_failure_queue_accepts_messages_only_where_parking_happens(
    synthesize: Synthesize, stage: str
) -> None:
    synthesized = synthesize(stage)

    senders = sorted(
        role.rstrip("0123456789ABCDEF")
        for template in synthesized.both()
        for role, statements in statements_by_role(template).items()
        if "sqs:SendMessage" in granted(statements)
    )

    assert senders == ["NotificationRole", "TaskWriteRole"]
    writer = granted(role_statements(synthesized.task, "TaskWriteRole"))
    assert writer >= WRITE_ACTIONS


# ---------------------------------------------------------------- topic and queue


def deny_insecure_transport(action: str | list[str]) -> Any:
    return Match.array_with(
        [
            Match.object_like(
                {
                    "Effect": "Deny",
                    "Action": action,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            )
        ]
    )


@pytest.mark.parametrize("stage", AWS_STAGES)
def test_topic_and_queue_are_encrypted_and_tls_only(
    synthesize: Synthesize, stage: str
) -> None:
    template = synthesize(stage).notification

    topic = only(template.find_resources("AWS::SNS::Topic"))["Properties"]
    # The AWS managed key for SNS, named by its alias ARN in this account.
    assert topic["KmsMasterKeyId"]["Fn::Join"][1][-1] == ":alias/aws/sns"
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {"PolicyDocument": {"Statement": deny_insecure_transport("sns:Publish")}},
    )
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": 14 * 86400},
    )
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {"PolicyDocument": {"Statement": deny_insecure_transport("sqs:*")}},
    )


@pytest.mark.parametrize(
    ("alarm", "metric", "threshold", "operator"),
    [
        (
            "FailureQueueNotEmptyAlarm",
            "ApproximateNumberOfMessagesVisible",
            0,
            "GreaterThanThreshold",
        ),
        (
            "FailureQueueOldestMessageAlarm",
            "ApproximateAgeOfOldestMessage",
            3600,
            "GreaterThanOrEqualToThreshold",
        ),
    ],
)
def test_failure_queue_alarms(
    synthesize: Synthesize, alarm: str, metric: str, threshold: int, operator: str
) -> None:
    template = synthesize("dev").notification
    alarms = template.find_resources("AWS::CloudWatch::Alarm")

    properties = only({k: v for k, v in alarms.items() if k.startswith(alarm)})[
        "Properties"
    ]

    queue_id = next(iter(template.find_resources("AWS::SQS::Queue")))
    assert properties["Namespace"] == "AWS/SQS"
    assert properties["MetricName"] == metric
    assert properties["Threshold"] == threshold
    assert properties["ComparisonOperator"] == operator
    assert properties["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}
    ]


# ---------------------------------------------------------------- API


@pytest.mark.parametrize("stage", AWS_STAGES)
def test_every_api_method_requires_iam_authorization_in_aws_stages(
    synthesize: Synthesize, stage: str
) -> None:
    methods = synthesize(stage).task.find_resources("AWS::ApiGateway::Method")

    authorization = sorted(
        (m["Properties"]["HttpMethod"], m["Properties"]["AuthorizationType"])
        for m in methods.values()
    )

    assert authorization == [
        ("DELETE", "AWS_IAM"),
        ("GET", "AWS_IAM"),
        ("GET", "AWS_IAM"),
        ("POST", "AWS_IAM"),
        ("PUT", "AWS_IAM"),
    ]


@pytest.mark.parametrize("stage", AWS_STAGES)
def test_api_gateways_own_errors_answer_in_the_error_response_shape(
    synthesize: Synthesize, stage: str
) -> None:
    responses = synthesize(stage).task.find_resources(
        "AWS::ApiGateway::GatewayResponse"
    )

    bodies = {
        props["Properties"]["ResponseType"]: json.loads(
            props["Properties"]["ResponseTemplates"]["application/json"]
            .replace("$context.error.messageString", '"Missing Authentication Token"')
            .replace("$context.requestId", "r-1")
        )
        for props in responses.values()
    }
    assert set(bodies) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for body in bodies.values():
        assert errors_for("error-response.json", body) == []


def test_local_stage_api_has_no_iam_authorization(synthesize: Synthesize) -> None:
    methods = synthesize("local").task.find_resources("AWS::ApiGateway::Method")

    assert {m["Properties"]["AuthorizationType"] for m in methods.values()} == {"NONE"}


def test_cors_preflights_are_the_only_methods_without_iam(
    synthesize: Synthesize,
) -> None:
    context = {"corsAllowOrigins": "https://app.example.com"}
    methods = synthesize("dev", context).task.find_resources("AWS::ApiGateway::Method")

    open_methods = {
        m["Properties"]["HttpMethod"]
        for m in methods.values()
        if m["Properties"]["AuthorizationType"] != "AWS_IAM"
    }

    assert open_methods == {"OPTIONS"}


@pytest.mark.parametrize("stage", AWS_STAGES)
def test_api_stage_throttles_logs_access_and_traces(
    synthesize: Synthesize, stage: str
) -> None:
    template = synthesize(stage).task
    settings = load_settings(stage, environ={})

    properties = only(template.find_resources("AWS::ApiGateway::Stage"))["Properties"]

    access_logs = next(
        k for k in template.find_resources("AWS::Logs::LogGroup") if "Access" in k
    )
    assert properties["StageName"] == stage
    assert properties["TracingEnabled"] is True
    assert properties["AccessLogSetting"]["DestinationArn"] == {
        "Fn::GetAtt": [access_logs, "Arn"]
    }
    assert properties["MethodSettings"] == [
        {
            "DataTraceEnabled": False,
            "HttpMethod": "*",
            "LoggingLevel": "ERROR",
            "MetricsEnabled": True,
            "ResourcePath": "/*",
            "ThrottlingBurstLimit": settings.throttling_burst_limit,
            "ThrottlingRateLimit": settings.throttling_rate_limit,
        }
    ]


# ---------------------------------------------------------------- per stage


class Retention(NamedTuple):
    deletion_policy: str
    protected: bool
    recovery_days: int
    log_days: int


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("dev", Retention("Delete", protected=False, recovery_days=7, log_days=7)),
        ("qat", Retention("Delete", protected=False, recovery_days=7, log_days=7)),
        ("prd", Retention("Retain", protected=True, recovery_days=35, log_days=30)),
    ],
)
def test_stage_decides_retention_protection_backups_and_log_days(
    synthesize: Synthesize, stage: str, expected: Retention
) -> None:
    synthesized = synthesize(stage)

    for template in synthesized.both():
        tables = template.find_resources("AWS::DynamoDB::Table")
        assert len(tables) == 1
        for table in tables.values():
            assert table["DeletionPolicy"] == expected.deletion_policy
            assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
            assert table["Properties"].get("DeletionProtectionEnabled", False) is (
                expected.protected
            )
            assert table["Properties"]["PointInTimeRecoverySpecification"] == {
                "PointInTimeRecoveryEnabled": True,
                "RecoveryPeriodInDays": expected.recovery_days,
            }
        for log_group in template.find_resources("AWS::Logs::LogGroup").values():
            assert log_group["Properties"]["RetentionInDays"] == expected.log_days


@pytest.mark.parametrize("stage", AWS_STAGES)
def test_every_taggable_resource_carries_the_four_tags(
    synthesize: Synthesize, stage: str
) -> None:
    synthesized = synthesize(stage)
    expected = {"App": "internal-handoff", "Env": stage}

    tagged_types = set()
    for template in synthesized.both():
        for resource in template.to_json()["Resources"].values():
            tags = resource.get("Properties", {}).get("Tags")
            if tags is None:
                continue
            tagged_types.add(resource["Type"])
            values = {tag["Key"]: tag["Value"] for tag in tags}
            assert set(values) >= TAG_KEYS, resource["Type"]
            assert values.items() >= expected.items()

    assert tagged_types >= {
        "AWS::DynamoDB::Table",
        "AWS::IAM::Role",
        "AWS::Lambda::Function",
        "AWS::Logs::LogGroup",
        "AWS::SNS::Topic",
        "AWS::SQS::Queue",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Stage",
    }


def test_task_stack_gets_notification_resources_by_reference(
    synthesize: Synthesize,
) -> None:
    synthesized = synthesize("dev")

    exports = {
        output["Export"]["Name"]
        for output in synthesized.notification.to_json()["Outputs"].values()
        if "Export" in output
    }
    write = function(synthesized.task, "TaskWriteFunction")["Properties"]

    assert (
        write["Environment"]["Variables"]["NOTIFICATION_FUNCTION_NAME"][
            "Fn::ImportValue"
        ]
        in exports
    )
    assert (
        write["Environment"]["Variables"]["FAILURE_QUEUE_URL"]["Fn::ImportValue"]
        in exports
    )


def test_app_refuses_an_unknown_stage_before_defining_anything() -> None:
    with pytest.raises(StageSettingsError) as raised:
        build_app("production", bundle=False)

    assert str(raised.value) == (
        "stage must be one of local, dev, qat, prd, got 'production'"
    )
