"""The template reader: what the local stage takes from the synthesized templates."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from infra.local.errors import TemplateError
from infra.local.stage import read_assembly
from infra.local.templates import (
    AsyncConfig,
    LocalAccount,
    Route,
    StackTemplate,
    StageDescription,
    describe_stage,
)

FIXTURE = Path(__file__).parent / "fixture_assembly"
ACCOUNT = LocalAccount("eu-west-1", "123456789012", "http://127.0.0.1:5000")
NOTIFICATION = "handoff-local-notification"
TASK = "handoff-local-task"
QUEUE_NAME = f"{NOTIFICATION}-FailureQueue7A2B3C4D"
QUEUE_URL = f"http://127.0.0.1:5000/123456789012/{QUEUE_NAME}"
QUEUE_ARN = f"arn:aws:sqs:eu-west-1:123456789012:{QUEUE_NAME}"
NOTIFY_NAME = f"{NOTIFICATION}-NotificationFunction9C8D7E6F"
NOTIFY_ARN = f"arn:aws:lambda:eu-west-1:123456789012:function:{NOTIFY_NAME}"


@pytest.fixture(scope="module")
def stacks() -> list[StackTemplate]:
    return read_assembly(FIXTURE)


@pytest.fixture(scope="module")
def stage(stacks: list[StackTemplate]) -> StageDescription:
    return describe_stage(stacks, ACCOUNT)


def _with_resource(
    stacks: list[StackTemplate], stack: str, logical_id: str, resource: Any
) -> list[StackTemplate]:
    changed = []
    for item in stacks:
        template = copy.deepcopy(dict(item.template))
        if item.name == stack:
            template["Resources"][logical_id] = resource
        changed.append(StackTemplate(item.name, template, item.region))
    return changed


def test_assembly_lists_its_stacks_with_their_names(
    stacks: list[StackTemplate],
) -> None:
    assert [stack.name for stack in stacks] == [NOTIFICATION, TASK]


def test_resources_are_keyed_by_construct_id(stage: StageDescription) -> None:
    assert sorted(stage.functions) == [
        "NotificationFunction",
        "TaskReadFunction",
        "TaskWriteFunction",
    ]
    assert sorted(stage.tables) == ["IdempotencyTable", "TasksTable"]
    assert sorted(stage.queues) == ["FailureQueue"]
    assert sorted(stage.topics) == ["NotificationTopic"]


def test_environment_references_resolve_to_local_names(stage: StageDescription) -> None:
    assert stage.functions["NotificationFunction"].environment == {
        "IDEMPOTENCY_TABLE_NAME": f"{NOTIFICATION}-IdempotencyTable5E6F7A8B",
        "NOTIFICATION_TOPIC_ARN": (
            f"arn:aws:sns:eu-west-1:123456789012:{NOTIFICATION}-NotificationTopicB1C2D3E4"
        ),
        "FAILURE_QUEUE_URL": QUEUE_URL,
        "FAILURE_QUEUE_ARN": QUEUE_ARN,
        "POWERTOOLS_SERVICE_NAME": "notification-service",
        "STACK_AND_REGION": f"{NOTIFICATION} in eu-west-1",
    }


def test_cross_stack_imports_resolve_through_the_exporting_stack(
    stage: StageDescription,
) -> None:
    environment = stage.functions["TaskWriteFunction"].environment
    assert environment["NOTIFICATION_FUNCTION_NAME"] == NOTIFY_ARN
    assert environment["FAILURE_QUEUE_URL"] == QUEUE_URL
    assert environment["TASKS_TABLE_NAME"] == f"{TASK}-tasks"


@pytest.mark.parametrize(
    ("key", "handler", "timeout", "memory"),
    [
        (
            "NotificationFunction",
            "tests.e2e.fake_services.notification.handle_handoff_event",
            10,
            256,
        ),
        (
            "TaskReadFunction",
            "tests.e2e.fake_services.tasks.handle_read_request",
            3,
            128,
        ),
        (
            "TaskWriteFunction",
            "tests.e2e.fake_services.tasks.handle_write_request",
            15,
            512,
        ),
    ],
)
def test_functions_carry_handler_timeout_and_memory(
    stage: StageDescription, key: str, handler: str, timeout: int, memory: int
) -> None:
    function = stage.functions[key]
    assert (function.handler, function.timeout_seconds, function.memory_mb) == (
        handler,
        timeout,
        memory,
    )


def test_event_invoke_config_sets_retries_age_and_destination(
    stage: StageDescription,
) -> None:
    assert stage.functions["NotificationFunction"].async_config == AsyncConfig(
        max_retry_attempts=2,
        max_event_age_seconds=3600,
        on_failure=QUEUE_ARN,
        on_success=None,
    )


def test_function_without_event_invoke_config_gets_lambda_defaults(
    stage: StageDescription,
) -> None:
    assert stage.functions["TaskWriteFunction"].async_config == AsyncConfig(
        max_retry_attempts=2, max_event_age_seconds=21600
    )


def test_routes_follow_the_resource_tree_and_skip_mock_methods(
    stage: StageDescription,
) -> None:
    assert stage.routes == [
        Route("GET", "/tasks", "TaskReadFunction"),
        Route("POST", "/tasks", "TaskWriteFunction"),
        Route("DELETE", "/tasks/{taskId}", "TaskWriteFunction"),
        Route("GET", "/tasks/{taskId}", "TaskReadFunction"),
    ]


def test_api_stage_name_comes_from_the_stage_resource(stage: StageDescription) -> None:
    assert stage.api_stage_name == "local"


def test_table_keeps_key_schema_and_time_to_live(stage: StageDescription) -> None:
    table = stage.tables["IdempotencyTable"]
    assert table.properties["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table.properties["TimeToLiveSpecification"] == {
        "AttributeName": "expiration",
        "Enabled": True,
    }


def test_queue_properties_become_create_queue_attributes(
    stage: StageDescription,
) -> None:
    assert stage.queues["FailureQueue"].attributes == {
        "MessageRetentionPeriod": "1209600",
        "VisibilityTimeout": "30",
    }


@pytest.mark.parametrize(
    "reference",
    [
        "NotificationFunction",
        NOTIFY_NAME,
        NOTIFY_ARN,
        f"{NOTIFY_ARN}:$LATEST",
    ],
)
def test_function_is_found_by_construct_id_name_or_arn(
    stage: StageDescription, reference: str
) -> None:
    function = stage.function_by_reference(reference)
    assert function is not None
    assert function.key == "NotificationFunction"


def test_unknown_function_reference_finds_nothing(stage: StageDescription) -> None:
    assert stage.function_by_reference("missing") is None


def test_construct_id_comes_from_the_logical_id_without_path_metadata(
    stacks: list[StackTemplate],
) -> None:
    resource = {
        "Type": "AWS::SNS::Topic",
        "Properties": {},
    }
    changed = _with_resource(stacks, TASK, "AuditTopic0A1B2C3D", resource)
    assert "AuditTopic" in describe_stage(changed, ACCOUNT).topics


def test_generated_function_name_stays_within_lambdas_limit(
    stacks: list[StackTemplate],
) -> None:
    resource = copy.deepcopy(
        dict(stacks[1].template)["Resources"]["TaskReadFunction5A6B7C8D"]
    )
    del resource["Metadata"]
    logical_id = "AVeryLongFunctionNameThatGoesOnAndOnForeverAndEver0A1B2C3D"
    changed = _with_resource(stacks, TASK, logical_id, resource)
    name = (
        describe_stage(changed, ACCOUNT)
        .functions["AVeryLongFunctionNameThatGoesOnAndOnForeverAndEver"]
        .name
    )
    assert len(name) == 64
    assert name.startswith(f"{TASK}-AVeryLong")


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"X": {"Fn::If": ["IsProd", "a", "b"]}},
            "handoff-local-task: the local stage does not evaluate Fn::If",
        ),
        (
            {"X": {"Fn::ImportValue": "nobody:exports-this"}},
            "Fn::ImportValue: no stack exports 'nobody:exports-this'",
        ),
        (
            {"X": {"Ref": "Missing"}},
            "handoff-local-task: Ref 'Missing' names no resource or parameter",
        ),
        (
            {"X": {"Fn::GetAtt": ["TasksTable1A2B3C4D", "StreamArn"]}},
            "handoff-local-task/TasksTable1A2B3C4D: the local stage has no attribute "
            "'StreamArn' for AWS::DynamoDB::Table",
        ),
    ],
)
def test_unsupported_template_constructs_are_named(
    stacks: list[StackTemplate], variables: dict[str, Any], message: str
) -> None:
    resource = copy.deepcopy(
        dict(stacks[1].template)["Resources"]["TaskReadFunction5A6B7C8D"]
    )
    resource["Properties"]["Environment"]["Variables"] = variables
    changed = _with_resource(stacks, TASK, "TaskReadFunction5A6B7C8D", resource)
    with pytest.raises(TemplateError) as raised:
        describe_stage(changed, ACCOUNT)
    assert str(raised.value) == message


def test_properties_the_stage_does_not_use_cannot_stop_it(
    stacks: list[StackTemplate],
) -> None:
    queue = copy.deepcopy(dict(stacks[0].template)["Resources"]["FailureQueue7A2B3C4D"])
    queue["Properties"]["KmsMasterKeyId"] = {
        "Fn::GetAtt": ["QueueKey1A2B3C4D", "KeyId"]
    }
    changed = _with_resource(stacks, NOTIFICATION, "FailureQueue7A2B3C4D", queue)
    described = describe_stage(changed, ACCOUNT)
    assert "KmsMasterKeyId" not in described.queues["FailureQueue"].attributes
