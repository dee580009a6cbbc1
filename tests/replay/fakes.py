"""Fakes and probes shared by the replay tests."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class FakeLambda:
    """A Lambda client that records Event invokes and answers like Lambda."""

    def __init__(self, status: int = 202, error: ClientError | None = None) -> None:
        self.status = status
        self.error = error
        self.invocations: list[dict[str, Any]] = []

    def invoke(self, **request: Any) -> dict[str, Any]:
        self.invocations.append({**request, "Payload": json.loads(request["Payload"])})
        if self.error is not None:
            raise self.error
        return {"StatusCode": self.status}

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [invocation["Payload"] for invocation in self.invocations]


def throttled() -> ClientError:
    return ClientError(
        {"Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"}},
        "Invoke",
    )


def visible_bodies(sqs: SQSClient, queue_url: str) -> list[str]:
    """Every body a new receiver would see now (receiving hides them again)."""
    bodies: list[str] = []
    while answer := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60
    ).get("Messages"):
        bodies += [message["Body"] for message in answer]
    return sorted(bodies)


def has_row(output: str, *cells: str) -> bool:
    """Whether a rich table in ``output`` has a row with ``cells``, in order."""
    pattern = r"\s*│\s*".join(re.escape(cell) for cell in cells)
    return re.search(rf"│\s*{pattern}\s*│", output) is not None


def listed(output: str, *cells: str) -> bool:
    """Whether the listing in ``output`` has outcome, condition, type, id and reason."""
    outcome, origin, event_type, event_id, reason = cells
    head = re.escape(f"{outcome} {origin} {event_type} event {event_id} (message ")
    tail = "" if reason == "-" else rf"\n    {re.escape(reason)}[ ]*$"
    return re.search(rf"^{head}[^)]+\)[ ]*{tail}", output, re.MULTILINE) is not None
