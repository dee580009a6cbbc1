"""Configuration: validated at a container's first invocation, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from task_service.config import (
    DEFAULT_EVENT_SOURCE,
    ConfigurationError,
    ReadConfig,
    WriteConfig,
)
from task_service.handlers import handle_read_request, handle_write_request

from tests.unit.task_service.support import UNKNOWN_ID, FakeContext, api_event

ROOT = Path(__file__).resolve().parents[3]

WRITE_ENVIRONMENT = {
    "TASKS_TABLE_NAME": "tasks",
    "NOTIFICATION_FUNCTION_NAME": "notification-service",
    "FAILURE_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/failures",
    "POWERTOOLS_METRICS_NAMESPACE": "InternalHandoff",
}


def test_the_write_configuration_reads_every_variable() -> None:
    config = WriteConfig.from_environ(
        WRITE_ENVIRONMENT | {"EVENT_SOURCE": "/acme/tasks"}
    )

    assert config == WriteConfig(
        tasks_table_name="tasks",
        notification_function_name="notification-service",
        failure_queue_url="https://sqs.eu-west-1.amazonaws.com/123456789012/failures",
        event_source="/acme/tasks",
        metrics_namespace="InternalHandoff",
    )


def test_the_event_source_has_a_default() -> None:
    assert (
        WriteConfig.from_environ(WRITE_ENVIRONMENT).event_source == DEFAULT_EVENT_SOURCE
    )


def test_a_function_arn_is_a_valid_handoff_target() -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:notification-service:live"

    config = WriteConfig.from_environ(
        WRITE_ENVIRONMENT | {"NOTIFICATION_FUNCTION_NAME": arn}
    )

    assert config.notification_function_name == arn


@pytest.mark.parametrize("variable", sorted(WRITE_ENVIRONMENT))
@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_write_variable_is_named(variable: str, value: str | None) -> None:
    environ = dict(WRITE_ENVIRONMENT)
    if value is None:
        del environ[variable]
    else:
        environ[variable] = value

    with pytest.raises(
        ConfigurationError, match=f"^Environment variable {variable} is missing"
    ):
        WriteConfig.from_environ(environ)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TASKS_TABLE_NAME", "my table"),
        ("TASKS_TABLE_NAME", "ab"),
        ("NOTIFICATION_FUNCTION_NAME", "notify me"),
        ("FAILURE_QUEUE_URL", "failures"),
        ("EVENT_SOURCE", "/" + "x" * 200),
    ],
)
def test_a_malformed_variable_is_named(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        WriteConfig.from_environ(WRITE_ENVIRONMENT | {variable: value})

    assert raised.value.variable == variable
    assert str(raised.value).startswith(f"Environment variable {variable} ")


def test_the_message_says_what_to_set() -> None:
    with pytest.raises(ConfigurationError) as raised:
        ReadConfig.from_environ({})

    assert str(raised.value) == (
        "Environment variable TASKS_TABLE_NAME is missing or empty; "
        "set it to the tasks table's name."
    )


def test_the_read_function_needs_only_the_table(
    aws: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in (
        "NOTIFICATION_FUNCTION_NAME",
        "FAILURE_QUEUE_URL",
        "POWERTOOLS_METRICS_NAMESPACE",
    ):
        monkeypatch.delenv(variable, raising=False)

    response = handle_read_request(
        api_event("GET", f"/tasks/{UNKNOWN_ID}"), FakeContext()
    )

    assert response["statusCode"] == 404


def test_a_cold_start_without_the_table_fails_naming_it(
    aws: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TASKS_TABLE_NAME")

    with pytest.raises(ConfigurationError, match="TASKS_TABLE_NAME"):
        handle_read_request(api_event("GET", "/tasks"), FakeContext())


def test_a_write_cold_start_without_the_target_fails_naming_it(
    aws: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTIFICATION_FUNCTION_NAME")

    with pytest.raises(ConfigurationError, match="NOTIFICATION_FUNCTION_NAME"):
        handle_write_request(
            api_event("POST", "/tasks", body={"title": "a"}), FakeContext()
        )


def test_importing_the_handlers_needs_no_configuration_and_no_aws() -> None:
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TASKS_", "NOTIFICATION_", "FAILURE_", "AWS_"))
    }
    script = (
        "import task_service.handlers as h, task_service.wiring as w;"
        "assert w.dynamodb_client.cache_info().currsize == 0"
    )

    completed = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environ | {"PYTHONPATH": os.pathsep.join(["services", "."])},
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
