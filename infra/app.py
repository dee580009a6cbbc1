"""The CDK app: both service stacks of one stage, tagged and checked by cdk-nag.

``cdk.json`` runs :func:`main` (``python -m infra.app``); the stage comes from context
(``-c stage=dev``) or the ``STAGE`` environment variable. Tests and the local stage
call :func:`build_app` directly.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Final

from aws_cdk import App, Environment, Tags
from aws_cdk import aws_lambda as lambda_

from infra.functions import placeholder_code
from infra.nag import add_nag_checks
from infra.notification_stack import NotificationServiceStack
from infra.packaging import BuiltAsset, FunctionKind, build_assets, describe_sizes
from infra.stages import CONTEXT_KEYS, StageSettings, load_settings
from infra.task_stack import TaskServiceStack

FEATURE_FLAGS: Final[dict[str, object]] = {
    # The Task stack imports the notification function and the failure queue:
    # strong references keep the Notification stack from dropping them while used.
    "@aws-cdk/core:defaultCrossStackReferences": "strong",
}


def notification_stack_name(stage: str) -> str:
    """The name of the Notification Service stack of ``stage``."""
    return f"NotificationService-{stage}"


def task_stack_name(stage: str) -> str:
    """The name of the Task Service stack of ``stage``."""
    return f"TaskService-{stage}"


def build_app(
    stage: str,
    *,
    outdir: str | None = None,
    bundle: bool = True,
    context: Mapping[str, Any] | None = None,
) -> App:
    """Define both stacks of ``stage`` in a new app, ready to synthesize.

    Parameters
    ----------
    stage
        ``local``, ``dev``, ``qat`` or ``prd``.
    outdir
        Where ``app.synth()`` writes the cloud assembly; a temporary folder if None.
    bundle
        Build the real Lambda assets (pip work, cached under ``build/``). False uses
        a small inline placeholder: enough for template tests and the local stage.
    context
        Extra CDK context, e.g. settings overrides (``{"maxEventAgeSeconds": 600}``).

    Raises
    ------
    infra.stages.StageSettingsError
        When a stage setting is missing or invalid.
    """
    app = App(outdir=outdir, context=dict(context or {}))
    _set_feature_flags(app)
    settings = load_settings(stage, context=_context_of(app))
    _define_stacks(app, settings, bundle=bundle)
    return app


def main() -> None:
    """Synthesize the stage named in context or ``STAGE`` (the ``cdk.json`` app)."""
    app = App()
    _set_feature_flags(app)
    settings = load_settings(context=_context_of(app))
    assets = _define_stacks(app, settings, bundle=True)
    # stderr: the CDK CLI passes it through, and stdout may carry the template.
    sys.stderr.write(f"Lambda assets for stage {settings.stage}:\n")
    for line in describe_sizes(assets.values()):
        sys.stderr.write(f"  {line}\n")
    app.synth()


def _define_stacks(
    app: App, settings: StageSettings, *, bundle: bool
) -> dict[FunctionKind, BuiltAsset]:
    """Add both stacks, the tags and the cdk-nag checks; return the built assets."""
    assets = build_assets(settings.architecture) if bundle else {}

    def code(kind: FunctionKind) -> lambda_.Code:
        if kind in assets:
            return lambda_.Code.from_asset(str(assets[kind].path))
        return placeholder_code()

    environment = Environment(account=settings.account, region=settings.region)
    notification = NotificationServiceStack(
        app,
        notification_stack_name(settings.stage),
        settings=settings,
        code=code("notification"),
        env=environment,
        description="Internal Handoff: the Notification Service and the failure queue",
    )
    TaskServiceStack(
        app,
        task_stack_name(settings.stage),
        settings=settings,
        code=code("task"),
        notification_function=notification.function,
        failure_queue=notification.failure_queue,
        env=environment,
        description="Internal Handoff: the Task Service and its REST API",
    )

    for key, value in settings.tags.items():
        Tags.of(app).add(key, value)
    add_nag_checks(app)
    return assets


def _set_feature_flags(app: App) -> None:
    """Pin the CDK behaviours this app relies on, unless context overrides them."""
    for flag, value in FEATURE_FLAGS.items():
        if app.node.try_get_context(flag) is None:
            app.node.set_context(flag, value)


def _context_of(app: App) -> dict[str, object]:
    """The settings given as CDK context (``-c``, ``cdk.json`` or ``context=``)."""
    values = {key: app.node.try_get_context(key) for key in CONTEXT_KEYS}
    return {key: value for key, value in values.items() if value is not None}


if __name__ == "__main__":
    main()
