"""cdk-nag 3 (the AwsSolutions pack), registered as a CDK validation plugin.

cdk-nag 3 runs as a policy-validation plugin (``Validations.of(app).add_plugins``),
not as an Aspect: findings are reported when the app is synthesized, and any finding
that is not acknowledged fails the synth. Acknowledgements are recorded with
``Validations.of(construct).acknowledge`` beside the construct they concern, each
with its reason; :func:`acknowledge` refuses one without a reason.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_nag_checks(app: App) -> None:
    """Check the whole app against the AwsSolutions rules at synth time."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Accept a cdk-nag finding on ``scope`` (and below it) for a stated reason."""
    if not reason.strip():
        raise ValueError(f"acknowledging {rule_id} needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def unacknowledged_findings(app: App) -> list[str]:
    """Run the AwsSolutions rules over ``app`` now; one line per open finding."""
    report = AwsSolutionsChecks(app).validate_scope(app)
    return sorted(
        f"{violation.rule_name} at {resource.construct_path}: {violation.description}"
        for violation in report.violations
        for resource in violation.violating_resources
    )
