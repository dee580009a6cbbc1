"""The Lambda entry point: ``notification_service.handler.handle_handoff_event``.

Lambda invokes it asynchronously with one handoff event. Returning ends the
event's life (delivered, duplicate or parked as rejected); raising asks Lambda
to retry it, and after the last retry Lambda writes the event to the failure
queue itself.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Final

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from notification_service.config import load_settings
from notification_service.errors import EventInProgressError
from notification_service.failure_queue import FailureQueue
from notification_service.logic import Notifier, Outcome
from notification_service.observability import (
    DUPLICATE_EVENTS,
    NOTIFICATIONS_DELIVERED,
    PERMANENT_FAILURES,
    TRANSIENT_FAILURES,
    logger,
    metrics,
    tracer,
)
from notification_service.publisher import NotificationPublisher

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

_METRIC_FOR_OUTCOME: Final = {
    Outcome.DELIVERED: NOTIFICATIONS_DELIVERED,
    Outcome.DUPLICATE: DUPLICATE_EVENTS,
    Outcome.REJECTED: PERMANENT_FAILURES,
}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handle_handoff_event(event: object, context: LambdaContext) -> dict[str, str]:
    """Deliver one handoff event's notification, or park the event if invalid.

    Parameters
    ----------
    event
        The invocation payload as Lambda deserialized it: a handoff event, or
        anything else a caller sent.
    context
        Lambda's context object.

    Returns
    -------
    dict[str, str]
        ``outcome`` (delivered, duplicate or rejected), ``eventId`` (empty when
        the payload had none) and ``messageId`` (of the SNS notification, or of
        the failure record for a rejected event). Lambda discards it for
        asynchronous invocations; it helps when invoking by hand.

    Raises
    ------
    NotificationServiceError
        Any failure but a rejected event, so that Lambda retries the event.
    """
    _tag_log_lines(event)

    try:
        result = _notifier().handle(event, context)
    except EventInProgressError:
        # Not a fault: the retry will find the other invocation's outcome.
        metrics.add_metric(name=TRANSIENT_FAILURES, unit=MetricUnit.Count, value=1)
        logger.warning("Event in progress elsewhere; raising so that Lambda retries")
        raise
    except Exception:
        metrics.add_metric(name=TRANSIENT_FAILURES, unit=MetricUnit.Count, value=1)
        logger.exception("Handling failed; raising so that Lambda retries the event")
        raise

    metrics.add_metric(
        name=_METRIC_FOR_OUTCOME[result.outcome], unit=MetricUnit.Count, value=1
    )
    return {
        "outcome": result.outcome.value,
        "eventId": result.event_id or "",
        "messageId": result.message_id,
    }


@functools.cache
def _notifier() -> Notifier:
    # Built on the first event of an execution environment, not at import:
    # importing stays cheap, and a bad environment fails that event (which
    # Lambda retries) with a message naming the variable.
    settings = load_settings(os.environ)
    return Notifier(
        publisher=NotificationPublisher(
            boto3.client("sns"), settings.notification_topic_arn
        ),
        failure_queue=FailureQueue(
            functools.partial(boto3.client, "sqs"), settings.failure_queue_url
        ),
        persistence_store=DynamoDBPersistenceLayer(
            table_name=settings.idempotency_table_name,
            boto3_client=boto3.client("dynamodb"),
            key_attr="id",
            expiry_attr="expiration",
        ),
        expiry_seconds=settings.idempotency_expiry_seconds,
    )


def _tag_log_lines(event: object) -> None:
    # Taken from the payload as it arrived, so that even a rejected event's
    # lines carry whatever correlation id and event id it has.
    if not isinstance(event, dict):
        return
    if isinstance(correlation_id := event.get("correlationid"), str):
        logger.set_correlation_id(correlation_id)
    if isinstance(event_id := event.get("id"), str):
        logger.append_keys(event_id=event_id)
