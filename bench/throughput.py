"""Throughput of the Task API under concurrent clients, against bare ``put_item``.

Every variant uses the same number of client threads against the same moto server,
in rounds of equal length whose order rotates (API, API with the handoff off, put;
then off, put, API; ...). The API variants create tasks over HTTP; after each of
their rounds the async queue is drained before the next round starts, so that
deferred notification work never runs during another variant's round. That drain
time is reported too: the end-to-end rate counts a round until its last
notification. The handoff-off variant only explains the gap; the target compares
the API as it runs (handoff on) with ``put_item``.
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bench.api import TaskApiClient
from bench.handlers import HANDOFF_HEADER
from bench.stage import BenchError, BenchStage
from bench.stats import ratio
from infra.local.aws import client as aws_client

API, API_OFF, PUT = "api", "api, handoff off", "put_item"
VARIANTS = (API, API_OFF, PUT)
DRAIN_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class Round:
    variant: str
    operations: int
    seconds: float
    drain_seconds: float = 0.0


@dataclass(frozen=True)
class ThroughputResult:
    clients: int
    rounds: tuple[Round, ...]

    def _total(self, variant: str, *, with_drain: bool = False) -> tuple[int, float]:
        chosen = [r for r in self.rounds if r.variant == variant]
        seconds = sum(
            r.seconds + (r.drain_seconds if with_drain else 0) for r in chosen
        )
        return sum(r.operations for r in chosen), seconds

    def rate(self, variant: str, *, with_drain: bool = False) -> float:
        operations, seconds = self._total(variant, with_drain=with_drain)
        return ratio(operations, seconds)

    @property
    def api_ratio(self) -> float:
        return ratio(self.rate(API), self.rate(PUT))

    @property
    def off_ratio(self) -> float:
        return ratio(self.rate(API_OFF), self.rate(PUT))

    @property
    def end_to_end_ratio(self) -> float:
        return ratio(self.rate(API, with_drain=True), self.rate(PUT))


def round_order(rounds: int, variants: tuple[str, ...] = VARIANTS) -> list[str]:
    """Each round runs every variant once, the order rotating from round to round."""
    order: list[str] = []
    for index in range(rounds):
        shift = index % len(variants)
        order += [*variants[shift:], *variants[:shift]]
    return order


class Operation(Protocol):
    """What one client thread repeats; it owns a connection it closes at the end."""

    def __call__(self, index: int) -> None: ...

    def close(self) -> None: ...


def run_clients(
    clients: int, seconds: float, make_operation: Callable[[], Operation]
) -> tuple[int, float]:
    """Run ``clients`` threads calling their operation until ``seconds`` pass.

    Returns the number of completed operations and the elapsed time, measured
    until the last thread finished its last operation.
    """
    stop = threading.Event()
    counts = [0] * clients
    errors: list[BaseException] = []

    def work(slot: int) -> None:
        operation = make_operation()
        try:
            while not stop.is_set():
                operation(counts[slot])
                counts[slot] += 1
        except BaseException as error:  # reported to the caller below
            errors.append(error)
            stop.set()
        finally:
            operation.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for slot in range(clients):
            pool.submit(work, slot)
        stop.wait(seconds)
        stop.set()
    elapsed = time.perf_counter() - started
    if errors:
        raise BenchError(f"a client failed: {errors[0]!r}") from errors[0]
    return sum(counts), elapsed


def measure(
    stage: BenchStage, *, clients: int, rounds: int, round_seconds: float
) -> ThroughputResult:
    """Run ``rounds`` rounds of every variant, ``round_seconds`` each, after a warm-up.

    The warm-up round (API, not counted) starts a worker per client, so that no
    measured round pays for cold starts.
    """
    run_clients(clients, round_seconds, lambda: _CreateTask(stage))
    stage.wait_until_idle(DRAIN_TIMEOUT_SECONDS)
    results = []
    for variant in round_order(rounds):
        if variant == PUT:
            operations, seconds = run_clients(
                clients, round_seconds, lambda: _PutItem(stage)
            )
            results.append(Round(PUT, operations, seconds))
            continue
        headers = {HANDOFF_HEADER: "off" if variant == API_OFF else "on"}
        operations, seconds = run_clients(
            clients, round_seconds, functools.partial(_CreateTask, stage, headers)
        )
        drained = time.perf_counter()
        stage.wait_until_idle(DRAIN_TIMEOUT_SECONDS)
        results.append(
            Round(variant, operations, seconds, time.perf_counter() - drained)
        )
    stage.drain_inbox()
    return ThroughputResult(clients, tuple(results))


class _CreateTask:
    def __init__(
        self, stage: BenchStage, headers: Mapping[str, str] | None = None
    ) -> None:
        self._client = TaskApiClient(stage.outputs.api_url)
        self._headers = headers

    def __call__(self, index: int) -> None:
        answer = self._client.create_task(
            {"title": f"throughput {index}"}, self._headers
        )
        if answer.status != 201:
            raise BenchError(f"POST /tasks answered {answer.status}: {answer.body}")

    def close(self) -> None:
        self._client.close()


class _PutItem:
    def __init__(self, stage: BenchStage) -> None:
        # One boto3 client per thread, as each API thread has its own connection.
        outputs = stage.outputs
        self._dynamodb = aws_client(
            "dynamodb", outputs.aws_endpoint_url, outputs.region
        )
        self._table = stage.tasks_table

    def __call__(self, index: int) -> None:
        self._dynamodb.put_item(TableName=self._table, Item=_task_item(f"put {index}"))

    def close(self) -> None:
        self._dynamodb.close()


def _task_item(title: str) -> dict[str, Any]:
    """An item shaped like a stored task, so both variants write alike."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "id": {"S": str(uuid.uuid4())},
        "title": {"S": title},
        "isComplete": {"BOOL": False},
        "createdAt": {"S": now},
        "updatedAt": {"S": now},
        "version": {"N": "1"},
    }
