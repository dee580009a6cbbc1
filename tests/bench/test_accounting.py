"""The drill's accounting: each written task's event delivered once or parked."""

from __future__ import annotations

import pytest

from bench.accounting import (
    EventSighting,
    Fate,
    account,
    fate_of,
    sighting_of_notification,
    sighting_of_record,
)

TASK_A, TASK_B = "task-a", "task-b"
EVENT_A, EVENT_B = "event-a", "event-b"


def seen(event: str, task: str) -> EventSighting:
    return EventSighting(event, task)


@pytest.mark.parametrize(
    ("notifications", "records", "fate"),
    [
        (1, 0, Fate.DELIVERED),
        (1, 2, Fate.DELIVERED_COPY_PARKED),
        (0, 1, Fate.PARKED),
        (0, 0, Fate.LOST),
        (2, 0, Fate.DUPLICATED),
        (2, 1, Fate.DUPLICATED),
    ],
)
def test_fate_follows_notifications_then_records(
    notifications: int, records: int, fate: Fate
) -> None:
    assert fate_of(notifications, records) is fate


def test_delivered_and_parked_events_pass_before_replay() -> None:
    ledger = account([TASK_A, TASK_B], [seen(EVENT_A, TASK_A)], [seen(EVENT_B, TASK_B)])
    assert ledger.fates == {EVENT_A: Fate.DELIVERED, EVENT_B: Fate.PARKED}
    assert not ledger.failed()


def test_an_event_still_parked_after_replay_fails() -> None:
    ledger = account([TASK_B], [], [seen(EVENT_B, TASK_B)])
    assert ledger.failed(replayed=True)


def test_an_event_published_twice_fails() -> None:
    ledger = account([TASK_A], [seen(EVENT_A, TASK_A)] * 2, [])
    assert ledger.fates == {EVENT_A: Fate.DUPLICATED}
    assert ledger.failed()


def test_a_task_without_any_event_counts_as_lost() -> None:
    ledger = account([TASK_A, TASK_B], [seen(EVENT_A, TASK_A)], [])
    assert ledger.tasks_without_event == [TASK_B]
    assert ledger.counts()[Fate.LOST] == 1
    assert ledger.failed()


def test_a_task_with_two_events_fails() -> None:
    ledger = account([TASK_A], [seen(EVENT_A, TASK_A)], [seen(EVENT_B, TASK_A)])
    assert ledger.tasks_with_several_events == [TASK_A]
    assert ledger.failed()


def test_notifications_of_tasks_the_drill_did_not_write_are_set_apart() -> None:
    ledger = account([TASK_A], [seen(EVENT_A, TASK_A), seen(EVENT_B, TASK_B)], [])
    assert ledger.unknown_events == [EVENT_B]
    assert ledger.fates == {EVENT_A: Fate.DELIVERED}


def test_a_write_listed_twice_is_accounted_once() -> None:
    ledger = account([TASK_A, TASK_A], [seen(EVENT_A, TASK_A)], [])
    assert ledger.counts()[Fate.DELIVERED] == 1


def test_notification_sighting_reads_event_and_task_ids() -> None:
    body = {"eventId": EVENT_A, "taskId": TASK_A, "eventType": "task.created"}
    assert sighting_of_notification(body) == seen(EVENT_A, TASK_A)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"requestPayload": {"id": EVENT_A, "subject": TASK_A}}, seen(EVENT_A, TASK_A)),
        ({"requestPayload": {"payload": "not an event"}}, None),
        ({"requestPayload": [1, 2]}, None),
        ({}, None),
    ],
)
def test_record_sighting_needs_an_event_in_the_payload(
    record: dict[str, object], expected: EventSighting | None
) -> None:
    assert sighting_of_record(record) == expected
