"""The SQS adapter: parks failure records in the failure queue."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from notification_service.errors import FailureQueueError

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_sqs import SQSClient

    from generated.failure_record import FailureRecord


class FailureQueue:
    """Sends failure records, one SQS message each, to the failure queue."""

    def __init__(self, client: Callable[[], SQSClient], queue_url: str) -> None:
        # A factory: only rejected events need SQS, so the client is not created
        # on the cold-start path of every execution environment.
        self._client_factory = client
        self._queue_url = queue_url

    @cached_property
    def _client(self) -> SQSClient:
        return self._client_factory()

    def send(self, record: FailureRecord) -> str:
        """Send ``record``; return the SQS message id or raise FailureQueueError."""
        try:
            response = self._client.send_message(
                QueueUrl=self._queue_url,
                # exclude_unset keeps optional fields the record never had out of
                # the body, while nulls inside requestPayload stay as received.
                MessageBody=record.model_dump_json(exclude_unset=True),
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            msg = f"SQS SendMessage to {self._queue_url} failed: {code}"
            raise FailureQueueError(msg) from exc
        except BotoCoreError as exc:
            msg = f"SQS SendMessage to {self._queue_url} failed: {exc}"
            raise FailureQueueError(msg) from exc
        return response["MessageId"]
