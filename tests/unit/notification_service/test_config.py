"""The environment is checked on the cold start; a bad variable is named."""

from __future__ import annotations

from typing import Any

import pytest
from notification_service.config import Settings, load_settings
from notification_service.errors import ConfigurationError
from notification_service.handler import handle_handoff_event

from tests.factories import handoff_event

from .conftest import FakeAccount, FakeLambdaContext
from .test_delivery import metric_names

TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:notifications"
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/failures"
ENVIRONMENT = {
    "IDEMPOTENCY_TABLE_NAME": "idempotency",
    "IDEMPOTENCY_EXPIRY_SECONDS": "1317600",
    "NOTIFICATION_TOPIC_ARN": TOPIC_ARN,
    "FAILURE_QUEUE_URL": QUEUE_URL,
    "POWERTOOLS_SERVICE_NAME": "notification-service",
    "POWERTOOLS_METRICS_NAMESPACE": "InternalHandoff",
}


def test_complete_environment_loads() -> None:
    assert load_settings(ENVIRONMENT) == Settings(
        idempotency_table_name="idempotency",
        idempotency_expiry_seconds=1_317_600,
        notification_topic_arn=TOPIC_ARN,
        failure_queue_url=QUEUE_URL,
        metrics_namespace="InternalHandoff",
    )


def test_service_name_may_be_left_to_the_code() -> None:
    environment = {**ENVIRONMENT}
    del environment["POWERTOOLS_SERVICE_NAME"]

    assert load_settings(environment).idempotency_table_name == "idempotency"


@pytest.mark.parametrize(
    "name",
    [
        "IDEMPOTENCY_TABLE_NAME",
        "IDEMPOTENCY_EXPIRY_SECONDS",
        "NOTIFICATION_TOPIC_ARN",
        "FAILURE_QUEUE_URL",
        "POWERTOOLS_METRICS_NAMESPACE",
    ],
)
@pytest.mark.parametrize("absence", ["missing", "blank"])
def test_missing_variable_is_named(name: str, absence: str) -> None:
    environment = {**ENVIRONMENT}
    if absence == "missing":
        del environment[name]
    else:
        environment[name] = "  "

    with pytest.raises(ConfigurationError) as raised:
        load_settings(environment)

    assert str(raised.value) == (
        f"Environment variable {name} is not set; the stack must define it."
    )


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("IDEMPOTENCY_EXPIRY_SECONDS", "0", "must be a positive whole number"),
        ("IDEMPOTENCY_EXPIRY_SECONDS", "-3600", "must be a positive whole number"),
        ("IDEMPOTENCY_EXPIRY_SECONDS", "3600.5", "must be a positive whole number"),
        ("IDEMPOTENCY_EXPIRY_SECONDS", "15d", "must be a positive whole number"),
        ("IDEMPOTENCY_EXPIRY_SECONDS", "1_317_600", "must be a positive whole number"),
        ("NOTIFICATION_TOPIC_ARN", "notifications", "must be an SNS topic ARN"),
        (
            "NOTIFICATION_TOPIC_ARN",
            "arn:aws:sqs:eu-west-1:123456789012:failures",
            "must be an SNS topic ARN",
        ),
        ("FAILURE_QUEUE_URL", "failures", "must be an SQS queue URL"),
        (
            "POWERTOOLS_SERVICE_NAME",
            "task-service",
            "must be 'notification-service'",
        ),
    ],
)
def test_malformed_variable_is_named_with_its_rule(
    name: str, value: str, rule: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings({**ENVIRONMENT, name: value})

    assert str(raised.value) == f"Environment variable {name} {rule}, got {value!r}."


def test_cold_start_with_a_bad_variable_raises_for_a_retry(
    account: FakeAccount,
    context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
    metrics_emitted: Any,
) -> None:
    monkeypatch.delenv("NOTIFICATION_TOPIC_ARN")

    with pytest.raises(ConfigurationError, match="NOTIFICATION_TOPIC_ARN"):
        handle_handoff_event(handoff_event(), context)

    assert account.published() == []
    assert account.parked() == []
    assert metric_names(metrics_emitted()) == ["TransientFailures"]
