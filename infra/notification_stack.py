"""The Notification Service stack: function, idempotency table, topic, failure queue.

This stack owns the failure queue because the queue is the on-failure destination of
its function; the Task Service stack receives the queue (and the function) as
construct properties and is granted what it needs there.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import CfnOutput, Duration, Environment, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.functions import service_function
from infra.nag import acknowledge
from infra.stages import FAILURE_QUEUE_RETENTION_SECONDS, StageSettings
from infra.storage import keyed_table, removal_policy

HANDLER: Final = "notification_service.handler.handle_handoff_event"
# Lambda's maximum for asynchronous retries, written out so the template states it.
RETRY_ATTEMPTS: Final = 2
# What Powertools' DynamoDB persistence layer calls on the idempotency table.
IDEMPOTENCY_ACTIONS: Final = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)


class NotificationServiceStack(Stack):
    """Delivers each handoff event at most once to the notification topic."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        code: lambda_.Code,
        env: Environment | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id, env=env, description=description)
        removal = removal_policy(settings)

        self.failure_queue = self._failure_queue(removal)
        self.topic = sns.Topic(
            self,
            "NotificationTopic",
            display_name="Internal Handoff task notifications",
            # The AWS managed key: encrypted at rest with no key policy to maintain;
            # publishers in this account need no KMS permission of their own.
            master_key=kms.Alias.from_alias_name(
                self, "SnsManagedKey", "alias/aws/sns"
            ),
            enforce_ssl=True,
        )
        idempotency_table = keyed_table(
            self, "IdempotencyTable", settings, time_to_live_attribute="expiration"
        )

        self.function = service_function(
            self,
            "NotificationFunction",
            settings=settings,
            code=code,
            handler=HANDLER,
            service_name="notification-service",
            description="Publishes one notification per handoff event",
            timeout=Duration.seconds(30),
            environment={
                "IDEMPOTENCY_TABLE_NAME": idempotency_table.table_name,
                "IDEMPOTENCY_EXPIRY_SECONDS": str(settings.idempotency_expiry_seconds),
                "NOTIFICATION_TOPIC_ARN": self.topic.topic_arn,
                "FAILURE_QUEUE_URL": self.failure_queue.queue_url,
            },
        )
        self.function.configure_async_invoke(
            retry_attempts=RETRY_ATTEMPTS,
            max_event_age=Duration.seconds(settings.max_event_age_seconds),
            on_failure=destinations.SqsDestination(self.failure_queue),
        )

        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=list(IDEMPOTENCY_ACTIONS),
                resources=[idempotency_table.table_arn],
            )
        )
        self.topic.grant_publish(self.function)
        # Already granted for the on-failure destination; stated again because the
        # function itself parks rejected events there.
        self.failure_queue.grant_send_messages(self.function)

        self._alarms(settings)
        CfnOutput(self, "FailureQueueUrl", value=self.failure_queue.queue_url)
        CfnOutput(self, "NotificationTopicArn", value=self.topic.topic_arn)

    def _failure_queue(self, removal: RemovalPolicy) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            "FailureQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.seconds(FAILURE_QUEUE_RETENTION_SECONDS),
            removal_policy=removal,
        )
        acknowledge(
            queue,
            "AwsSolutions-SQS3",
            "This queue is the dead-letter destination: Lambda's on-failure "
            "destination for the notification function. Its records are replayed "
            "by hand and watched by alarms; a queue behind it would hide them.",
        )
        return queue

    def _alarms(self, settings: StageSettings) -> None:
        cloudwatch.Alarm(
            self,
            "FailureQueueNotEmptyAlarm",
            alarm_description=(
                "Handoff events are waiting in the failure queue: inspect and replay."
            ),
            metric=self.failure_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        cloudwatch.Alarm(
            self,
            "FailureQueueOldestMessageAlarm",
            alarm_description=(
                "A failure record has waited longer than "
                f"{settings.oldest_message_alarm_seconds} s: replay it before the "
                "queue's retention drops it."
            ),
            metric=self.failure_queue.metric_approximate_age_of_oldest_message(
                period=Duration.minutes(5), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=settings.oldest_message_alarm_seconds,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
