"""The service's one Logger, Metrics and Tracer (Powertools).

Metrics take their namespace from ``POWERTOOLS_METRICS_NAMESPACE``. The Tracer
switches itself off outside Lambda, and with ``POWERTOOLS_TRACE_DISABLED=true``.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE_NAME = "task-service"

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(service=SERVICE_NAME)
# The service talks to AWS only through botocore: trace that, patch nothing else.
tracer = Tracer(service=SERVICE_NAME, patch_modules=["botocore"])


class MetricName:
    """The names of the service's metrics, one place for dashboards and alarms."""

    TASKS_WRITTEN = "TasksWritten"
    HANDOFFS_SENT = "HandoffsSent"
    HANDOFFS_PARKED = "HandoffsParked"
    HANDOFFS_LOST = "HandoffsLost"
