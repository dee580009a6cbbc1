"""The service's one Logger, Metrics and Tracer, shared by every module.

Metric names are the four outcomes an invocation can have; each invocation
adds exactly one of them.
"""

from __future__ import annotations

from typing import Final

from aws_lambda_powertools import Logger, Metrics, Tracer

from notification_service.config import SERVICE_NAME

logger: Final = Logger(service=SERVICE_NAME)
metrics: Final = Metrics(service=SERVICE_NAME)
tracer: Final = Tracer(service=SERVICE_NAME)

NOTIFICATIONS_DELIVERED: Final = "NotificationsDelivered"
"""An event's notification was published by this invocation."""
DUPLICATE_EVENTS: Final = "DuplicateEvents"
"""An event was already delivered; nothing was published again."""
PERMANENT_FAILURES: Final = "PermanentFailures"
"""An event broke its contract and was parked in the failure queue."""
TRANSIENT_FAILURES: Final = "TransientFailures"
"""The invocation raised so that Lambda retries the event."""
