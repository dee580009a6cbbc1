"""The local stage's machinery, on the fixture assembly and tiny stand-in handlers.

These tests start the stage in this process (``LocalStage``), with templates
written by hand in the CDK's shape, and check the Lambda runtime, the Invoke API,
the gateway's edges and the start-up errors independently of the real services.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from infra.local.cli import EXIT_PORT_IN_USE, main
from infra.local.errors import PortInUseError
from infra.local.runtime import REPO_ROOT, task_root
from infra.local.stage import LocalStage, StageOptions, StageOutputs, read_assembly
from tests.e2e.support import Answer, call, reset_faults, set_faults, wait_for
from tests.schema_support import errors_for

pytestmark = pytest.mark.e2e

FIXTURE = Path(__file__).parent / "fixture_assembly"


@pytest.fixture(scope="module")
def stage() -> Iterator[StageOutputs]:
    lines: list[str] = []
    options = StageOptions(time_factor=0.005)
    with LocalStage(
        read_assembly(FIXTURE), options, sink=lambda key, line: lines.append(line)
    ) as outputs:
        yield outputs


@pytest.fixture(autouse=True)
def _no_faults(stage: StageOutputs) -> Iterator[None]:
    yield
    reset_faults(stage)


@pytest.fixture
def lambda_client(stage: StageOutputs) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=stage.lambda_endpoint_url,
        region_name=stage.region,
        config=Config(retries={"total_max_attempts": 1}),
    )


def invoke(client: Any, function: str, event: Any) -> tuple[dict[str, Any], Any]:
    answer = client.invoke(FunctionName=function, Payload=json.dumps(event).encode())
    return answer, json.loads(answer["Payload"].read())


def test_sync_invoke_runs_the_handler_with_a_lambda_context(
    stage: StageOutputs, lambda_client: Any
) -> None:
    name = stage.functions["NotificationFunction"]["name"]
    answer, payload = invoke(lambda_client, name, {"probe": "environment"})
    assert answer["StatusCode"] == 200
    assert "FunctionError" not in answer
    assert payload["functionName"] == name
    assert 9000 < payload["remainingMillis"] <= 10000


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (
            "NotificationFunction",
            {
                "POWERTOOLS_SERVICE_NAME": "notification-service",
                "TASKS_TABLE_NAME": None,
                "STACK_AND_REGION": "handoff-local-notification in us-east-1",
            },
        ),
        (
            "TaskReadFunction",
            {
                "POWERTOOLS_SERVICE_NAME": "task-service",
                "TASKS_TABLE_NAME": "handoff-local-task-tasks",
                "STACK_AND_REGION": None,
            },
        ),
    ],
)
def test_each_function_sees_only_its_own_environment(
    stage: StageOutputs, lambda_client: Any, function: str, expected: dict[str, Any]
) -> None:
    _, payload = invoke(lambda_client, function, {"probe": "environment"})
    assert payload["environment"] == expected


def test_worker_sees_the_variables_lambda_sets(
    stage: StageOutputs, lambda_client: Any
) -> None:
    name = stage.functions["NotificationFunction"]["name"]
    _, payload = invoke(lambda_client, name, {"probe": "lambda-environment"})
    assert payload == {
        "LAMBDA_TASK_ROOT": str(REPO_ROOT),
        "LAMBDA_RUNTIME_DIR": str(REPO_ROOT / "infra" / "local"),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local/[$LATEST]NotificationFunction",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TZ": ":UTC",
    }


@pytest.mark.parametrize(
    ("handler", "root"),
    [
        ("task_service.handlers.handle_read_request", REPO_ROOT / "services"),
        ("notification_service.handler.handle_handoff_event", REPO_ROOT / "services"),
        ("tests.e2e.fake_services.tasks.handle_read_request", REPO_ROOT),
        ("no_such_package.handler", REPO_ROOT / "services"),
    ],
)
def test_task_root_is_the_folder_the_handler_is_imported_from(
    handler: str, root: Path
) -> None:
    assert task_root(handler) == root


def test_warm_worker_keeps_module_state_between_invocations(lambda_client: Any) -> None:
    _, first = invoke(lambda_client, "TaskReadFunction", {"probe": "environment"})
    _, second = invoke(lambda_client, "TaskReadFunction", {"probe": "environment"})
    assert second["invocations"] == first["invocations"] + 1


def test_handler_exception_comes_back_as_an_unhandled_function_error(
    lambda_client: Any,
) -> None:
    answer, payload = invoke(lambda_client, "NotificationFunction", {"fail": "yes"})
    assert answer["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "RuntimeError"
    assert payload["errorMessage"] == "asked to fail: yes"
    assert "in handle_handoff_event" in payload["stackTrace"][-1]


def test_injected_timeout_kills_the_worker_so_the_next_invoke_starts_cold(
    stage: StageOutputs, lambda_client: Any
) -> None:
    invoke(lambda_client, "NotificationFunction", {"probe": "environment"})
    set_faults(stage, "NotificationFunction", timeout_first=1)

    answer, payload = invoke(lambda_client, "NotificationFunction", {"probe": "x"})
    _, after = invoke(lambda_client, "NotificationFunction", {"probe": "environment"})

    assert answer["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert payload["errorMessage"].endswith("Task timed out after 0.05 seconds")
    assert after["invocations"] == 1


def test_unknown_function_is_resource_not_found(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as raised:
        lambda_client.invoke(FunctionName="missing", Payload=b"{}")
    assert raised.value.response["Error"]["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:missing"
    )


def test_refused_invoke_is_too_many_requests(
    stage: StageOutputs, lambda_client: Any
) -> None:
    set_faults(stage, "NotificationFunction", throttle=True)
    with pytest.raises(lambda_client.exceptions.TooManyRequestsException) as raised:
        lambda_client.invoke(
            FunctionName="NotificationFunction", InvocationType="Event", Payload=b"{}"
        )
    assert raised.value.response["Error"]["Message"] == "Rate Exceeded."
    assert raised.value.response["Reason"] == (
        "ReservedFunctionConcurrentInvocationLimitExceeded"
    )


@pytest.mark.parametrize(
    ("invocation_type", "status"), [("Event", 202), ("DryRun", 204)]
)
def test_event_and_dry_run_invokes_answer_without_a_result(
    lambda_client: Any, invocation_type: str, status: int
) -> None:
    answer = lambda_client.invoke(
        FunctionName="TaskReadFunction",
        InvocationType=invocation_type,
        Payload=b'{"probe": "environment"}',
    )
    assert answer["StatusCode"] == status
    assert answer["Payload"].read() == b""


def test_payload_that_is_not_json_is_rejected(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.InvalidRequestContentException):
        lambda_client.invoke(FunctionName="TaskReadFunction", Payload=b"{not json")


def test_failing_async_event_becomes_one_failure_record(stage: StageOutputs) -> None:
    sqs = boto3.client(
        "sqs", endpoint_url=stage.aws_endpoint_url, region_name=stage.region
    )
    queue_url = stage.queues["FailureQueue"]["url"]
    client = boto3.client(
        "lambda", endpoint_url=stage.lambda_endpoint_url, region_name=stage.region
    )
    client.invoke(
        FunctionName="NotificationFunction",
        InvocationType="Event",
        Payload=json.dumps({"fail": "always"}).encode(),
    )

    def one_message() -> dict[str, Any] | None:
        messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)
        found = messages.get("Messages")
        return json.loads(found[0]["Body"]) if found else None

    record = wait_for(one_message, what="the failure record")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"fail": "always"}
    assert record["responsePayload"]["errorMessage"] == "asked to fail: always"
    assert errors_for("failure-record.json", record) == []


def test_gateway_builds_a_rest_proxy_event(stage: StageOutputs) -> None:
    answer = call(
        "GET", f"{stage.api_url}tasks?tag=a&tag=b&q=x", headers={"X-Trace": "t1"}
    )
    event = answer.body["event"]
    assert answer.status == 200
    assert (event["resource"], event["path"], event["httpMethod"]) == (
        "/tasks",
        "/tasks",
        "GET",
    )
    assert event["queryStringParameters"] == {"tag": "b", "q": "x"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "q": ["x"]}
    assert event["headers"]["X-Trace"] == "t1"
    assert event["pathParameters"] is None
    assert event["requestContext"]["stage"] == "local"
    assert event["requestContext"]["resourcePath"] == "/tasks"
    assert event["body"] is None


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("GET", "nowhere", 404, "No resource matches /nowhere."),
        ("PATCH", "tasks/abc", 405, "Method PATCH is not allowed on /tasks/abc."),
    ],
)
def test_gateway_answers_unknown_routes_in_the_error_shape(
    stage: StageOutputs, method: str, path: str, status: int, message: str
) -> None:
    answer = call(method, f"{stage.api_url}{path}")
    assert answer.status == status
    assert answer.body["message"] == message
    assert errors_for("error-response.json", answer.body) == []


def test_method_not_allowed_lists_the_allowed_methods(stage: StageOutputs) -> None:
    answer = call("PATCH", f"{stage.api_url}tasks/abc")
    assert answer.headers["allow"] == "DELETE, GET"


def raw_request(stage: StageOutputs, method: str, path: str) -> Answer:
    """One request through ``http.client``, which sends any method token as is."""
    url = urlsplit(stage.api_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=60)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        body = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return Answer(response.status, headers, json.loads(body))
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("TRACE", "/tasks", "GET, POST"),
        ("CONNECT", "/tasks", "GET, POST"),
        ("PROPFIND", "/tasks/abc", "DELETE, GET"),
        ("BREW", "/tasks/abc", "DELETE, GET"),
        ("PATCH", "/tasks", "GET, POST"),
    ],
)
def test_undeclared_method_is_405_in_the_error_shape(
    stage: StageOutputs, method: str, path: str, allow: str
) -> None:
    answer = raw_request(stage, method, path)
    assert (answer.status, answer.headers["allow"]) == (405, allow)
    assert answer.headers["content-type"] == "application/json"
    assert answer.body["message"] == f"Method {method} is not allowed on {path}."
    assert errors_for("error-response.json", answer.body) == []


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "GET"])
def test_unknown_path_is_404_in_the_error_shape_for_any_method(
    stage: StageOutputs, method: str
) -> None:
    answer = raw_request(stage, method, "/nowhere")
    assert answer.status == 404
    assert "allow" not in answer.headers
    assert answer.body["message"] == "No resource matches /nowhere."
    assert errors_for("error-response.json", answer.body) == []


def test_request_http_server_refuses_is_answered_in_the_error_shape(
    stage: StageOutputs,
) -> None:
    answer = raw_request(stage, "GET", "/" + "a" * 70_000)
    assert (answer.status, answer.headers["connection"]) == (414, "close")
    assert answer.body["message"] == "Request-URI Too Long"
    assert errors_for("error-response.json", answer.body) == []


def test_taken_port_is_reported_with_its_option() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        stage = LocalStage(
            read_assembly(FIXTURE), StageOptions(api_port=port, warm=False)
        )
        with pytest.raises(PortInUseError) as raised:
            stage.start()
    assert str(raised.value) == (
        f"Port {port} on 127.0.0.1 is already in use, so the API gateway cannot "
        "start. Stop whatever listens there, or choose another port with "
        "--api-port (0 picks a free one)."
    )


def test_command_exits_with_2_when_a_port_is_taken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        code = main(
            [
                "--assembly",
                str(FIXTURE),
                "--aws-port",
                str(port),
                "--outputs",
                str(tmp_path / "outputs.json"),
            ]
        )
    assert code == EXIT_PORT_IN_USE
    assert f"Port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err
    assert not (tmp_path / "outputs.json").exists()
