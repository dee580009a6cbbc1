"""Replay: drain the failure queue without losing or doubling anything.

Run it as ``nox -s replay -- [options]`` or ``python -m infra.replay --help``. From
Python, classify messages with :func:`decide`, or run the whole loop with
:func:`replay` over a :class:`SqsFailureQueue` and a :class:`LambdaHandoff`::

    target = find_target("local")
    report = replay(
        SqsFailureQueue(target.sqs_client(), target.failure_queue_url),
        LambdaHandoff(target.lambda_client(), target.notification_function),
        ReplayOptions(dry_run=True),
    )
"""

from __future__ import annotations

from infra.replay.aws import LambdaHandoff, QueueMessage, SqsFailureQueue
from infra.replay.core import (
    EVENT_TYPES,
    ORIGINS,
    Classification,
    Decision,
    Facts,
    Keep,
    Origin,
    Replay,
    Selection,
    Skip,
    classify,
    decide,
)
from infra.replay.engine import (
    FailureQueuePort,
    HandoffPort,
    MessageReport,
    Outcome,
    RateLimiter,
    ReplayOptions,
    ReplayReport,
    replay,
)
from infra.replay.errors import (
    FailureQueueError,
    HandoffFailedError,
    ReplayError,
    StageLookupError,
)
from infra.replay.targets import ReplayTarget, find_target

__all__ = [
    "EVENT_TYPES",
    "ORIGINS",
    "Classification",
    "Decision",
    "Facts",
    "FailureQueueError",
    "FailureQueuePort",
    "HandoffFailedError",
    "HandoffPort",
    "Keep",
    "LambdaHandoff",
    "MessageReport",
    "Origin",
    "Outcome",
    "QueueMessage",
    "RateLimiter",
    "Replay",
    "ReplayError",
    "ReplayOptions",
    "ReplayReport",
    "ReplayTarget",
    "Selection",
    "Skip",
    "SqsFailureQueue",
    "StageLookupError",
    "classify",
    "decide",
    "find_target",
    "replay",
]
