"""Synthesize each stage once per test session; jsii start-up and synth are slow."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from infra.app import build_app, notification_stack_name, task_stack_name


@dataclass(frozen=True)
class Synthesized:
    """One synthesized app and the templates of its two stacks."""

    app: App
    notification: Template
    task: Template

    def both(self) -> tuple[Template, Template]:
        return self.notification, self.task


Synthesize = Callable[..., Synthesized]


@pytest.fixture(scope="session")
def synthesize(tmp_path_factory: pytest.TempPathFactory) -> Synthesize:
    """Build and synthesize an app per (stage, context), once per session."""
    cache: dict[tuple[str, tuple[tuple[str, Any], ...]], Synthesized] = {}

    def get(stage: str, context: Mapping[str, Any] | None = None) -> Synthesized:
        key = (stage, tuple(sorted((context or {}).items())))
        if key not in cache:
            with pytest.MonkeyPatch.context() as patch:
                # Template tests check the templates themselves: CloudFormation
                # schema validation and cdk-nag (tested on its own) triple the
                # synth time, so they are off here.
                patch.setenv("CDK_VALIDATION", "false")
                for name in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION", "STAGE"):
                    patch.delenv(name, raising=False)
                outdir = tmp_path_factory.mktemp(f"cdk-{stage}")
                app = build_app(
                    stage, outdir=str(outdir), bundle=False, context=context
                )
                cache[key] = Synthesized(
                    app=app,
                    notification=Template.from_stack(
                        _stack(app, notification_stack_name(stage))
                    ),
                    task=Template.from_stack(_stack(app, task_stack_name(stage))),
                )
        return cache[key]

    return get


def _stack(app: App, name: str) -> Stack:
    stack = app.node.find_child(name)
    assert isinstance(stack, Stack)
    return stack
