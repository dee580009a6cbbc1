"""The AWS adapters of replay: the failure queue (SQS) and the handoff (Lambda).

Every botocore error is translated here, once, into the replay's own errors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from infra.replay.errors import FailureQueueError, HandoffFailedError

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)

ACCEPTED: Final = 202
SQS_BATCH_LIMIT: Final = 10
"""The most messages one ReceiveMessage or ChangeMessageVisibilityBatch handles."""


@dataclass(frozen=True)
class QueueMessage:
    """One received failure-queue message."""

    message_id: str
    receipt_handle: str
    body: str


def _describe(error: ClientError | BotoCoreError) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code", "Unknown")
        message = details.get("Message", "")
        return f"{code}: {message}" if message else code
    return str(error)


class SqsFailureQueue:
    """Receives, deletes and hides or releases failure-queue messages."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self.queue_url = queue_url

    def approximate_size(self) -> int | None:
        """How many messages SQS thinks are visible, or None when it cannot say."""
        try:
            answer = self._client.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )
        except (ClientError, BotoCoreError) as error:
            logger.debug("queue size unknown: %s", _describe(error))
            return None
        return int(answer.get("Attributes", {}).get("ApproximateNumberOfMessages", 0))

    def receive(
        self, *, max_messages: int, visibility_timeout: int, wait_seconds: int
    ) -> list[QueueMessage]:
        """Receive up to ``max_messages``, hidden from others for the timeout."""
        try:
            answer = self._client.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=max_messages,
                VisibilityTimeout=visibility_timeout,
                WaitTimeSeconds=wait_seconds,
            )
        except (ClientError, BotoCoreError) as error:
            msg = f"cannot receive from the failure queue {self.queue_url}: "
            raise FailureQueueError(msg + _describe(error)) from error
        return [
            QueueMessage(
                message_id=message["MessageId"],
                receipt_handle=message["ReceiptHandle"],
                body=message.get("Body", ""),
            )
            for message in answer.get("Messages", [])
        ]

    def delete(self, message: QueueMessage) -> None:
        """Delete ``message`` for good."""
        try:
            self._client.delete_message(
                QueueUrl=self.queue_url, ReceiptHandle=message.receipt_handle
            )
        except (ClientError, BotoCoreError) as error:
            raise FailureQueueError(_describe(error)) from error

    def set_visibility(self, messages: Sequence[QueueMessage], seconds: int) -> None:
        """Hide ``messages`` for ``seconds`` more, or release them at once with 0.

        Best effort: a message whose receipt handle has expired was already
        released by its timeout, which is what either call wants in the end.
        """
        for start in range(0, len(messages), SQS_BATCH_LIMIT):
            chunk = messages[start : start + SQS_BATCH_LIMIT]
            try:
                answer = self._client.change_message_visibility_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {
                            "Id": str(index),
                            "ReceiptHandle": message.receipt_handle,
                            "VisibilityTimeout": seconds,
                        }
                        for index, message in enumerate(chunk)
                    ],
                )
            except (ClientError, BotoCoreError) as error:
                logger.debug("visibility not changed: %s", _describe(error))
                continue
            for failure in answer.get("Failed", []):
                logger.debug(
                    "visibility of message %s not changed: %s",
                    chunk[int(failure["Id"])].message_id,
                    failure.get("Code", "Unknown"),
                )


class LambdaHandoff:
    """Hands one event to the Notification function, as the Task Service does."""

    def __init__(self, client: LambdaClient, function_name: str) -> None:
        self._client = client
        self.function_name = function_name

    def hand_off(self, payload: Mapping[str, Any]) -> None:
        """Invoke the function asynchronously with ``payload``; raise unless 202."""
        try:
            answer = self._client.invoke(
                FunctionName=self.function_name,
                InvocationType="Event",
                Payload=json.dumps(payload, ensure_ascii=False).encode(),
            )
        except (ClientError, BotoCoreError) as error:
            raise HandoffFailedError(f"invoke refused: {_describe(error)}") from error
        status = answer.get("StatusCode")
        if status != ACCEPTED:
            msg = f"invoke answered {status}, not {ACCEPTED}"
            raise HandoffFailedError(msg)
