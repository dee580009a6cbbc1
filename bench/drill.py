"""``python -m bench drill``: write tasks under faults, then account for every event.

1. Start the instrumented local stage with the Notification function failing a
   fraction of its attempts (seeded) and delivering some events twice.
2. ``clients`` threads create ``tasks`` tasks; the API's answers list the writes.
3. When the async queue is idle: read every notification (from a queue subscribed
   to the topic) and every failure record (left in the failure queue for the
   replay), and account: each event delivered exactly once or parked.
4. Clear the faults, replay the failure queue with :func:`infra.replay.replay`,
   and account again: each event delivered exactly once, nothing left parked.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bench.accounting import (
    EventSighting,
    Fate,
    Ledger,
    account,
    sighting_of_notification,
    sighting_of_record,
)
from bench.api import TaskApiClient
from bench.stage import NOTIFICATION_FUNCTION, BenchError, BenchStage, load_templates
from infra.local.aws import client as aws_client
from infra.local.faults import FaultPlan
from infra.local.stage import StageOptions
from infra.replay import (
    LambdaHandoff,
    ReplayOptions,
    ReplayReport,
    SqsFailureQueue,
    replay,
)
from infra.replay.engine import Outcome

# Lambda's retry delays of 1 and 2 minutes become 0.3 and 0.6 s; the 6-hour maximum
# event age becomes 108 s, longer than the drill's backlog lasts.
DEFAULT_TIME_FACTOR = 0.005
HIDE_SECONDS = 300  # failure records stay hidden while the drill reads them all


@dataclass(frozen=True)
class DrillOptions:
    tasks: int = 1000
    clients: int = 8
    fail_rate: float = 0.2
    duplicate_rate: float = 0.05
    seed: int = 8
    time_factor: float = DEFAULT_TIME_FACTOR
    async_concurrency: int = 4
    time_limit: float = 600.0
    assembly: Path | None = None
    log_file: Path = Path(__file__).parent / "results" / "drill-stage.log"


@dataclass
class DrillResult:
    written: list[str] = field(default_factory=list)
    write_errors: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    before: Ledger = field(default_factory=Ledger)
    replay: ReplayReport | None = None
    after: Ledger = field(default_factory=Ledger)
    left_parked: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return bool(
            self.write_errors
            or self.before.failed()
            or self.after.failed(replayed=True)
            or self.left_parked
            or (self.replay is not None and self.replay.failed)
        )


def run(options: DrillOptions, console: Console) -> DrillResult:
    """Run the drill, print the accounting; the result says whether it failed."""
    started = time.monotonic()
    deadline = started + options.time_limit
    if options.assembly is None:
        console.print("Synthesizing the CDK app for the local stage...")
    stacks = load_templates(options.assembly)
    faults = FaultPlan(
        fail_rate=options.fail_rate, duplicate_rate=options.duplicate_rate
    )
    stage_options = StageOptions(
        time_factor=options.time_factor,
        async_concurrency=options.async_concurrency,
        function_concurrency=options.clients,
        faults={NOTIFICATION_FUNCTION: faults},
        seed=options.seed,
    )
    result = DrillResult()
    with BenchStage(stacks, stage_options, options.log_file) as stage:
        # 1. Write under faults, and wait for every handoff to end.
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("writing tasks", total=options.tasks)
            result.written, result.write_errors = write_tasks(
                stage,
                options.tasks,
                options.clients,
                deadline,
                lambda: progress.advance(task),
            )
        console.print(f"{len(result.written)} tasks written; waiting for handoffs...")
        stage.wait_until_idle(_left(deadline))
        result.stats = stage.stats().get(NOTIFICATION_FUNCTION, {})

        # 2. Account: delivered exactly once, or parked.
        notifications = _notifications(stage)
        parked = _sightings(read_failure_records(stage))
        result.before = account(result.written, notifications, parked)

        # 3. Replay with faults off, and account again: delivered exactly once.
        console.print(f"Replaying {len(parked)} failure records with faults off...")
        stage.reset_faults()
        result.replay = replay_failure_queue(stage)
        stage.wait_until_idle(_left(deadline))
        notifications += _notifications(stage)
        left = _sightings(read_failure_records(stage))
        result.left_parked = len(left)
        result.after = account(result.written, notifications, left)

    result.seconds = time.monotonic() - started
    console.print(report(options, result))
    return result


def replay_failure_queue(stage: BenchStage) -> ReplayReport:
    """Replay every failure record with the replay tool's own loop."""
    outputs = stage.outputs
    lambda_client = aws_client("lambda", outputs.lambda_endpoint_url, outputs.region)
    return replay(
        SqsFailureQueue(stage.sqs, stage.failure_queue_url),
        LambdaHandoff(lambda_client, outputs.functions[NOTIFICATION_FUNCTION]["name"]),
        ReplayOptions(wait_seconds=0),
    )


def _notifications(stage: BenchStage) -> list[EventSighting]:
    return [sighting_of_notification(d.body) for d in stage.drain_inbox()]


def write_tasks(
    stage: BenchStage,
    count: int,
    clients: int,
    deadline: float,
    advance: Callable[[], None],
) -> tuple[list[str], list[str]]:
    """Create ``count`` tasks from ``clients`` threads; the ids and any errors."""
    numbers = itertools.count()
    lock = threading.Lock()
    written: list[str] = []
    errors: list[str] = []

    def client_loop() -> None:
        api = TaskApiClient(stage.outputs.api_url)
        try:
            while time.monotonic() < deadline:
                with lock:
                    number = next(numbers)
                if number >= count:
                    return
                answer = api.create_task({"title": f"drill task {number}"})
                with lock:
                    if answer.status == 201:
                        written.append(str(answer.body["id"]))
                    else:
                        errors.append(
                            f"POST /tasks answered {answer.status}: {answer.body}"
                        )
                advance()
        finally:
            api.close()

    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(client_loop) for _ in range(clients)]:
            future.result()
    if len(written) + len(errors) < count:
        errors.append(f"the time limit stopped the writes after {len(written)} tasks")
    return written, errors


def read_failure_records(stage: BenchStage) -> list[dict[str, Any]]:
    """Every failure record, read without deleting: the replay needs them after."""
    records: list[dict[str, Any]] = []
    handles: list[str] = []
    while True:
        answer = stage.sqs.receive_message(
            QueueUrl=stage.failure_queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=HIDE_SECONDS,
        )
        batch = answer.get("Messages", [])
        if not batch:
            break
        records += [json.loads(message["Body"]) for message in batch]
        handles += [message["ReceiptHandle"] for message in batch]
    for start in range(0, len(handles), 10):
        stage.sqs.change_message_visibility_batch(
            QueueUrl=stage.failure_queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for index, handle in enumerate(handles[start : start + 10])
            ],
        )
    return records


def _sightings(records: list[dict[str, Any]]) -> list[EventSighting]:
    found = [sighting_of_record(record) for record in records]
    if None in found:
        raise BenchError("a failure record carries no handoff event")
    return [sighting for sighting in found if sighting is not None]


def _left(deadline: float) -> float:
    return max(deadline - time.monotonic(), 1.0)


def report(options: DrillOptions, result: DrillResult) -> Table:
    """The accounting table."""
    verdict = "[red]FAILED[/]" if result.failed else "[green]passed[/]"
    grid = Table(
        title=(
            f"Reliability drill: {options.tasks} tasks, {options.clients} clients, "
            f"{options.fail_rate:.0%} failed attempts, {options.duplicate_rate:.0%} "
            f"duplicated deliveries (seed {options.seed}), {result.seconds:.0f} s: "
            f"{verdict}"
        )
    )
    grid.add_column("what")
    grid.add_column("count", justify="right")
    grid.add_row("tasks written (201)", str(len(result.written)))
    grid.add_row("writes refused or not made", str(len(result.write_errors)))
    for name in ("accepted", "duplicated", "attempts", "failures"):
        grid.add_row(f"Notification function: {name}", str(result.stats.get(name, 0)))
    before = result.before.counts()
    for fate in Fate:
        grid.add_row(f"before replay: {fate.value}", str(before[fate]))
    grid.add_row(
        "before replay: tasks with more than one event",
        str(len(result.before.tasks_with_several_events)),
    )
    if result.replay is not None:
        for outcome in Outcome:
            grid.add_row(f"replay: {outcome.value}", str(result.replay.count(outcome)))
    after = result.after.counts()
    for fate in Fate:
        grid.add_row(f"after replay: {fate.value}", str(after[fate]))
    grid.add_row("after replay: failure records left", str(result.left_parked))
    for error in result.write_errors[:5]:
        grid.add_row(f"write error: {error}", "")
    return grid
