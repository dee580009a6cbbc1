"""A stand-in Notification function: publishes each event, or fails on request."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import boto3

from tests.e2e.fake_services import environment_report

_sns = boto3.client("sns")
invocations = 0

# The variables Lambda itself sets in every execution environment.
LAMBDA_VARIABLES = (
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "TZ",
)


def handle_handoff_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global invocations  # noqa: PLW0603 - module state is what the test observes
    invocations += 1
    if event.get("probe") == "environment":
        return {
            **environment_report(context, invocations),
            "remainingMillis": context.get_remaining_time_in_millis(),
        }
    if event.get("probe") == "lambda-environment":
        return {name: os.environ.get(name) for name in LAMBDA_VARIABLES}
    if "sleep" in event:
        time.sleep(float(event["sleep"]))
    if event.get("fail"):
        raise RuntimeError(f"asked to fail: {event['fail']}")
    _sns.publish(
        TopicArn=os.environ["NOTIFICATION_TOPIC_ARN"], Message=json.dumps(event)
    )
    return {"published": event.get("id")}
