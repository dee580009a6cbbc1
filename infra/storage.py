"""What both stacks store data in, following the stage's rules for keeping it."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.stages import StageSettings


def removal_policy(settings: StageSettings) -> RemovalPolicy:
    """Keep data when the stack is deleted in stages that retain data (``prd``)."""
    return RemovalPolicy.RETAIN if settings.retain_data else RemovalPolicy.DESTROY


def keyed_table(
    scope: Construct,
    construct_id: str,
    settings: StageSettings,
    *,
    time_to_live_attribute: str | None = None,
) -> dynamodb.Table:
    """An on-demand table keyed on the string ``id``, with point-in-time recovery.

    Deletion protection and retention follow the stage: in ``prd`` neither a
    stack deletion nor a stray API call can remove it.
    """
    return dynamodb.Table(
        scope,
        construct_id,
        partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
        time_to_live_attribute=time_to_live_attribute,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True,
            recovery_period_in_days=settings.backup_recovery_days,
        ),
        deletion_protection=settings.retain_data,
        removal_policy=removal_policy(settings),
    )
