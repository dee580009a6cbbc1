"""Lambda's queue for asynchronous invocations, with its retry and age behaviour.

An accepted event is attempted once; when the attempt fails, Lambda retries it up
to ``MaximumRetryAttempts`` times, waiting about one minute before the first
retry and two before the second. An event older than ``MaximumEventAgeInSeconds``
is not attempted again. Either way the event goes to the on-failure destination
as a failure record. All durations are AWS durations multiplied by the stage's
time factor, so that a test sees the whole schedule in a fraction of a second.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from infra.local.runtime import InvocationResult
from infra.local.templates import FunctionSpec

logger = logging.getLogger(__name__)

# Lambda waits about a minute before the first retry and two before the second.
RETRY_DELAYS_SECONDS = (60.0, 120.0)

Condition = Literal["RetriesExhausted", "EventAgeExceeded", "Success"]


@dataclass
class QueuedEvent:
    """An accepted asynchronous invocation and its progress."""

    request_id: str
    function: FunctionSpec
    payload: Any
    due_at: float
    expires_at: float
    attempts: int = 0
    last_result: InvocationResult | None = None


@dataclass(frozen=True)
class QueueStats:
    """How many events wait for an attempt and how many are being attempted."""

    pending: int
    in_flight: int

    @property
    def idle(self) -> bool:
        return self.pending == 0 and self.in_flight == 0


AttemptRunner = Callable[[QueuedEvent], InvocationResult]
"""Runs one attempt of an event (faults included) and returns its result."""

RecordWriter = Callable[[str, dict[str, Any]], None]
"""Writes an invocation record to a destination ARN."""


def retry_delay(attempts_made: int) -> float:
    """Seconds (AWS time) Lambda waits after the given number of failed attempts."""
    index = min(attempts_made, len(RETRY_DELAYS_SECONDS)) - 1
    return RETRY_DELAYS_SECONDS[index]


def invocation_record(
    event: QueuedEvent, condition: Condition, timestamp: datetime
) -> dict[str, Any]:
    """The record Lambda sends to a destination, in AWS's format."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": timestamp.isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        ),
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": f"{event.function.arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": event.attempts,
        },
        "requestPayload": event.payload,
    }
    result = event.last_result
    if result is not None:
        response_context: dict[str, Any] = {
            "statusCode": 200,
            "executedVersion": "$LATEST",
        }
        if result.function_error is not None:
            response_context["functionError"] = result.function_error
        record["responseContext"] = response_context
        record["responsePayload"] = result.payload
    return record


@dataclass(order=True)
class _Entry:
    due_at: float
    sequence: int
    event: QueuedEvent = field(compare=False)


class AsyncEventQueue:
    """Hold accepted events, attempt them when due, and route the outcome.

    Parameters
    ----------
    run_attempt
        Runs one attempt; the queue counts attempts and keeps the last result.
    write_record
        Sends a record to a destination ARN (the on-failure queue, usually).
    time_factor
        Multiplies every AWS duration: retry delays and the maximum event age.
    clock
        Monotonic seconds; tests pass a fake one and call :meth:`process_due`.
    wall_clock
        The time written into records.
    """

    def __init__(
        self,
        run_attempt: AttemptRunner,
        write_record: RecordWriter,
        *,
        time_factor: float,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._run_attempt = run_attempt
        self._write_record = write_record
        self._factor = time_factor
        self._clock = clock
        self._wall_clock = wall_clock
        self._heap: list[_Entry] = []
        self._sequence = itertools.count()
        self._in_flight = 0
        self._stopping = False
        self._changed = threading.Condition()
        self._workers: list[threading.Thread] = []

    # ------------------------------------------------------------ producers

    def enqueue(
        self,
        function: FunctionSpec,
        payload: Any,  # noqa: ANN401 - any JSON value
        request_id: str,
        *,
        age_seconds: float = 0.0,
    ) -> None:
        """Accept an event; ``age_seconds`` (AWS time) makes it start older."""
        now = self._clock()
        remaining = function.async_config.max_event_age_seconds - age_seconds
        event = QueuedEvent(
            request_id=request_id,
            function=function,
            payload=payload,
            due_at=now,
            expires_at=now + remaining * self._factor,
        )
        self._push(event)

    def next_due(self) -> float | None:
        """When (on the queue's clock) the next event is due, if any waits."""
        with self._changed:
            return self._heap[0].due_at if self._heap else None

    def stats(self) -> QueueStats:
        with self._changed:
            return QueueStats(pending=len(self._heap), in_flight=self._in_flight)

    # ------------------------------------------------------------ consumers

    def process_due(self) -> bool:
        """Handle one event that is due now; False when none is."""
        with self._changed:
            if not self._heap or self._heap[0].due_at > self._clock():
                return False
            event = heapq.heappop(self._heap).event
            self._in_flight += 1
        try:
            self._handle(event)
        finally:
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()
        return True

    def start(self, concurrency: int) -> None:
        """Attempt events in ``concurrency`` background threads."""
        for number in range(concurrency):
            worker = threading.Thread(
                target=self._work, name=f"async-queue-{number}", daemon=True
            )
            worker.start()
            self._workers.append(worker)

    def stop(self) -> None:
        """Stop the workers after their current attempt; pending events are lost."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        for worker in self._workers:
            worker.join()

    # ------------------------------------------------------------ internals

    def _work(self) -> None:
        while True:
            with self._changed:
                while not self._stopping and not self._is_due():
                    self._changed.wait(self._wait_time())
                if self._stopping:
                    return
            self.process_due()

    def _is_due(self) -> bool:
        return bool(self._heap) and self._heap[0].due_at <= self._clock()

    def _wait_time(self) -> float | None:
        return max(self._heap[0].due_at - self._clock(), 0.0) if self._heap else None

    def _push(self, event: QueuedEvent) -> None:
        with self._changed:
            heapq.heappush(
                self._heap, _Entry(event.due_at, next(self._sequence), event)
            )
            self._changed.notify_all()

    def _handle(self, event: QueuedEvent) -> None:
        config = event.function.async_config
        if self._clock() >= event.expires_at:
            self._finish(event, "EventAgeExceeded", config.on_failure)
            return

        event.attempts += 1
        event.last_result = self._run_attempt(event)

        if not event.last_result.failed:
            self._finish(event, "Success", config.on_success)
        elif event.attempts > config.max_retry_attempts:
            self._finish(event, "RetriesExhausted", config.on_failure)
        else:
            delay = retry_delay(event.attempts) * self._factor
            # An event that would be too old at its retry leaves when it expires.
            event.due_at = min(self._clock() + delay, event.expires_at)
            logger.info(
                "%s: attempt %d of request %s failed; next attempt in %.2f s",
                event.function.key,
                event.attempts,
                event.request_id,
                event.due_at - self._clock(),
            )
            self._push(event)

    def _finish(
        self, event: QueuedEvent, condition: Condition, destination: str | None
    ) -> None:
        if condition != "Success":
            logger.warning(
                "%s: request %s leaves the queue: %s after %d attempt(s)",
                event.function.key,
                event.request_id,
                condition,
                event.attempts,
            )
        if destination is None:
            return
        record = invocation_record(event, condition, self._wall_clock())
        try:
            self._write_record(destination, record)
        except Exception:
            logger.exception(
                "could not write the %s record to %s", condition, destination
            )
