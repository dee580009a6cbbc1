"""The replay loop against an in-process SQS (moto) and a fake Lambda client."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import boto3
import pytest
from moto import mock_aws

from infra.replay.aws import LambdaHandoff, QueueMessage, SqsFailureQueue
from infra.replay.core import Selection
from infra.replay.engine import (
    MessageReport,
    Outcome,
    RateLimiter,
    ReplayOptions,
    replay,
)
from infra.replay.errors import FailureQueueError
from tests.replay.fakes import FakeLambda, throttled, visible_bodies
from tests.replay.messages import body, failure_record, handoff_event

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

FUNCTION = "notification-function"


@pytest.fixture
def sqs() -> Iterator[SQSClient]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def queue_url(sqs: SQSClient) -> str:
    return sqs.create_queue(QueueName="failure-queue")["QueueUrl"]


@pytest.fixture
def queue(sqs: SQSClient, queue_url: str) -> SqsFailureQueue:
    return SqsFailureQueue(sqs, queue_url)


def send(sqs: SQSClient, queue_url: str, *documents: object) -> None:
    for document in documents:
        text = document if isinstance(document, str) else body(document)
        sqs.send_message(QueueUrl=queue_url, MessageBody=text)


def in_flight(sqs: SQSClient, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesNotVisible"])


def no_wait(**changes: Any) -> ReplayOptions:
    # moto's queue is consistent: an empty answer is final without long polling.
    return ReplayOptions(wait_seconds=0, **changes)


def handoff_to(fake: FakeLambda) -> LambdaHandoff:
    return LambdaHandoff(cast("LambdaClient", fake), FUNCTION)


def outcomes(reports: Sequence[MessageReport]) -> dict[Outcome, int]:
    counted: dict[Outcome, int] = {}
    for report in reports:
        counted[report.outcome] = counted.get(report.outcome, 0) + 1
    return counted


def test_every_replayable_kind_is_handed_off_once_and_deleted(
    sqs: SQSClient, queue_url: str, queue: SqsFailureQueue
) -> None:
    events = [
        handoff_event(kind)
        for kind in ("task.created", "task.updated", "task.completed", "task.deleted")
    ]
    send(
        sqs,
        queue_url,
        failure_record(events[0], "RetriesExhausted"),
        failure_record(events[1], "EventAgeExceeded"),
        failure_record(events[2], "HandoffRefused"),
        events[3],
    )
    fake = FakeLambda()

    report = replay(queue, handoff_to(fake), no_wait())

    assert outcomes(report.messages) == {Outcome.REPLAYED: 4}
    assert sorted(fake.payloads, key=lambda p: p["id"]) == sorted(
        events, key=lambda e: e["id"]
    )
    assert {(i["FunctionName"], i["InvocationType"]) for i in fake.invocations} == {
        (FUNCTION, "Event")
    }
    assert visible_bodies(sqs, queue_url) == []
    assert in_flight(sqs, queue_url) == 0
    assert not report.failed


def test_messages_that_cannot_be_replayed_stay_visible_with_their_reason(
    sqs: SQSClient, queue_url: str, queue: SqsFailureQueue
) -> None:
    rejected = failure_record(handoff_event(), "EventRejected")
    send(sqs, queue_url, "not json", rejected, handoff_event())
    fake = FakeLambda()

    report = replay(queue, handoff_to(fake), no_wait())

    assert outcomes(report.messages) == {Outcome.REPLAYED: 1, Outcome.KEPT: 2}
    assert sorted(message.reason for message in report.problems) == [
        "body is not JSON: Expecting value at line 1 column 1",
        "condition EventRejected: the Notification Service rejected the event as "
        "invalid (boom); replaying cannot help, so it is kept unless rejected "
        "events are replayed on purpose (--replay-rejected)",
    ]
    assert visible_bodies(sqs, queue_url) == sorted([body(rejected), "not json"])
    assert not report.failed


def test_a_refused_invoke_fails_and_the_message_stays(
    sqs: SQSClient, queue_url: str, queue: SqsFailureQueue
) -> None:
    record = failure_record(handoff_event())
    send(sqs, queue_url, record)

    report = replay(queue, handoff_to(FakeLambda(error=throttled())), no_wait())

    assert [(m.outcome, m.reason) for m in report.messages] == [
        (Outcome.FAILED, "invoke refused: TooManyRequestsException: Rate exceeded")
    ]
    assert report.failed
    assert visible_bodies(sqs, queue_url) == [body(record)]


def test_an_invoke_not_answered_with_202_fails(
    sqs: SQSClient, queue_url: str, queue: SqsFailureQueue
) -> None:
    send(sqs, queue_url, handoff_event())

    report = replay(queue, handoff_to(FakeLambda(status=200)), no_wait())

    assert [(m.outcome, m.reason) for m in report.messages] == [
        (Outcome.FAILED, "invoke answered 200, not 202")
    ]
    assert len(visible_bodies(sqs, queue_url)) == 1


def test_a_dry_run_lists_and_changes_nothing(
    sqs: SQSClient, queue_url: str, queue: SqsFailureQueue
) -> None:
    documents = [failure_record(handoff_event()), handoff_event(), "[]"]
    send(sqs, queue_url, *documents)
    fake = FakeLambda()

    report = replay(queue, handoff_to(fake), no_wait(dry_run=True))

    assert outcomes(report.messages) == {Outcome.WOULD_REPLAY: 2, Outcome.KEPT: 1}
    assert fake.invocations == []
    assert visible_bodies(sqs, queue_url) == sorted(
        d if isinstance(d, str) else body(d) for d in documents
    )


def test_the_limit_caps_the_handoffs_and_leaves_the_rest_visible(
    sqs: SQSClient, queue_url: str, queue: SqsFailureQueue
) -> None:
    send(sqs, queue_url, *[handoff_event() for _ in range(5)])
    fake = FakeLambda()

    report = replay(queue, handoff_to(fake), no_wait(limit=3))

    assert outcomes(report.messages) == {Outcome.REPLAYED: 3}
    assert len(fake.invocations) == 3
    assert len(visible_bodies(sqs, queue_url)) == 2


def test_filtered_out_messages_are_skipped_and_stay(
    sqs: SQSClient, queue_url: str, queue: SqsFailureQueue
) -> None:
    created = failure_record(handoff_event("task.created"), "HandoffRefused")
    deleted = failure_record(handoff_event("task.deleted"), "HandoffRefused")
    old = failure_record(handoff_event("task.created"), "EventAgeExceeded")
    send(sqs, queue_url, created, deleted, old)
    fake = FakeLambda()
    selection = Selection(
        event_types=frozenset({"task.created"}), origins=frozenset({"HandoffRefused"})
    )

    report = replay(queue, handoff_to(fake), no_wait(selection=selection))

    assert outcomes(report.messages) == {Outcome.REPLAYED: 1, Outcome.SKIPPED: 2}
    assert fake.payloads == [created["requestPayload"]]
    assert visible_bodies(sqs, queue_url) == sorted([body(deleted), body(old)])


def test_a_concurrent_replay_never_sees_a_message_being_handed_off(
    sqs: SQSClient, queue_url: str, queue: SqsFailureQueue
) -> None:
    send(sqs, queue_url, handoff_event())
    second_runs: list[list[MessageReport]] = []
    second_fake = FakeLambda()

    class StartsAnotherRun(FakeLambda):
        def invoke(self, **request: Any) -> dict[str, Any]:
            # While this handoff is under way, a second operator starts a replay.
            other = replay(queue, handoff_to(second_fake), no_wait())
            second_runs.append(other.messages)
            return super().invoke(**request)

    first = StartsAnotherRun()
    report = replay(queue, handoff_to(first), no_wait())

    assert outcomes(report.messages) == {Outcome.REPLAYED: 1}
    assert second_runs == [[]]
    assert second_fake.invocations == []
    assert len(first.invocations) == 1


def test_a_second_replay_finds_nothing_to_hand_off(
    sqs: SQSClient, queue_url: str, queue: SqsFailureQueue
) -> None:
    send(sqs, queue_url, handoff_event(), failure_record(handoff_event()), "{}")
    fake = FakeLambda()

    replay(queue, handoff_to(fake), no_wait())
    again = replay(queue, handoff_to(fake), no_wait())

    assert outcomes(again.messages) == {Outcome.KEPT: 1}
    assert len(fake.invocations) == 2


class FlakyDelete(SqsFailureQueue):
    def delete(self, message: QueueMessage) -> None:
        raise FailureQueueError("AccessDenied: not allowed")


def test_a_failed_delete_is_reported_and_the_message_stays(
    sqs: SQSClient, queue_url: str
) -> None:
    send(sqs, queue_url, handoff_event())
    fake = FakeLambda()

    report = replay(FlakyDelete(sqs, queue_url), handoff_to(fake), no_wait())

    assert [(m.outcome, m.reason) for m in report.messages] == [
        (
            Outcome.FAILED,
            "handed off, but the message was not deleted (AccessDenied: not "
            "allowed); a later replay hands it off again and the Notification "
            "Service drops the duplicate",
        )
    ]
    assert len(fake.invocations) == 1
    assert len(visible_bodies(sqs, queue_url)) == 1


class ScriptedQueue:
    """A failure queue that answers receives from a script and records the rest."""

    def __init__(self, *batches: list[QueueMessage] | Exception) -> None:
        self.batches = list(batches)
        self.receives: list[dict[str, int]] = []
        self.visibility: list[tuple[list[str], int]] = []
        self.deleted: list[str] = []

    def receive(self, **request: int) -> list[QueueMessage]:
        self.receives.append(request)
        batch = self.batches.pop(0) if self.batches else []
        if isinstance(batch, Exception):
            raise batch
        return batch

    def delete(self, message: QueueMessage) -> None:
        self.deleted.append(message.message_id)

    def set_visibility(self, messages: Sequence[QueueMessage], seconds: int) -> None:
        self.visibility.append(([m.message_id for m in messages], seconds))


def message(message_id: str, document: object, receipt: str = "r1") -> QueueMessage:
    return QueueMessage(message_id, f"{message_id}-{receipt}", body(document))


def test_kept_messages_are_held_during_the_run_and_released_at_its_end() -> None:
    scripted = ScriptedQueue([message("a", {}), message("b", handoff_event())])

    replay(scripted, handoff_to(FakeLambda()), ReplayOptions(hold_seconds=600))

    assert scripted.visibility == [(["a"], 600), (["a"], 0)]
    assert scripted.deleted == ["b"]


def test_a_message_whose_hold_lapsed_is_held_again_not_reported_twice() -> None:
    scripted = ScriptedQueue([message("a", {})], [message("a", {}, receipt="r2")])

    report = replay(scripted, handoff_to(FakeLambda()), ReplayOptions())

    assert [m.message_id for m in report.messages] == ["a"]
    assert scripted.visibility[-1] == (["a"], 0)
    assert len(scripted.receives) == 3


def test_a_queue_error_stops_the_run_after_releasing_what_it_held() -> None:
    scripted = ScriptedQueue([message("a", "x")], FailureQueueError("cannot receive"))

    with pytest.raises(FailureQueueError, match=r"^cannot receive$"):
        replay(scripted, handoff_to(FakeLambda()), ReplayOptions())

    assert scripted.visibility[-1] == (["a"], 0)


def test_messages_past_the_limit_are_handed_back_at_once() -> None:
    batch = [message(name, handoff_event()) for name in ("a", "b", "c")]
    scripted = ScriptedQueue(batch)

    replay(scripted, handoff_to(FakeLambda()), ReplayOptions(limit=1))

    assert scripted.receives[0]["max_messages"] == 1
    assert scripted.deleted == ["a"]
    assert scripted.visibility == [(["b", "c"], 0)]


@pytest.mark.parametrize(
    ("options", "visibility_timeout"),
    [
        (ReplayOptions(), 30),
        (ReplayOptions(handoff_seconds=5), 5),
        (ReplayOptions(rate=2.0), 35),
        (ReplayOptions(rate=3.0, limit=4), 32),
    ],
)
def test_receive_hides_a_batch_long_enough_for_its_handoffs(
    options: ReplayOptions, visibility_timeout: int
) -> None:
    scripted = ScriptedQueue()

    replay(scripted, handoff_to(FakeLambda()), options)

    assert scripted.receives[0]["visibility_timeout"] == visibility_timeout


def test_the_rate_limiter_spaces_handoffs() -> None:
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.wait()
    now[0] += 1.0
    limiter.wait()

    assert sleeps == [0.25, 0.25]


def test_progress_hears_of_every_message() -> None:
    scripted = ScriptedQueue([message("a", handoff_event()), message("b", [])])
    heard: list[tuple[str, Outcome]] = []

    replay(
        scripted,
        handoff_to(FakeLambda()),
        ReplayOptions(),
        on_message=lambda m: heard.append((m.message_id, m.outcome)),
    )

    assert heard == [("a", Outcome.REPLAYED), ("b", Outcome.KEPT)]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"limit": 0}, "limit must be 1 or more, got 0"),
        ({"rate": 0.0}, "rate must be a positive number, got 0.0"),
    ],
)
def test_options_reject_nonsense(changes: Mapping[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=f"^{error}$"):
        ReplayOptions(**changes)
