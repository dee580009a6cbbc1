"""The command line: options, the summary, the listing and the exit status."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import boto3
import pytest
from moto import mock_aws
from rich.console import Console

from infra.replay import cli
from infra.replay.errors import StageLookupError
from infra.replay.targets import ReplayTarget
from tests.replay.fakes import FakeLambda, has_row, listed, visible_bodies
from tests.replay.messages import body, failure_record, handoff_event

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

FUNCTION = "notification-function"


@dataclass(frozen=True)
class FakeLambdaTarget(ReplayTarget):
    """A target whose Lambda client is a fake; moto's Lambda when there is none."""

    fake: FakeLambda | None = None

    def lambda_client(self) -> LambdaClient:
        if self.fake is None:
            return super().lambda_client()
        return cast("LambdaClient", self.fake)


@pytest.fixture
def sqs() -> Iterator[SQSClient]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def queue_url(sqs: SQSClient) -> str:
    return sqs.create_queue(QueueName="failure-queue")["QueueUrl"]


def use_target(
    monkeypatch: pytest.MonkeyPatch, queue_url: str, fake: FakeLambda | None
) -> None:
    target = FakeLambdaTarget(
        stage="local",
        region="us-east-1",
        failure_queue_url=queue_url,
        notification_function=FUNCTION,
        session=boto3.Session(),
        fake=fake,
    )
    monkeypatch.setattr(cli, "find_target", lambda *_a, **_k: target)


def run(*argv: str) -> tuple[int, str]:
    output = io.StringIO()
    console = Console(file=output, width=320, color_system=None)
    status = cli.main(list(argv), console=console)
    return status, output.getvalue()


def test_a_clean_run_prints_the_summary_and_exits_zero(
    monkeypatch: pytest.MonkeyPatch, sqs: SQSClient, queue_url: str
) -> None:
    event = handoff_event("task.deleted")
    sqs.send_message(QueueUrl=queue_url, MessageBody=body(failure_record(event)))
    sqs.send_message(
        QueueUrl=queue_url, MessageBody=body(handoff_event("task.created"))
    )
    sqs.send_message(QueueUrl=queue_url, MessageBody="{}")
    use_target(monkeypatch, queue_url, FakeLambda())

    status, output = run("--type", "task.deleted")

    assert status == cli.EXIT_OK
    assert f"Replaying {queue_url} to {FUNCTION} (stage local)" in output
    for outcome, count in (("replayed", 1), ("failed", 0), ("skipped", 1), ("kept", 1)):
        assert has_row(output, outcome, str(count)), outcome
    assert listed(
        output,
        "kept",
        "-",
        "-",
        "-",
        "unknown shape: neither a failure record (requestContext, requestPayload) "
        "nor a handoff event (specversion, type)",
    )
    assert "skipped DeadLetter" not in output  # skipped ones are only counted


def test_a_failed_handoff_is_listed_and_exits_non_zero(
    monkeypatch: pytest.MonkeyPatch, sqs: SQSClient, queue_url: str
) -> None:
    event = handoff_event()
    sqs.send_message(QueueUrl=queue_url, MessageBody=body(event))
    use_target(monkeypatch, queue_url, fake=None)  # moto's Lambda has no such function

    status, output = run()

    assert status == cli.EXIT_FAILED
    assert has_row(output, "failed", "1")
    assert listed(
        output,
        "failed",
        "DeadLetter",
        "task.created",
        event["id"],
        "invoke refused: ResourceNotFoundException: Function not found: "
        f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}",
    )
    assert visible_bodies(sqs, queue_url) == [body(event)]


def test_a_dry_run_lists_what_would_be_replayed(
    monkeypatch: pytest.MonkeyPatch, sqs: SQSClient, queue_url: str
) -> None:
    record = failure_record(handoff_event(), "HandoffRefused")
    sqs.send_message(QueueUrl=queue_url, MessageBody=body(record))
    fake = FakeLambda()
    use_target(monkeypatch, queue_url, fake)

    status, output = run("--dry-run", "--condition", "HandoffRefused", "DeadLetter")

    assert status == cli.EXIT_OK
    assert "(dry run: nothing is invoked or deleted)" in output
    assert has_row(output, "would replay", "1")
    assert listed(
        output,
        "would replay",
        "HandoffRefused",
        "task.created",
        record["requestPayload"]["id"],
        "-",
    )
    assert fake.invocations == []
    assert visible_bodies(sqs, queue_url) == [body(record)]


def test_a_stage_that_cannot_be_found_exits_with_usage_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(*_args: object, **_kwargs: object) -> ReplayTarget:
        raise StageLookupError("the outputs file /x does not exist")

    monkeypatch.setattr(cli, "find_target", missing)

    status, output = run("--outputs", "/x")

    assert status == cli.EXIT_USAGE
    assert output == "error: the outputs file /x does not exist\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--limit", "0"],
            "argument --limit: must be a whole number of 1 or more: '0'",
        ),
        (["--rate", "-1"], "argument --rate: must be a number above 0: '-1'"),
        (
            ["--type", "task.exploded"],
            "argument --type: invalid choice: 'task.exploded'",
        ),
        (
            ["--condition", "Throttled"],
            "argument --condition: invalid choice: 'Throttled'",
        ),
        (["--stage", "staging"], "argument --stage: invalid choice: 'staging'"),
    ],
)
def test_bad_options_are_refused(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)

    assert exited.value.code == cli.EXIT_USAGE
    assert message in capsys.readouterr().err


def test_options_are_parsed_as_given() -> None:
    arguments = cli.build_parser().parse_args(
        [
            "--type",
            "task.created",
            "--type",
            "task.updated",
            "--condition",
            "RetriesExhausted",
            "--limit",
            "5",
            "--rate",
            "2.5",
            "--replay-rejected",
            "--outputs",
            "o.json",
            "--stage",
            "dev",
        ]
    )

    assert arguments.event_types == ["task.created", "task.updated"]
    assert arguments.origins == ["RetriesExhausted"]
    assert (arguments.limit, arguments.rate, arguments.replay_rejected) == (
        5,
        2.5,
        True,
    )
    assert (arguments.outputs, arguments.stage) == (Path("o.json"), "dev")


def test_an_unreadable_queue_stops_the_run_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, sqs: SQSClient
) -> None:
    missing = "https://sqs.us-east-1.amazonaws.com/123456789012/missing"
    use_target(monkeypatch, missing, FakeLambda())

    status, output = run()

    assert status == cli.EXIT_FAILED
    assert output.splitlines()[-2:] == [
        f"error: cannot receive from the failure queue {missing}: "
        "AWS.SimpleQueueService.NonExistentQueue: The specified queue does not exist.",
        "Is the local stage running? Start it with `nox -s deploy`.",
    ]
