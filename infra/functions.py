"""The one way this app defines a Lambda function: role, log group, runtime, tracing.

Every function gets its own role with no managed policy attached (the stacks grant
exactly what each function uses), its own log group with the stage's retention (so
no custom resource is needed to set it), X-Ray active tracing, the declared Python
runtime and architecture, and the Powertools settings of ``docs/architecture.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.nag import acknowledge
from infra.stages import StageSettings
from infra.storage import removal_policy

RUNTIME: Final = lambda_.Runtime.PYTHON_3_12
METRICS_NAMESPACE: Final = "InternalHandoff"

# Written when synthesizing with bundle=False: such templates are read, never deployed.
PLACEHOLDER_SOURCE: Final = (
    "# Placeholder: synthesized with bundle=False, for template tests and the local\n"
    "# stage, which runs each handler from the source tree. Not deployable.\n"
)

_ARCHITECTURES: Final = {
    "arm64": lambda_.Architecture.ARM_64,
    "x86_64": lambda_.Architecture.X86_64,
}


def placeholder_code() -> lambda_.Code:
    """A tiny inline code object that needs no packaging."""
    return lambda_.Code.from_inline(PLACEHOLDER_SOURCE)


def service_function(
    scope: Construct,
    construct_id: str,
    *,
    settings: StageSettings,
    code: lambda_.Code,
    handler: str,
    service_name: str,
    environment: Mapping[str, str],
    description: str,
    timeout: Duration,
    memory_size: int = 256,
) -> lambda_.Function:
    """A Python function with its own least-privilege role and log group.

    The role and log group ids are derived from ``construct_id`` without repeating
    it whole, so the function is the only resource whose logical id starts with
    ``construct_id`` (the local stage finds functions that way).
    """
    name = construct_id.removesuffix("Function")
    role = iam.Role(
        scope,
        f"{name}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"Runs {construct_id}; holds only what it uses",
    )
    log_group = logs.LogGroup(
        scope,
        f"{name}Logs",
        retention=log_retention(settings.log_retention_days),
        removal_policy=removal_policy(settings),
    )
    log_group.grant_write(role)

    function = lambda_.Function(
        scope,
        construct_id,
        description=description,
        runtime=RUNTIME,
        architecture=_ARCHITECTURES[settings.architecture],
        handler=handler,
        code=code,
        role=role,
        log_group=log_group,
        timeout=timeout,
        memory_size=memory_size,
        tracing=lambda_.Tracing.ACTIVE,
        environment={
            "POWERTOOLS_SERVICE_NAME": service_name,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
            **environment,
        },
    )
    _acknowledge_function_findings(function, role)
    return function


def _acknowledge_function_findings(function: lambda_.Function, role: iam.Role) -> None:
    acknowledge(
        function,
        "AwsSolutions-L1",
        "Python 3.12 is chosen on purpose: the assets are built with wheels for "
        "3.12, and the local stage runs the same code on Python 3.11; moving to "
        "a newer runtime is a deliberate upgrade of both.",
    )
    # Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords.
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "The X-Ray write actions that active tracing needs support no "
        "resource-level permissions; the wildcard covers only those two actions.",
    )


def log_retention(days: int) -> logs.RetentionDays:
    """The CloudWatch retention for a stage's ``log_retention_days`` (7 or 30)."""
    retention = {7: logs.RetentionDays.ONE_WEEK, 30: logs.RetentionDays.ONE_MONTH}
    return retention[days]
