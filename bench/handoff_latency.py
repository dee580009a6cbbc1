"""The caller's cost of the handoff, and the delivery delay, from one interleaved run.

One client creates tasks one at a time, alternating the handoff on and off in
ABBA order (so neither variant always goes first). Before every request the
async queue must be idle: in AWS the Notification function runs on other
machines, so its work must not steal this machine's CPU from the next request.
Each "on" request's notification is then matched, by task id, to its SQS
``SentTimestamp`` (set by moto while SNS publishes) for the delivery delay.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.api import TaskApiClient
from bench.handlers import HANDOFF_HEADER
from bench.stage import BenchError, BenchStage
from bench.stats import Summary, ratio

ON, OFF = "on", "off"
_HEADERS = {ON: {HANDOFF_HEADER: "on"}, OFF: {HANDOFF_HEADER: "off"}}
IDLE_TIMEOUT_SECONDS = 30.0


@dataclass
class LatencySamples:
    """Create-task latencies (ms) per variant, and when each "on" task was sent."""

    latency_ms: dict[str, list[float]] = field(
        default_factory=lambda: {ON: [], OFF: []}
    )
    sent_at: dict[str, float] = field(default_factory=dict)  # task id -> epoch s


@dataclass(frozen=True)
class HandoffResult:
    on: Summary
    off: Summary
    delivery_ms: Summary
    undelivered: int

    @property
    def p50_ratio(self) -> float:
        return ratio(self.on.p50, self.off.p50)

    @property
    def p99_ratio(self) -> float:
        return ratio(self.on.p99, self.off.p99)


def abba_order(pairs: int) -> list[str]:
    """The variant of each request: on, off, off, on, on, off, ..."""
    return list(
        itertools.chain.from_iterable(
            (ON, OFF) if index % 2 == 0 else (OFF, ON) for index in range(pairs)
        )
    )


def delivery_delays_ms(
    sent_at: dict[str, float], published_at: dict[str, float]
) -> tuple[list[float], int]:
    """Delays (ms) of the tasks whose notification arrived, and how many did not."""
    delays = [
        (published_at[task] - sent) * 1000
        for task, sent in sent_at.items()
        if task in published_at
    ]
    return delays, len(sent_at) - len(delays)


def measure(
    stage: BenchStage,
    *,
    pairs: int,
    warmup_pairs: int,
    time_limit: float,
    progress: Callable[[int], None] = lambda _: None,
) -> HandoffResult:
    """Run the interleaved benchmark; ``time_limit`` bounds its measured part."""
    client = TaskApiClient(stage.outputs.api_url)
    try:
        for variant in abba_order(warmup_pairs):
            _create(client, variant, f"warm-up {variant}")
        stage.wait_until_idle(IDLE_TIMEOUT_SECONDS)
        stage.drain_inbox()
        stage.log.take()

        samples = LatencySamples()
        deadline = time.monotonic() + time_limit
        for index, variant in enumerate(abba_order(pairs)):
            if time.monotonic() > deadline and index % 2 == 0:
                break  # stop on a whole pair, so both variants keep equal counts
            stage.wait_until_idle(IDLE_TIMEOUT_SECONDS)
            sent = time.time()
            started = time.perf_counter()
            task_id = _create(client, variant, f"bench {variant} {index}")
            samples.latency_ms[variant].append((time.perf_counter() - started) * 1000)
            if variant == ON:
                samples.sent_at[task_id] = sent
            progress(index + 1)
    finally:
        client.close()

    stage.wait_until_idle(IDLE_TIMEOUT_SECONDS)
    published = {
        str(delivery.body["taskId"]): delivery.published_at
        for delivery in stage.drain_inbox()
    }
    delays, undelivered = delivery_delays_ms(samples.sent_at, published)
    if not delays:
        raise BenchError("no notification of the benchmark's tasks reached the inbox")
    return HandoffResult(
        on=Summary.of(samples.latency_ms[ON]),
        off=Summary.of(samples.latency_ms[OFF]),
        delivery_ms=Summary.of(delays),
        undelivered=undelivered,
    )


def _create(client: TaskApiClient, variant: str, title: str) -> str:
    answer = client.create_task({"title": title}, _HEADERS[variant])
    if answer.status != 201:
        raise BenchError(f"POST /tasks answered {answer.status}: {answer.body}")
    task_id: str = answer.body["id"]
    return task_id
