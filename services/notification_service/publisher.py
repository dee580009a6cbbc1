"""The SNS adapter: publishes notification messages to the topic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from notification_service.errors import PublishError

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

    from generated.notification_message import NotificationMessage


class NotificationPublisher:
    """Publishes each notification as one SNS message on one topic.

    The message attributes ``eventType`` and ``taskId`` repeat the body's fields
    of the same names, so that subscribers can filter without reading bodies.
    """

    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, message: NotificationMessage) -> str:
        """Publish ``message``; return the SNS message id or raise PublishError."""
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            "eventType": {"DataType": "String", "StringValue": message.event_type},
            "taskId": {"DataType": "String", "StringValue": str(message.task_id)},
        }
        try:
            response = self._client.publish(
                TopicArn=self._topic_arn,
                Message=message.model_dump_json(),
                MessageAttributes=attributes,
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            msg = f"SNS Publish to {self._topic_arn} failed: {code}"
            raise PublishError(msg) from exc
        except BotoCoreError as exc:
            msg = f"SNS Publish to {self._topic_arn} failed: {exc}"
            raise PublishError(msg) from exc
        return response["MessageId"]
