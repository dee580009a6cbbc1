"""The Notification Service's settings, read once per execution environment.

Every variable is checked when the first event of an execution environment
arrives (its cold start); a missing or malformed one raises
:class:`~notification_service.errors.ConfigurationError` naming it. The check
runs then rather than at import so that importing the handler stays as cheap as
importing boto3; the event of that first invocation is not lost, Lambda retries
it like any other failed invocation.

How long to remember an event id (``IDEMPOTENCY_EXPIRY_SECONDS``)
-----------------------------------------------------------------
The same event can arrive again as late as the end of its life in the
pipeline: Lambda may retry it until the function's maximum event age (at most
6 hours), and after that it may wait in the failure queue for the queue's
message retention (at most 14 days) before someone replays it. An idempotency
record that expires earlier would let that late replay publish a second
notification. The expiry must therefore be longer than the maximum event age
plus the failure queue's retention; the infrastructure derives it from both.
This module only insists on a positive whole number of seconds, because the two
other figures live in the stack, not in the function's environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from notification_service.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Mapping

SERVICE_NAME: Final = "notification-service"
"""The Powertools service name: on every log line and as a metric dimension."""

_POSITIVE_INTEGER = re.compile(r"[1-9][0-9]*", re.ASCII)
_TOPIC_ARN = re.compile(
    r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[\w-]{1,256}(\.fifo)?"
)
_QUEUE_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True, slots=True)
class Settings:
    """What the Notification Service reads from its environment."""

    idempotency_table_name: str
    """``IDEMPOTENCY_TABLE_NAME``: the Powertools idempotency table."""
    idempotency_expiry_seconds: int
    """``IDEMPOTENCY_EXPIRY_SECONDS``: how long an event id is remembered."""
    notification_topic_arn: str
    """``NOTIFICATION_TOPIC_ARN``: the SNS topic notifications go to."""
    failure_queue_url: str
    """``FAILURE_QUEUE_URL``: where rejected events are parked."""
    metrics_namespace: str
    """``POWERTOOLS_METRICS_NAMESPACE``: the CloudWatch namespace of the metrics."""


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read and check the settings; raise ConfigurationError naming a bad variable."""
    service_name = environ.get("POWERTOOLS_SERVICE_NAME")
    if service_name is not None and service_name != SERVICE_NAME:
        raise _malformed(
            "POWERTOOLS_SERVICE_NAME", service_name, f"must be '{SERVICE_NAME}'"
        )

    expiry = _required(environ, "IDEMPOTENCY_EXPIRY_SECONDS")
    if not _POSITIVE_INTEGER.fullmatch(expiry):
        raise _malformed(
            "IDEMPOTENCY_EXPIRY_SECONDS", expiry, "must be a positive whole number"
        )

    topic_arn = _required(environ, "NOTIFICATION_TOPIC_ARN")
    if not _TOPIC_ARN.fullmatch(topic_arn):
        raise _malformed(
            "NOTIFICATION_TOPIC_ARN", topic_arn, "must be an SNS topic ARN"
        )

    queue_url = _required(environ, "FAILURE_QUEUE_URL")
    if not _QUEUE_URL.fullmatch(queue_url):
        raise _malformed("FAILURE_QUEUE_URL", queue_url, "must be an SQS queue URL")

    return Settings(
        idempotency_table_name=_required(environ, "IDEMPOTENCY_TABLE_NAME"),
        idempotency_expiry_seconds=int(expiry),
        notification_topic_arn=topic_arn,
        failure_queue_url=queue_url,
        metrics_namespace=_required(environ, "POWERTOOLS_METRICS_NAMESPACE"),
    )


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        msg = f"Environment variable {name} is not set; the stack must define it."
        raise ConfigurationError(msg)
    return value


def _malformed(name: str, value: str, rule: str) -> ConfigurationError:
    return ConfigurationError(f"Environment variable {name} {rule}, got {value!r}.")
