"""The local stage as the benchmark and the drill run it: instrumented, quiet, observed.

:class:`BenchStage` starts :class:`infra.local.stage.LocalStage` in this process from
a copy of the synthesized templates whose handler strings name the wrappers of
:mod:`bench.handlers`, collects their ``BENCH-REPORT`` lines, writes the functions'
other log lines to a file, and subscribes an inbox queue (raw delivery) to the
notification topic. Its moto server's DynamoDB writes are atomic, as DynamoDB's are
(:func:`infra.local.aws.start_moto_server` makes them so).
"""

from __future__ import annotations

import copy
import json
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.handlers import REPORT_PREFIX, WRAPPERS
from infra.local.aws import client, subscribe_queue
from infra.local.faults import FaultPlan
from infra.local.stage import (
    LocalStage,
    StageOptions,
    StageOutputs,
    read_assembly,
    synthesize_templates,
)
from infra.local.templates import StackTemplate, StageDescription

NOTIFICATION_FUNCTION = "NotificationFunction"
INBOX_QUEUE = "bench-notifications"


class BenchError(RuntimeError):
    """The benchmark or the drill could not run as asked."""


def load_templates(assembly: Path | None) -> list[StackTemplate]:
    """The stack templates: from a ``cdk.out`` folder, or a fresh synth."""
    return read_assembly(assembly) if assembly else synthesize_templates()


def instrument(stacks: Sequence[StackTemplate]) -> list[StackTemplate]:
    """Copies of ``stacks`` whose functions run the :mod:`bench.handlers` wrappers.

    Raises
    ------
    BenchError
        When a service handler of :data:`bench.handlers.WRAPPERS` is not found.
    """
    replaced: set[str] = set()
    copies = []
    for stack in stacks:
        template = copy.deepcopy(dict(stack.template))
        for resource in template.get("Resources", {}).values():
            properties = resource.get("Properties", {})
            handler = properties.get("Handler")
            if resource.get("Type") == "AWS::Lambda::Function" and handler in WRAPPERS:
                properties["Handler"] = WRAPPERS[handler]
                replaced.add(handler)
        copies.append(replace(stack, template=template))
    missing = sorted(set(WRAPPERS) - replaced)
    if missing:
        raise BenchError(f"the templates have no function with handler {missing}")
    return copies


class DurationLog:
    """The functions' log lines: ``BENCH-REPORT`` series kept, the rest to a file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w", encoding="utf-8")
        self._lock = threading.Lock()
        self._durations: dict[str, list[float]] = defaultdict(list)
        self.log_bytes: dict[str, int] = defaultdict(int)  # by function, as logged

    def __call__(self, function_key: str, line: str) -> None:
        with self._lock:
            if line.startswith(REPORT_PREFIX):
                series = json.loads(line.removeprefix(REPORT_PREFIX))
                for name, value in series.items():
                    self._durations[name].append(value)
            else:
                self.log_bytes[function_key] += len(line.encode()) + 1
                self._file.write(f"[{function_key}] {line}\n")

    def take(self) -> dict[str, list[float]]:
        """The durations (ms) per function since the last call, then forget them."""
        with self._lock:
            taken = {key: list(values) for key, values in self._durations.items()}
            self._durations.clear()
            return taken

    def close(self) -> None:
        with self._lock:
            self._file.close()


@dataclass(frozen=True)
class Delivery:
    """One notification read from the inbox: its body and when SNS published it."""

    body: Mapping[str, Any]
    published_at: float  # epoch seconds: the SQS SentTimestamp of the copy


class BenchStage:
    """A running, instrumented local stage with clients for its queues."""

    def __init__(
        self, stacks: Sequence[StackTemplate], options: StageOptions, log_file: Path
    ) -> None:
        self.log = DurationLog(log_file)
        self._stage = LocalStage(instrument(stacks), options, sink=self.log)
        self.outputs: StageOutputs

    def __enter__(self) -> BenchStage:
        try:
            self.outputs = self._stage.start()
            self._connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._stage.stop()
        finally:
            self.log.close()

    @property
    def description(self) -> StageDescription:
        assert self._stage.description is not None  # noqa: S101 - set by start()
        return self._stage.description

    def _connect(self) -> None:
        outputs = self.outputs
        self.sqs = client("sqs", outputs.aws_endpoint_url, outputs.region)
        self.failure_queue_url: str = outputs.queues["FailureQueue"]["url"]
        self.tasks_table: str = outputs.tables["TasksTable"]["name"]
        self.inbox_url = subscribe_queue(
            outputs.aws_endpoint_url,
            outputs.region,
            outputs.topics["NotificationTopic"]["arn"],
            INBOX_QUEUE,
        )

    # ------------------------------------------------------------ control

    def _control(self, method: str, path: str, document: Any = None) -> Any:  # noqa: ANN401 - JSON
        data = None if document is None else json.dumps(document).encode()
        request = urllib.request.Request(  # noqa: S310 - the stage's 127.0.0.1 URL
            f"{self.outputs.control_url}/{path}", data=data, method=method
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read() or b"null")

    def is_idle(self) -> bool:
        """Whether the async queue holds no event and runs no attempt."""
        return bool(self._control("GET", "queue")["idle"])

    def wait_until_idle(self, timeout: float, poll: float = 0.002) -> None:
        """Wait for the async queue to drain.

        Raises
        ------
        BenchError
            When it has not drained after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while not self.is_idle():
            if time.monotonic() > deadline:
                raise BenchError(f"the async queue did not drain in {timeout:g} s")
            time.sleep(poll)

    def set_faults(self, function: str, plan: FaultPlan) -> None:
        self._control("PUT", f"faults/{function}", plan.to_json())

    def reset_faults(self) -> None:
        self._control("DELETE", "faults")

    def stats(self) -> dict[str, dict[str, int]]:
        """The Lambda service's counts per function (accepted, attempts, ...)."""
        counts: dict[str, dict[str, int]] = self._control("GET", "stats")
        return counts

    # ------------------------------------------------------------ queues

    def drain_inbox(self) -> list[Delivery]:
        """Every notification in the inbox, with its publish time; deletes them."""
        return [
            Delivery(json.loads(message["Body"]), _sent_at(message))
            for message in self._drain(self.inbox_url)
        ]

    def drain_failure_queue(self) -> list[dict[str, Any]]:
        """Every failure record in the failure queue, parsed; deletes them."""
        return [
            json.loads(message["Body"])
            for message in self._drain(self.failure_queue_url)
        ]

    def _drain(self, queue_url: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while True:
            answer = self.sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                AttributeNames=["SentTimestamp"],
            )
            batch = answer.get("Messages", [])
            if not batch:
                return messages
            messages += batch
            self.sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(batch)
                ],
            )


def _sent_at(message: Mapping[str, Any]) -> float:
    return int(message["Attributes"]["SentTimestamp"]) / 1000
