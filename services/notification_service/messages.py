"""What crosses the service's boundary: events in, notifications and records out.

Pure functions over the generated models: parse a handoff event, turn it into
its notification message, turn a rejected payload into a failure record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from pydantic import TypeAdapter, ValidationError

from generated.definitions import FieldError
from generated.failure_record import FailureRecord
from generated.handoff_event import HandoffEvent
from generated.notification_message import NotificationMessage
from notification_service.errors import EventRejectedError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from pydantic_core import ErrorDetails

HANDOFF_EVENT: Final = TypeAdapter[HandoffEvent](HandoffEvent)
"""Validates any handoff event; the ``type`` field picks the model."""

WRAPPED_PAYLOAD_KEY: Final = "payload"
"""Where a rejected payload that is not a JSON object goes in ``requestPayload``.

The failure record's ``requestPayload`` must be an object, but Lambda hands the
function whatever JSON the caller sent: a list, a string, a number or null.
Such a payload is kept, unchanged, as ``{"payload": <what arrived>}``.
"""

_SUMMARY_PREFIX: Final = {
    "task.created": "Task created",
    "task.updated": "Task updated",
    "task.completed": "Task completed",
    "task.deleted": "Task deleted",
}

# pydantic error types -> the JSON Schema keyword the same input breaks, so that
# a rejected event reads like the Task API's field errors.
_RULE_FOR_ERROR_TYPE: Final = {
    "missing": "required",
    "union_tag_not_found": "required",
    "extra_forbidden": "additionalProperties",
    "union_tag_invalid": "enum",
    "literal_error": "const",
    "string_too_short": "minLength",
    "string_too_long": "maxLength",
    "string_pattern_mismatch": "pattern",
    "greater_than_equal": "minimum",
    "less_than_equal": "maximum",
    "greater_than": "exclusiveMinimum",
    "less_than": "exclusiveMaximum",
    "value_error": "format",
    "uuid_parsing": "format",
    "datetime_parsing": "format",
    "datetime_from_date_parsing": "format",
    "timezone_aware": "format",
}


def parse_event(payload: object) -> HandoffEvent:
    """Validate ``payload`` as a handoff event or raise EventRejectedError."""
    try:
        return HANDOFF_EVENT.validate_python(payload)
    except ValidationError as exc:
        raise EventRejectedError(_field_errors(exc, payload)) from exc


def notification_for(event: HandoffEvent) -> NotificationMessage:
    """The one notification message that announces ``event``."""
    task = event.data.task
    return NotificationMessage.model_validate(
        {
            "eventId": event.id,
            "eventType": event.type,
            "taskId": event.subject,
            "correlationId": event.correlationid,
            "occurredAt": event.time,
            "summary": f"{_SUMMARY_PREFIX[event.type]}: {task.title}",
            "task": task,
        }
    )


def rejection_record(
    payload: object, rejection: EventRejectedError, context: LambdaContext
) -> FailureRecord:
    """The failure record (condition EventRejected) that parks ``payload``."""
    return FailureRecord.model_validate(
        {
            "version": "1.0",
            "timestamp": datetime.now(UTC),
            "requestContext": {
                "requestId": context.aws_request_id,
                "functionArn": context.invoked_function_arn,
                "condition": "EventRejected",
                # A rejection is decided on the first attempt: Lambda never retries it.
                "approximateInvokeCount": 1,
            },
            "requestPayload": (
                payload if isinstance(payload, dict) else {WRAPPED_PAYLOAD_KEY: payload}
            ),
            "responsePayload": {
                "errorType": "EventRejected",
                "errorMessage": str(rejection),
                "fieldErrors": [
                    error.model_dump(mode="json") for error in rejection.field_errors
                ],
            },
        }
    )


def _field_errors(exc: ValidationError, payload: object) -> list[FieldError]:
    tag = payload.get("type") if isinstance(payload, dict) else None
    return [_field_error(error, tag) for error in exc.errors()]


def _field_error(error: ErrorDetails, tag: Any) -> FieldError:  # noqa: ANN401 - any JSON value
    location = list(error["loc"])
    # Inside a tagged union pydantic puts the matched tag first; it is no field.
    if location and location[0] == tag:
        location = location[1:]
    field = ".".join(str(part) for part in location)

    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = f"Unknown field '{location[-1]}'"
    elif error["type"] == "value_error":
        message = str(error.get("ctx", {}).get("error", message))
    elif error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        field = "type"

    rule = _RULE_FOR_ERROR_TYPE.get(error["type"])
    if rule is None:
        rule = "type" if error["type"].endswith("_type") else error["type"]
    return FieldError(field=field, rule=rule, message=message)
