"""Configuration from environment variables, validated once per container.

Each function reads only what it needs: the read function never sees the name of the
handoff target, which keeps its permissions and its failure modes small.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_EVENT_SOURCE = "/internal-handoff/task-service"

_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
# A function name, a partial ARN or a full ARN, optionally with a version or alias.
_FUNCTION_NAME = re.compile(r"[A-Za-z0-9_.:$-]{1,170}")
_QUEUE_URL = re.compile(r"https?://\S+")


class ConfigurationError(ValueError):
    """An environment variable is missing or malformed; the cold start fails."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"Environment variable {variable} {problem}")
        self.variable = variable


def _required(
    environ: Mapping[str, str], variable: str, pattern: re.Pattern[str], expected: str
) -> str:
    value = environ.get(variable, "").strip()
    if not value:
        raise ConfigurationError(
            variable, f"is missing or empty; set it to {expected}."
        )
    if not pattern.fullmatch(value):
        raise ConfigurationError(
            variable, f"is malformed ({value!r}); set it to {expected}."
        )
    return value


@dataclass(frozen=True)
class ReadConfig:
    """What the read function needs: the tasks table."""

    tasks_table_name: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ReadConfig:
        """Read and validate the configuration, naming the first bad variable."""
        return cls(
            tasks_table_name=_required(
                environ, "TASKS_TABLE_NAME", _TABLE_NAME, "the tasks table's name"
            )
        )


@dataclass(frozen=True)
class WriteConfig:
    """What the write function needs: table, handoff target, failure queue."""

    tasks_table_name: str
    notification_function_name: str
    failure_queue_url: str
    event_source: str
    metrics_namespace: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> WriteConfig:
        """Read and validate the configuration, naming the first bad variable."""
        source = environ.get("EVENT_SOURCE", "").strip() or DEFAULT_EVENT_SOURCE
        if len(source) > 200:
            raise ConfigurationError(
                "EVENT_SOURCE", "is longer than 200 characters; shorten it."
            )
        return cls(
            tasks_table_name=_required(
                environ, "TASKS_TABLE_NAME", _TABLE_NAME, "the tasks table's name"
            ),
            notification_function_name=_required(
                environ,
                "NOTIFICATION_FUNCTION_NAME",
                _FUNCTION_NAME,
                "the Notification function's name or ARN",
            ),
            failure_queue_url=_required(
                environ, "FAILURE_QUEUE_URL", _QUEUE_URL, "the failure queue's URL"
            ),
            event_source=source,
            # Metrics are flushed only at the end of a request; without a namespace
            # that flush would fail after the task was stored, so fail early instead.
            metrics_namespace=_required(
                environ,
                "POWERTOOLS_METRICS_NAMESPACE",
                re.compile(r"\S{1,255}"),
                "the CloudWatch metrics namespace, e.g. InternalHandoff",
            ),
        )
