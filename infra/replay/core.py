"""The pure core of replay: what a failure-queue message is, and what to do with it.

No AWS here. :func:`classify` reads one message body and answers either "this is a
handoff event that can be handed off again" or "keep it, because ...";
:func:`decide` adds the operator's selection (event types, conditions) on top.

The failure queue holds four kinds of message:

* Lambda's on-failure destination records (conditions ``RetriesExhausted`` and
  ``EventAgeExceeded``), whose ``requestPayload`` is the handoff event;
* records the Task Service parks when its invoke was refused (``HandoffRefused``),
  the same shape;
* records the Notification Service writes for events that can never succeed
  (``EventRejected``): replaying cannot help, so they are kept unless the operator
  asks for them explicitly;
* raw dead-letter messages whose body is a bare handoff event, as an SQS
  dead-letter queue holds them; their condition reads ``DeadLetter`` here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, get_args

from pydantic import TypeAdapter, ValidationError

from generated.failure_record import FailureRecord
from generated.handoff_event import HandoffEvent

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

Origin: TypeAlias = Literal[
    "RetriesExhausted",
    "EventAgeExceeded",
    "HandoffRefused",
    "EventRejected",
    "DeadLetter",
]
"""Why a message is in the failure queue: a record's condition, or ``DeadLetter``."""

ORIGINS: Final[tuple[Origin, ...]] = get_args(Origin)
EVENT_TYPES: Final = ("task.created", "task.updated", "task.completed", "task.deleted")

HANDOFF_EVENT: Final = TypeAdapter[HandoffEvent](HandoffEvent)

# Keys that mark a body as a failure record or as a bare handoff event.
_RECORD_KEYS: Final = ("requestContext", "requestPayload")
_EVENT_KEYS: Final = ("specversion", "type")
# How many validation errors a reason names before it summarises the rest.
_ERRORS_SHOWN: Final = 3

_JSON_KINDS: Final[Mapping[type, str]] = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


@dataclass(frozen=True, kw_only=True)
class Facts:
    """What could be read from a message, even an invalid one, to report it."""

    origin: Origin | None = None
    event_type: str | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class Replay:
    """The message holds a valid handoff event: hand ``payload`` off again.

    ``payload`` is the event exactly as it was first sent (not re-serialised), so
    the Notification Service sees the same bytes and dedupes on the same id.
    """

    event: HandoffEvent
    payload: Mapping[str, Any]
    facts: Facts


@dataclass(frozen=True)
class Keep:
    """The message cannot be replayed; it stays in the queue for a person to read."""

    reason: str
    facts: Facts


@dataclass(frozen=True)
class Skip:
    """The message could be replayed, but the operator's selection leaves it out."""

    reason: str
    facts: Facts


Classification: TypeAlias = Replay | Keep
Decision: TypeAlias = Replay | Skip | Keep


@dataclass(frozen=True, kw_only=True)
class Selection:
    """Which replayable messages to hand off; empty filters select everything."""

    event_types: frozenset[str] = field(default_factory=frozenset)
    origins: frozenset[Origin] = field(default_factory=frozenset)
    replay_rejected: bool = False
    """Hand off ``EventRejected`` records whose event is valid now (kept otherwise)."""


def classify(body: str, *, replay_rejected: bool = False) -> Classification:
    """Read one failure-queue message body: a replayable event, or why it is kept.

    Parameters
    ----------
    body
        The SQS message body, as received.
    replay_rejected
        Treat ``EventRejected`` records like the others (their event must still
        be valid); by default they are kept, since replaying cannot help.
    """
    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        return Keep(
            f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            Facts(),
        )
    if not isinstance(document, dict):
        kind = _JSON_KINDS.get(type(document), "not an object")
        return Keep(f"body is {kind}, not a JSON object", Facts())

    if any(key in document for key in _RECORD_KEYS):
        return _classify_record(document, replay_rejected=replay_rejected)
    if any(key in document for key in _EVENT_KEYS):
        return _classify_event(document, "DeadLetter", "body")
    return Keep(
        "unknown shape: neither a failure record (requestContext, requestPayload) "
        "nor a handoff event (specversion, type)",
        Facts(),
    )


def decide(body: str, selection: Selection | None = None) -> Decision:
    """Classify ``body`` and apply ``selection``: replay it, skip it, or keep it.

    Messages that cannot be replayed are always kept (reported), whatever the
    selection: a filter chooses what to hand off, it never hides a problem.
    """
    selection = selection or Selection()
    classification = classify(body, replay_rejected=selection.replay_rejected)
    if isinstance(classification, Keep):
        return classification

    facts = classification.facts
    if selection.event_types and facts.event_type not in selection.event_types:
        chosen = " ".join(sorted(selection.event_types))
        return Skip(f"event type {facts.event_type} not selected ({chosen})", facts)
    if selection.origins and facts.origin not in selection.origins:
        chosen = " ".join(sorted(selection.origins))
        return Skip(f"condition {facts.origin} not selected ({chosen})", facts)
    return classification


def _classify_record(
    document: Mapping[str, Any], *, replay_rejected: bool
) -> Classification:
    facts = _facts_of_record(document)
    try:
        record = FailureRecord.model_validate(document)
    except ValidationError as exc:
        return Keep(f"invalid failure record: {_describe(exc)}", facts)

    condition = record.request_context.condition
    if condition == "EventRejected" and not replay_rejected:
        return Keep(
            "condition EventRejected: the Notification Service rejected the event "
            f"as invalid ({_error_message(record.response_payload)}); replaying "
            "cannot help, so it is kept unless rejected events are replayed on purpose "
            "(--replay-rejected)",
            facts,
        )
    return _classify_event(record.request_payload, condition, "requestPayload")


def _classify_event(
    payload: Mapping[str, Any], origin: Origin, where: str
) -> Classification:
    facts = Facts(
        origin=origin,
        event_type=_text(payload.get("type")),
        event_id=_text(payload.get("id")),
    )
    try:
        event = HANDOFF_EVENT.validate_python(payload)
    except ValidationError as exc:
        return Keep(f"{where} is not a valid handoff event: {_describe(exc)}", facts)
    return Replay(event, payload, facts)


def _facts_of_record(document: Mapping[str, Any]) -> Facts:
    context = document.get("requestContext")
    payload = document.get("requestPayload")
    condition = context.get("condition") if isinstance(context, dict) else None
    if not isinstance(payload, dict):
        payload = {}
    return Facts(
        origin=condition
        if condition in ORIGINS and condition != "DeadLetter"
        else None,
        event_type=_text(payload.get("type")),
        event_id=_text(payload.get("id")),
    )


def _describe(error: ValidationError) -> str:
    """The first few validation errors as ``field: message``, joined by ``; ``."""
    details = error.errors()
    described = [
        f"{_location(detail)}: {detail['msg']}" for detail in details[:_ERRORS_SHOWN]
    ]
    if len(details) > _ERRORS_SHOWN:
        described.append(f"and {len(details) - _ERRORS_SHOWN} more")
    return "; ".join(described)


def _location(detail: ErrorDetails) -> str:
    if detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return "type"
    # In a tagged union pydantic puts the matched tag first; it names no field.
    parts = [str(part) for part in detail["loc"]]
    if parts and parts[0] in EVENT_TYPES:
        parts = parts[1:]
    return ".".join(parts) or "(root)"


def _error_message(response_payload: object) -> str:
    if isinstance(response_payload, dict):
        message = response_payload.get("errorMessage")
        if isinstance(message, str) and message:
            return message
    return "no reason recorded"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
