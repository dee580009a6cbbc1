"""The pure core: every kind of failure-queue message, classified and decided."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.replay.core import (
    ORIGINS,
    Facts,
    Keep,
    Origin,
    Replay,
    Selection,
    Skip,
    classify,
    decide,
)
from tests.replay.messages import body, failure_record, handoff_event

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
EVENT = handoff_event("task.updated")
EVENT_ID = EVENT["id"]
INVALID_TITLE = {**EVENT, "data": {"task": {**EVENT["data"]["task"], "title": ""}}}
NOT_AN_EVENT = "not a valid handoff event"
TAGS = "'task.created', 'task.updated', 'task.completed', 'task.deleted'"


@pytest.mark.parametrize(
    ("document", "origin"),
    [
        (failure_record(EVENT, "RetriesExhausted"), "RetriesExhausted"),
        (failure_record(EVENT, "EventAgeExceeded"), "EventAgeExceeded"),
        (failure_record(EVENT, "HandoffRefused"), "HandoffRefused"),
        (failure_record(EVENT, responseContext=None, extraField=1), "RetriesExhausted"),
        (EVENT, "DeadLetter"),
    ],
    ids=["retries", "event-age", "refused", "extra-record-fields", "dead-letter"],
)
def test_replayable_messages_carry_the_original_payload(
    document: dict[str, Any], origin: Origin
) -> None:
    classification = classify(body(document))

    assert isinstance(classification, Replay)
    assert classification.payload == EVENT
    assert str(classification.event.id) == EVENT_ID
    assert classification.facts == Facts(
        origin=origin, event_type="task.updated", event_id=EVENT_ID
    )


@pytest.mark.parametrize(
    "event_type", ["task.created", "task.updated", "task.completed", "task.deleted"]
)
def test_every_event_type_is_replayable(event_type: str) -> None:
    classification = classify(body(failure_record(handoff_event(event_type))))

    assert isinstance(classification, Replay)
    assert classification.event.type == event_type


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "body is not JSON: Expecting value at line 1 column 1"),
        (
            "{'single': 'quotes'}",
            "body is not JSON: Expecting property name enclosed in double quotes "
            "at line 1 column 2",
        ),
        ("[1, 2]", "body is an array, not a JSON object"),
        ('"text"', "body is a string, not a JSON object"),
        ("42", "body is a number, not a JSON object"),
        ("true", "body is a boolean, not a JSON object"),
        ("null", "body is null, not a JSON object"),
        (
            "{}",
            "unknown shape: neither a failure record (requestContext, "
            "requestPayload) nor a handoff event (specversion, type)",
        ),
        (
            '{"Records": []}',
            "unknown shape: neither a failure record (requestContext, "
            "requestPayload) nor a handoff event (specversion, type)",
        ),
    ],
    ids=[
        "empty",
        "not-json",
        "array",
        "string",
        "number",
        "boolean",
        "null",
        "empty-object",
        "foreign-object",
    ],
)
def test_unreadable_bodies_are_kept_with_the_reason(text: str, reason: str) -> None:
    assert classify(text) == Keep(reason, Facts())


def _record_without(key: str) -> dict[str, Any]:
    record = failure_record(EVENT)
    del record[key]
    return record


def _record_with_context(**changes: Any) -> dict[str, Any]:
    record = failure_record(EVENT)
    record["requestContext"] = {**record["requestContext"], **changes}
    return record


@pytest.mark.parametrize(
    ("document", "reason", "facts"),
    [
        (
            _record_with_context(condition="Throttled"),
            "invalid failure record: requestContext.condition: Input should be "
            "'RetriesExhausted', 'EventAgeExceeded', 'HandoffRefused' or "
            "'EventRejected'",
            Facts(event_type="task.updated", event_id=EVENT_ID),
        ),
        (
            _record_without("version"),
            "invalid failure record: version: Field required",
            Facts(
                origin="RetriesExhausted", event_type="task.updated", event_id=EVENT_ID
            ),
        ),
        (
            _record_with_context(approximateInvokeCount=-1),
            "invalid failure record: requestContext.approximateInvokeCount: Input "
            "should be greater than or equal to 0",
            Facts(
                origin="RetriesExhausted", event_type="task.updated", event_id=EVENT_ID
            ),
        ),
        (
            failure_record([EVENT]),  # type: ignore[arg-type]
            "invalid failure record: requestPayload: Input should be a valid "
            "dictionary",
            Facts(origin="RetriesExhausted"),
        ),
        (
            {"requestPayload": EVENT},
            "invalid failure record: version: Field required; timestamp: Field "
            "required; requestContext: Field required",
            Facts(event_type="task.updated", event_id=EVENT_ID),
        ),
        (
            failure_record(INVALID_TITLE, "HandoffRefused"),
            f"requestPayload is {NOT_AN_EVENT}: data.task.title: String should "
            "have at least 1 character",
            Facts(
                origin="HandoffRefused", event_type="task.updated", event_id=EVENT_ID
            ),
        ),
        (
            failure_record({"specversion": "1.0"}),
            f"requestPayload is {NOT_AN_EVENT}: type: Unable to extract tag using "
            "discriminator 'type'",
            Facts(origin="RetriesExhausted"),
        ),
    ],
    ids=[
        "unknown-condition",
        "no-version",
        "negative-count",
        "payload-not-object",
        "only-payload",
        "invalid-event",
        "event-without-type",
    ],
)
def test_bad_failure_records_are_kept_with_the_reason(
    document: dict[str, Any], reason: str, facts: Facts
) -> None:
    assert classify(body(document)) == Keep(reason, facts)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (
            {**EVENT, "type": "task.exploded"},
            f"body is {NOT_AN_EVENT}: type: Input tag 'task.exploded' found using "
            f"'type' does not match any of the expected tags: {TAGS}",
        ),
        (
            {key: value for key, value in EVENT.items() if key != "datacontenttype"},
            f"body is {NOT_AN_EVENT}: datacontenttype: Field required",
        ),
        (
            {**EVENT, "priority": "high"},
            f"body is {NOT_AN_EVENT}: priority: Extra inputs are not permitted",
        ),
        (
            {**EVENT, "id": "not-a-uuid"},
            f"body is {NOT_AN_EVENT}: id: Value error, must be a UUID in the form "
            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        ),
        (
            {"type": "task.created", "specversion": "0.3"},
            f"body is {NOT_AN_EVENT}: specversion: Input should be '1.0'; id: Field "
            "required; source: Field required; and 5 more",
        ),
    ],
    ids=["unknown-type", "missing-field", "extra-field", "bad-id", "many-errors"],
)
def test_invalid_dead_letters_are_kept_with_the_reason(
    document: dict[str, Any], reason: str
) -> None:
    classification = classify(body(document))

    assert isinstance(classification, Keep)
    assert classification.reason == reason
    assert classification.facts.origin == "DeadLetter"


def test_rejected_events_are_kept_by_default() -> None:
    record = failure_record(
        INVALID_TITLE,
        "EventRejected",
        responsePayload={"errorType": "EventRejected", "errorMessage": "title blank"},
    )

    assert classify(body(record)) == Keep(
        "condition EventRejected: the Notification Service rejected the event as "
        "invalid (title blank); replaying cannot help, so it is kept unless "
        "rejected events are replayed on purpose (--replay-rejected)",
        Facts(origin="EventRejected", event_type="task.updated", event_id=EVENT_ID),
    )


def test_rejected_event_without_a_recorded_reason_says_so() -> None:
    classification = classify(body(failure_record(EVENT, "EventRejected")))

    assert isinstance(classification, Keep)
    assert "(boom)" in classification.reason
    no_reason = failure_record(EVENT, "EventRejected", responsePayload=None)
    assert "(no reason recorded)" in classify(body(no_reason)).reason  # type: ignore[union-attr]


def test_rejected_events_replay_on_request_only_when_valid_now() -> None:
    valid = classify(body(failure_record(EVENT, "EventRejected")), replay_rejected=True)
    invalid = classify(
        body(failure_record(INVALID_TITLE, "EventRejected")), replay_rejected=True
    )

    assert isinstance(valid, Replay)
    assert valid.facts.origin == "EventRejected"
    assert invalid == Keep(
        f"requestPayload is {NOT_AN_EVENT}: data.task.title: String should have at "
        "least 1 character",
        Facts(origin="EventRejected", event_type="task.updated", event_id=EVENT_ID),
    )


@pytest.mark.parametrize(
    ("document", "selection", "expected"),
    [
        (EVENT, Selection(), Replay),
        (EVENT, Selection(event_types=frozenset({"task.updated"})), Replay),
        (EVENT, Selection(origins=frozenset({"DeadLetter"})), Replay),
        (
            failure_record(EVENT, "HandoffRefused"),
            Selection(
                event_types=frozenset({"task.updated", "task.created"}),
                origins=frozenset({"HandoffRefused"}),
            ),
            Replay,
        ),
        (
            EVENT,
            Selection(event_types=frozenset({"task.created", "task.deleted"})),
            Skip(
                "event type task.updated not selected (task.created task.deleted)",
                Facts(
                    origin="DeadLetter", event_type="task.updated", event_id=EVENT_ID
                ),
            ),
        ),
        (
            failure_record(EVENT, "EventAgeExceeded"),
            Selection(origins=frozenset({"RetriesExhausted"})),
            Skip(
                "condition EventAgeExceeded not selected (RetriesExhausted)",
                Facts(
                    origin="EventAgeExceeded",
                    event_type="task.updated",
                    event_id=EVENT_ID,
                ),
            ),
        ),
    ],
    ids=[
        "no-filter",
        "type-match",
        "dead-letter-match",
        "both-match",
        "type-miss",
        "condition-miss",
    ],
)
def test_selection_replays_or_skips(
    document: dict[str, Any], selection: Selection, expected: object
) -> None:
    decision = decide(body(document), selection)

    if expected is Replay:
        assert isinstance(decision, Replay)
    else:
        assert decision == expected


def test_selection_never_hides_what_must_be_kept() -> None:
    selection = Selection(
        event_types=frozenset({"task.created"}), origins=frozenset({"HandoffRefused"})
    )

    decision = decide("[]", selection)

    assert decision == Keep("body is an array, not a JSON object", Facts())


def test_origins_cover_every_condition_of_the_schema() -> None:
    schema = json.loads((SCHEMAS / "failure-record.json").read_text())

    assert (*schema["$defs"]["Condition"]["enum"], "DeadLetter") == ORIGINS
