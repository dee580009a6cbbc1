"""The handoff adapter: send each event to the Notification function, never lose one.

An event goes out with ``lambda.invoke(InvocationType="Event")``; Lambda accepts it
with a 202 and from then on owns its retries. If the invoke is refused or fails after
the SDK's own retries, the event is parked in the failure queue as a failure record
(condition ``HandoffRefused``), the shape Lambda itself writes there, so that the same
replay delivers both. The caller is never told: its task is stored either way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from generated.failure_record import FailureRecord
from task_service.observability import MetricName, logger, metrics, tracer

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_lambda.client import LambdaClient
    from mypy_boto3_sqs.client import SQSClient

    from generated.handoff_event import HandoffEvent

ACCEPTED = 202


@dataclass(frozen=True)
class _Refusal:
    """Why an invoke did not hand the event over, in the failure record's terms."""

    request_id: str
    status_code: int | None
    error_type: str
    error_message: str


def _refusal_of_error(error: ClientError | BotoCoreError) -> _Refusal:
    if isinstance(error, ClientError):
        metadata = error.response.get("ResponseMetadata", {})
        details = error.response.get("Error", {})
        return _Refusal(
            request_id=metadata.get("RequestId", ""),
            status_code=metadata.get("HTTPStatusCode"),
            error_type=details.get("Code", type(error).__name__),
            error_message=details.get("Message", str(error)),
        )
    return _Refusal("", None, type(error).__name__, str(error))


class HandoffSender:
    """Hands events to the Notification function; parks the ones it refuses."""

    def __init__(
        self,
        lambda_client: LambdaClient,
        sqs_client: Callable[[], SQSClient],
        *,
        function_name: str,
        failure_queue_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._lambda = lambda_client
        # A factory: the SQS client is only needed to park, which is rare, so it
        # is not created on the cold-start path of every write container.
        self._sqs = sqs_client
        self._function = function_name
        self._queue_url = failure_queue_url
        self._clock = clock

    @tracer.capture_method
    def send(self, event: HandoffEvent) -> None:
        """Invoke the Notification function asynchronously; park a refused event."""
        payload = event.model_dump_json()
        try:
            answer = self._lambda.invoke(
                FunctionName=self._function, InvocationType="Event", Payload=payload
            )
        except (ClientError, BotoCoreError) as error:
            self._park(event, _refusal_of_error(error))
            return

        status = answer.get("StatusCode")
        if status != ACCEPTED:
            request_id = answer.get("ResponseMetadata", {}).get("RequestId", "")
            self._park(
                event,
                _Refusal(
                    request_id=request_id,
                    status_code=status,
                    error_type="UnexpectedStatusCode",
                    error_message=f"Lambda answered {status} to an Event invoke, "
                    f"not {ACCEPTED}",
                ),
            )
            return

        metrics.add_metric(name=MetricName.HANDOFFS_SENT, unit="Count", value=1)
        logger.info(
            "Handoff sent",
            event_id=str(event.id),
            event_type=event.type,
            task_id=str(event.subject),
        )

    def _park(self, event: HandoffEvent, refusal: _Refusal) -> None:
        record = self._failure_record(event, refusal)
        try:
            self._sqs().send_message(
                QueueUrl=self._queue_url, MessageBody=record.model_dump_json()
            )
        except (ClientError, BotoCoreError):
            # Both doors shut: the log line, with the whole event, is the last copy.
            metrics.add_metric(name=MetricName.HANDOFFS_LOST, unit="Count", value=1)
            logger.exception(
                "Handoff lost: the invoke was refused and the failure queue too",
                event_id=str(event.id),
                event=json.loads(event.model_dump_json()),
                refusal=refusal.error_type,
            )
            return
        metrics.add_metric(name=MetricName.HANDOFFS_PARKED, unit="Count", value=1)
        logger.warning(
            "Handoff refused, event parked in the failure queue",
            event_id=str(event.id),
            event_type=event.type,
            task_id=str(event.subject),
            error_type=refusal.error_type,
            error_message=refusal.error_message,
        )

    def _failure_record(self, event: HandoffEvent, refusal: _Refusal) -> FailureRecord:
        response_context = None
        if refusal.status_code is not None:
            response_context = {"statusCode": refusal.status_code}
        return FailureRecord.model_validate(
            {
                "version": "1.0",
                "timestamp": self._clock(),
                "requestContext": {
                    # A refused invoke may have no request id; the event id names it.
                    "requestId": refusal.request_id or str(event.id),
                    "functionArn": self._function,
                    "condition": "HandoffRefused",
                    "approximateInvokeCount": 0,
                },
                "requestPayload": json.loads(event.model_dump_json()),
                "responseContext": response_context,
                "responsePayload": {
                    "errorType": refusal.error_type,
                    "errorMessage": refusal.error_message,
                },
            }
        )
