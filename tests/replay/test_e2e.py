"""Replay on the local stage: the real services, Lambda's async retries, moto.

One stage runs for the whole module, built from the synthesized CDK app. Events
are handed to the real Notification function while a fault makes every attempt
fail, so Lambda's retries run out and its on-failure records land in the
failure queue; replay then runs against the stage's outputs file, as an operator
would. Notifications are counted through an SQS queue subscribed to the topic.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from rich.console import Console

from infra.local.aws import subscribe_queue
from infra.local.stage import (
    LocalStage,
    StageOptions,
    StageOutputs,
    synthesize_templates,
)
from infra.replay import (
    LambdaHandoff,
    Outcome,
    ReplayOptions,
    ReplayReport,
    SqsFailureQueue,
    find_target,
    replay,
)
from infra.replay.cli import EXIT_OK, main
from tests.e2e.support import reset_faults, set_faults, wait_for, wait_until_idle
from tests.replay.fakes import has_row, listed
from tests.replay.messages import body, failure_record, handoff_event

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

pytestmark = pytest.mark.e2e

NOTIFICATION_FUNCTION = "NotificationFunction"
# Lambda's schedule (1 and 2 minutes between attempts) scaled down a hundredfold.
TIME_FACTOR = 0.01


class Stage:
    """The running local stage and the clients a test needs."""

    def __init__(self, outputs: StageOutputs, outputs_file: Path) -> None:
        self.outputs = outputs
        self.outputs_file = outputs_file
        target = find_target("local", outputs_file=outputs_file)
        self.failure_queue_url = target.failure_queue_url
        self.function = target.notification_function
        self.sqs: SQSClient = target.sqs_client()
        self.lambda_: LambdaClient = target.lambda_client()
        (topic,) = outputs.topics.values()
        self.notifications_url = subscribe_queue(
            outputs.aws_endpoint_url,
            outputs.region,
            topic["arn"],
            "replay-e2e-notifications",
        )

    def hand_off(self, *events: dict[str, Any]) -> None:
        """Invoke the Notification function as the Task Service does."""
        for event in events:
            answer = self.lambda_.invoke(
                FunctionName=self.function,
                InvocationType="Event",
                Payload=json.dumps(event).encode(),
            )
            assert answer["StatusCode"] == 202

    def queued(self, url: str) -> tuple[int, int]:
        """(visible, in flight) messages of a queue."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        return (
            int(attributes["ApproximateNumberOfMessages"]),
            int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        )

    def wait_for_failure_records(self, count: int) -> None:
        def arrived() -> bool | None:
            return self.queued(self.failure_queue_url)[0] >= count or None

        wait_for(arrived, what=f"{count} failure records")

    def drain(self, url: str) -> list[str]:
        """Receive and delete every visible message of a queue; return the bodies."""
        bodies: list[str] = []
        while messages := self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10
        ).get("Messages"):
            for message in messages:
                bodies.append(message["Body"])
                self.sqs.delete_message(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"]
                )
        return bodies

    def notified_event_ids(self) -> Counter[str]:
        """How often each event id was announced, draining the subscribed queue."""
        wait_until_idle(self.outputs)
        return Counter(
            json.loads(text)["eventId"] for text in self.drain(self.notifications_url)
        )

    def replay(self, **options: Any) -> ReplayReport:
        """Run replay through the Python API, as the drill engine does."""
        return replay(
            SqsFailureQueue(self.sqs, self.failure_queue_url),
            LambdaHandoff(self.lambda_, self.function),
            ReplayOptions(**options),
        )

    def run_cli(self, *argv: str) -> tuple[int, str]:
        output = io.StringIO()
        console = Console(file=output, width=320, color_system=None)
        status = main(["--outputs", str(self.outputs_file), *argv], console=console)
        return status, output.getvalue()


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    options = StageOptions(time_factor=TIME_FACTOR)
    with LocalStage(
        synthesize_templates(), options, sink=lambda _key, _line: None
    ) as outputs:
        outputs_file = tmp_path_factory.mktemp("local-stage") / "outputs.json"
        outputs.write(outputs_file)
        yield Stage(outputs, outputs_file)


@pytest.fixture(autouse=True)
def _fresh_queues(stage: Stage) -> Iterator[None]:
    yield
    reset_faults(stage.outputs)
    wait_until_idle(stage.outputs)
    # PurgeQueue may run once a minute only; deleting message by message may not.
    stage.drain(stage.failure_queue_url)
    stage.drain(stage.notifications_url)


def exhaust_retries(stage: Stage, *events: dict[str, Any]) -> None:
    """Hand ``events`` off while every attempt fails, until Lambda gives up."""
    set_faults(stage.outputs, NOTIFICATION_FUNCTION, fail_rate=1.0)
    stage.hand_off(*events)
    stage.wait_for_failure_records(len(events))
    wait_until_idle(stage.outputs)
    reset_faults(stage.outputs)


def test_exhausted_events_are_replayed_after_the_fault_and_delivered_once(
    stage: Stage,
) -> None:
    events = [handoff_event(kind) for kind in ("task.created", "task.completed")]
    events.append(handoff_event("task.deleted"))
    exhaust_retries(stage, *events)
    assert stage.notified_event_ids() == Counter()

    status, output = stage.run_cli()

    assert status == EXIT_OK
    assert has_row(output, "replayed", "3")
    assert has_row(output, "kept", "0")
    assert stage.notified_event_ids() == Counter({event["id"]: 1 for event in events})
    assert stage.queued(stage.failure_queue_url) == (0, 0)

    again = stage.replay()

    assert again.messages == []


def test_an_event_replayed_twice_is_announced_once(stage: Stage) -> None:
    event = handoff_event("task.updated")
    exhaust_retries(stage, event)
    assert [m.outcome for m in stage.replay().messages] == [Outcome.REPLAYED]
    assert stage.notified_event_ids() == Counter({event["id"]: 1})

    # The same event comes back, e.g. from a copy a dead-letter queue still held.
    stage.sqs.send_message(QueueUrl=stage.failure_queue_url, MessageBody=body(event))
    second = stage.replay()

    assert [m.outcome for m in second.messages] == [Outcome.REPLAYED]
    assert stage.notified_event_ids() == Counter()


def test_an_invalid_record_is_kept_and_reported(stage: Stage) -> None:
    invalid_event = {**handoff_event(), "priority": "high"}
    # The real Notification Service parks an invalid event itself (EventRejected).
    stage.hand_off(invalid_event)
    stage.wait_for_failure_records(1)
    stage.sqs.send_message(
        QueueUrl=stage.failure_queue_url,
        MessageBody=body(failure_record(invalid_event, "RetriesExhausted")),
    )

    status, output = stage.run_cli()

    assert status == EXIT_OK
    assert has_row(output, "replayed", "0")
    assert has_row(output, "kept", "2")
    assert listed(
        output,
        "kept",
        "RetriesExhausted",
        "task.created",
        invalid_event["id"],
        "requestPayload is not a valid handoff event: priority: Extra inputs are "
        "not permitted",
    )
    # The reason quotes the Notification Service's own words, which are its to choose.
    assert re.search(
        re.escape(f"kept EventRejected task.created event {invalid_event['id']} ")
        + r"\(message [^)]+\)\s+condition EventRejected: the Notification Service "
        r"rejected the event as invalid \(.*priority",
        output,
    )
    assert stage.queued(stage.failure_queue_url) == (2, 0)
    assert stage.notified_event_ids() == Counter()


def test_a_dry_run_changes_nothing(stage: Stage) -> None:
    events = [handoff_event(), handoff_event("task.deleted")]
    exhaust_retries(stage, *events)

    status, output = stage.run_cli("--dry-run")

    assert status == EXIT_OK
    assert has_row(output, "would replay", "2")
    for event in events:
        assert listed(
            output, "would replay", "RetriesExhausted", event["type"], event["id"], "-"
        )
    assert stage.queued(stage.failure_queue_url) == (2, 0)
    assert stage.notified_event_ids() == Counter()

    # Everything is still there for the real run.
    assert [m.outcome for m in stage.replay().messages] == [Outcome.REPLAYED] * 2
