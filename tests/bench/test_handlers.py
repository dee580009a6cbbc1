"""The benchmark's handler wrappers: the handoff switch and the template rewrite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from bench import handlers
from bench.handlers import WRAPPERS, handoff_requested_off
from bench.stage import BenchError, instrument
from infra.local.templates import StackTemplate

# Nothing listens there: a call that reached the network would fail.
UNREACHABLE = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("headers", "off"),
    [
        ({"X-Bench-Handoff": "off"}, True),
        ({"x-bench-handoff": "OFF"}, True),
        ({"X-Bench-Handoff": "on"}, False),
        ({"Content-Type": "application/json"}, False),
        (None, False),
    ],
)
def test_handoff_switch_reads_its_header_in_any_case(
    headers: dict[str, str] | None, off: bool
) -> None:
    assert handoff_requested_off({"headers": headers}) is off


@pytest.fixture
def lambda_client() -> Iterator[Any]:
    client = boto3.client(
        "lambda",
        endpoint_url=UNREACHABLE,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )
    client.meta.events.register(
        "before-call.lambda.Invoke",
        handlers._accept_without_sending,  # type: ignore[arg-type] # may answer
    )
    yield client
    client.close()


def test_switched_off_invoke_is_accepted_without_sending(lambda_client: Any) -> None:
    token = handlers._skip_handoff.set(True)
    try:
        answer = lambda_client.invoke(
            FunctionName="notify", InvocationType="Event", Payload=b"{}"
        )
    finally:
        handlers._skip_handoff.reset(token)
    assert answer["StatusCode"] == 202


def test_switched_on_invoke_goes_to_the_network(lambda_client: Any) -> None:
    with pytest.raises(Exception, match="Could not connect to the endpoint URL"):
        lambda_client.invoke(
            FunctionName="notify", InvocationType="Event", Payload=b"{}"
        )


def _function(handler: str) -> dict[str, Any]:
    return {"Type": "AWS::Lambda::Function", "Properties": {"Handler": handler}}


def test_instrument_points_every_service_handler_at_its_wrapper() -> None:
    resources = {f"F{i}": _function(handler) for i, handler in enumerate(WRAPPERS)}
    original = StackTemplate("Stack", {"Resources": resources})
    (copy,) = instrument([original])
    handlers_now = [
        resource["Properties"]["Handler"]
        for resource in copy.template["Resources"].values()
    ]
    assert handlers_now == list(WRAPPERS.values())
    # The original templates are left as they were.
    assert original.template["Resources"]["F0"]["Properties"]["Handler"] in WRAPPERS


def test_instrument_refuses_templates_without_the_services() -> None:
    stack = StackTemplate("Stack", {"Resources": {"F": _function("other.handler")}})
    with pytest.raises(BenchError, match="the templates have no function with handler"):
        instrument([stack])
