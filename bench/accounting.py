"""The drill's accounting: what became of each written task's handoff event.

Pure functions over plain data, so that the rules can be tested without a stage:

* every task written through the API has exactly one event (``task.created``);
* before replay, each event is *delivered* (exactly one notification) or *parked*
  (no notification, and a failure record in the failure queue); an event with a
  notification and also a failure record (a duplicate copy that failed) counts
  as delivered, and is shown apart;
* after replay, each event has exactly one notification in all.

Anything else is a *lost* event (neither notification nor record) or a
*duplicated* one (two notifications or more): the drill fails on either.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Fate(StrEnum):
    """What became of one event at one point of the drill."""

    DELIVERED = "delivered exactly once"
    DELIVERED_COPY_PARKED = "delivered once, a duplicate copy parked"
    PARKED = "not delivered, in the failure queue"
    LOST = "lost: neither delivered nor parked"
    DUPLICATED = "delivered more than once"


FAILING_FATES = frozenset({Fate.LOST, Fate.DUPLICATED})


@dataclass(frozen=True)
class EventSighting:
    """An event id seen in a notification or a failure record, with its task."""

    event_id: str
    task_id: str


def sighting_of_notification(body: Mapping[str, Any]) -> EventSighting:
    """The event behind a notification (``eventId``, ``taskId``)."""
    return EventSighting(str(body["eventId"]), str(body["taskId"]))


def sighting_of_record(record: Mapping[str, Any]) -> EventSighting | None:
    """The event a failure record carries, or None if its payload is no event."""
    payload = record.get("requestPayload")
    if not isinstance(payload, Mapping):
        return None
    event_id, task_id = payload.get("id"), payload.get("subject")
    if not isinstance(event_id, str) or not isinstance(task_id, str):
        return None
    return EventSighting(event_id, task_id)


@dataclass
class Ledger:
    """The accounting of one drill: tasks written, events and their fates."""

    fates: dict[str, Fate] = field(default_factory=dict)  # event id -> fate
    tasks_without_event: list[str] = field(default_factory=list)
    tasks_with_several_events: list[str] = field(default_factory=list)
    unknown_events: list[str] = field(default_factory=list)

    def counts(self) -> Counter[Fate]:
        """How many events met each fate (tasks without an event count as lost)."""
        counts = Counter(self.fates.values())
        counts[Fate.LOST] += len(self.tasks_without_event)
        return counts

    def failed(self, *, replayed: bool = False) -> bool:
        """Whether an event was lost or duplicated, or a task has no single event.

        After the replay (``replayed``), an event still parked fails the drill too.
        """
        failing = FAILING_FATES | ({Fate.PARKED} if replayed else set())
        return bool(
            any(fate in failing for fate in self.fates.values())
            or self.tasks_without_event
            or self.tasks_with_several_events
        )


def fate_of(notifications: int, records: int) -> Fate:
    """The fate of an event with ``notifications`` published and ``records`` parked."""
    if notifications > 1:
        return Fate.DUPLICATED
    if notifications == 1:
        return Fate.DELIVERED_COPY_PARKED if records else Fate.DELIVERED
    return Fate.PARKED if records else Fate.LOST


def account(
    written_task_ids: Iterable[str],
    notifications: Iterable[EventSighting],
    parked: Iterable[EventSighting],
) -> Ledger:
    """Give every written task's event its fate.

    ``notifications`` holds one sighting per notification published (so an event
    published twice appears twice); ``parked`` one per failure record.
    """
    notified, records = list(notifications), list(parked)
    published = Counter(sighting.event_id for sighting in notified)
    parked_count = Counter(sighting.event_id for sighting in records)
    events_of_task: dict[str, set[str]] = defaultdict(set)
    for sighting in (*notified, *records):
        events_of_task[sighting.task_id].add(sighting.event_id)

    ledger = Ledger()
    written = list(dict.fromkeys(written_task_ids))
    for task_id in written:
        events = events_of_task.get(task_id, set())
        if not events:
            ledger.tasks_without_event.append(task_id)
        elif len(events) > 1:
            ledger.tasks_with_several_events.append(task_id)
        for event_id in sorted(events):
            ledger.fates[event_id] = fate_of(
                published[event_id], parked_count[event_id]
            )

    known = set(written)
    ledger.unknown_events = sorted(
        {s.event_id for s in (*notified, *records) if s.task_id not in known}
    )
    return ledger
