"""cdk-nag's AwsSolutions rules find nothing unacknowledged, and every
acknowledgement states its reason."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_sqs as sqs

from infra.nag import acknowledge, unacknowledged_findings
from tests.infra.conftest import Synthesize

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("stage", ["local", "dev", "prd"])
def test_app_has_no_unacknowledged_findings(synthesize: Synthesize, stage: str) -> None:
    app = synthesize(stage).app

    assert unacknowledged_findings(app) == []


def test_findings_are_reported_when_not_acknowledged() -> None:
    app = App()
    stack = Stack(app, "Bare")
    sqs.Queue(stack, "Queue", enforce_ssl=True)

    findings = unacknowledged_findings(app)

    assert findings == [
        "AwsSolutions-SQS3 at Bare/Queue/Resource: The SQS queue is not used as a "
        "dead-letter queue (DLQ) and does not have a DLQ enabled."
    ]


def test_every_acknowledgement_carries_a_reason(synthesize: Synthesize) -> None:
    app = synthesize("dev").app
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY

    acknowledged = {
        rule: reason
        for construct in app.node.find_all()
        for entry in construct.node.metadata
        if entry.type == key
        for rule, reason in entry.data.items()
    }

    assert {rule.split("::", 1)[1].split("[")[0] for rule in acknowledged} == {
        "AwsSolutions-APIG2",
        "AwsSolutions-APIG3",
        "AwsSolutions-COG4",
        "AwsSolutions-IAM4",
        "AwsSolutions-IAM5",
        "AwsSolutions-L1",
        "AwsSolutions-SQS3",
    }
    assert all(len(reason) > 40 for reason in acknowledged.values())


def test_acknowledging_without_a_reason_is_refused() -> None:
    app = App()

    with pytest.raises(
        ValueError, match=r"^acknowledging AwsSolutions-SQS3 needs a reason$"
    ):
        acknowledge(app, "AwsSolutions-SQS3", "  ")
