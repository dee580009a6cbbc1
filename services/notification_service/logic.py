"""The delivery logic: parse, deliver once, or reject.

Idempotency covers the delivery step only, keyed on the event id of an event
that already passed its schema, so that a rejected payload never leaves an
idempotency record behind.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools.utilities.idempotency import (
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)

from notification_service.errors import (
    EventInProgressError,
    EventRejectedError,
    IdempotencyStoreError,
)
from notification_service.messages import (
    notification_for,
    parse_event,
    rejection_record,
)
from notification_service.observability import logger

if TYPE_CHECKING:
    from uuid import UUID

    from aws_lambda_powertools.utilities.idempotency.persistence.base import (
        BasePersistenceLayer,
    )
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import (
        DataRecord,
    )
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from generated.handoff_event import HandoffEvent
    from notification_service.failure_queue import FailureQueue
    from notification_service.publisher import NotificationPublisher

IDEMPOTENCY_KEY_PREFIX: Final = "notification-service.deliver"
"""Fixed prefix of every idempotency record key.

Without it Powertools derives the prefix from the function name and the
decorated function's module path, so renaming either would forget every event
already delivered. Changing this value has the same effect: don't.
"""

_DUPLICATE: Final = "duplicate"


class Outcome(StrEnum):
    """How an invocation ended without raising."""

    DELIVERED = "delivered"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Result:
    """What happened to one event."""

    outcome: Outcome
    event_id: str | None
    message_id: str
    """The SNS message id (delivered, duplicate) or the SQS message id (rejected)."""


def idempotency_key(event_id: UUID) -> str:
    """The key of the idempotency record for ``event_id``, as Powertools builds it.

    Powertools hashes the JSON of what the ``id`` JMESPath selects from the
    event's ``model_dump(mode="json")``: the id's canonical text. The logs carry
    this key so that a record in the table can be traced to its log lines.
    """
    digest = hashlib.md5(json.dumps(str(event_id)).encode(), usedforsecurity=False)
    return f"{IDEMPOTENCY_KEY_PREFIX}#{digest.hexdigest()}"


class Notifier:
    """Delivers each valid event's notification once and parks invalid events.

    Parameters
    ----------
    publisher
        Publishes notification messages (SNS).
    failure_queue
        Takes failure records for rejected events (SQS).
    persistence_store
        The Powertools idempotency store (DynamoDB).
    expiry_seconds
        How long a delivered event id is remembered; see ``config``.
    """

    def __init__(
        self,
        publisher: NotificationPublisher,
        failure_queue: FailureQueue,
        persistence_store: BasePersistenceLayer,
        expiry_seconds: int,
    ) -> None:
        self._publisher = publisher
        self._failure_queue = failure_queue
        self._idempotency = IdempotencyConfig(
            event_key_jmespath="id",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=expiry_seconds,
            response_hook=_mark_duplicate,
        )
        self._publish_once = idempotent_function(
            self._publish,
            data_keyword_argument="event",
            persistence_store=persistence_store,
            config=self._idempotency,
            key_prefix=IDEMPOTENCY_KEY_PREFIX,
        )

    def handle(self, payload: object, context: LambdaContext) -> Result:
        """Deliver or reject one invocation's payload.

        Raises
        ------
        EventInProgressError
            Another invocation is delivering the same event right now.
        PublishError, IdempotencyStoreError, FailureQueueError
            A transient failure: Lambda should retry the event.
        """
        try:
            event = parse_event(payload)
        except EventRejectedError as rejection:
            return self._reject(payload, rejection, context)

        logger.append_keys(idempotency_key=idempotency_key(event.id))
        return self._deliver(event, context)

    def _deliver(self, event: HandoffEvent, context: LambdaContext) -> Result:
        # The in-progress record then expires with this invocation's timeout, so
        # a retry after a crash or timeout is not locked out until expiry.
        self._idempotency.register_lambda_context(context)
        try:
            response = self._publish_once(event=event)
        except IdempotencyAlreadyInProgressError as exc:
            msg = (
                f"Event {event.id} is being delivered by another invocation; "
                "retry later to find its outcome."
            )
            raise EventInProgressError(msg) from exc
        except IdempotencyPersistenceLayerError as exc:
            msg = f"The idempotency table failed for event {event.id}: {exc}"
            raise IdempotencyStoreError(msg) from exc

        if response.get(_DUPLICATE):
            logger.info("Event already delivered; nothing published")
            return Result(Outcome.DUPLICATE, str(event.id), response["messageId"])
        return Result(Outcome.DELIVERED, str(event.id), response["messageId"])

    def _publish(self, event: HandoffEvent) -> dict[str, str]:
        # Runs only while this invocation holds the event's in-progress record;
        # what it returns is stored as the record's response.
        message_id = self._publisher.publish(notification_for(event))
        logger.info("Notification published", extra={"message_id": message_id})
        return {"messageId": message_id}

    def _reject(
        self, payload: object, rejection: EventRejectedError, context: LambdaContext
    ) -> Result:
        message_id = self._failure_queue.send(
            rejection_record(payload, rejection, context)
        )
        logger.warning(
            "Event rejected and parked in the failure queue",
            extra={
                "field_errors": [e.model_dump() for e in rejection.field_errors],
                "failure_record_message_id": message_id,
            },
        )
        event_id = payload.get("id") if isinstance(payload, dict) else None
        return Result(
            Outcome.REJECTED,
            event_id if isinstance(event_id, str) else None,
            message_id,
        )


def _mark_duplicate(response: Any, idempotent_data: DataRecord) -> Any:  # noqa: ANN401 - Powertools' hook signature
    # Called only when Powertools answers from a completed record, i.e. for a
    # duplicate; the stored response is the first delivery's.
    return {**response, _DUPLICATE: True}
