"""Builders of failure-queue message bodies: events, records and worse."""

from __future__ import annotations

import json

from tests.factories import FUNCTION_ARN, TASK_ID, failure_record, handoff_event

__all__ = ["FUNCTION_ARN", "TASK_ID", "body", "failure_record", "handoff_event"]


def body(document: object) -> str:
    """The SQS message body carrying ``document``."""
    return json.dumps(document)
