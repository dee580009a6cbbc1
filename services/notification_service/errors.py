"""The Notification Service's errors.

Only :class:`EventRejectedError` is permanent: the handler parks the event and
returns. Every other error is transient: the handler lets it propagate, so that
Lambda retries the event and, when the retries run out, writes its own failure
record.

::

    NotificationServiceError
    ├── ConfigurationError      an environment variable is missing or malformed
    ├── EventRejectedError      the event breaks its contract (permanent)
    ├── EventInProgressError    another invocation is delivering the same event
    ├── PublishError            SNS refused or failed the publish
    ├── FailureQueueError       SQS refused or failed the failure record
    └── IdempotencyStoreError   the idempotency table could not be read or written
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generated.definitions import FieldError


class NotificationServiceError(Exception):
    """The base of every error the Notification Service raises on purpose."""


class ConfigurationError(NotificationServiceError):
    """An environment variable is missing or malformed; the message names it."""


class EventRejectedError(NotificationServiceError):
    """The event can never succeed: it fails its schema or names an unknown type.

    Parameters
    ----------
    field_errors
        One entry per broken rule, in the shape the Task API answers with.
    """

    def __init__(self, field_errors: list[FieldError]) -> None:
        self.field_errors = field_errors
        rules = "; ".join(
            f"{error.field or '<event>'}: {error.message} ({error.rule})"
            for error in field_errors
        )
        super().__init__(f"The handoff event breaks its contract: {rules}")


class EventInProgressError(NotificationServiceError):
    """Another invocation holds the event's idempotency record right now."""


class PublishError(NotificationServiceError):
    """SNS refused or failed the publish of a notification."""


class FailureQueueError(NotificationServiceError):
    """SQS refused or failed to take a failure record."""


class IdempotencyStoreError(NotificationServiceError):
    """The idempotency table could not be read or written."""
