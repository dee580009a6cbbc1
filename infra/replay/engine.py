"""The replay loop: drain the failure queue, hand events off again, delete after.

Visibility is what makes a run safe next to another run and against itself:

* a message is received with a visibility timeout long enough for one handoff
  (plus the wait the rate limit imposes on its batch), so no concurrent run sees
  it while this one hands it off; it is deleted only after the invoke was
  accepted. Should two runs still hand off the same event (a delete that failed,
  a handoff slower than the timeout), the Notification Service drops the
  duplicate by its event id.
* a message this run does not delete (kept, skipped, failed, or listed by a dry
  run) is *held*: its visibility is extended to ``hold_seconds`` so that the run
  does not receive it again and ends once every message was seen. When the run
  ends, however it ends, held messages are released (visibility 0), so the next
  run or a person sees them at once; were the process killed, the hold lapses by
  itself.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Protocol

from infra.replay.aws import SQS_BATCH_LIMIT, QueueMessage
from infra.replay.core import Facts, Replay, Selection, Skip, decide
from infra.replay.errors import FailureQueueError, HandoffFailedError

logger = logging.getLogger(__name__)

DEFAULT_HANDOFF_SECONDS: Final = 30
"""Time one handoff may take: the SDK's retries of an invoke fit well within it."""
DEFAULT_HOLD_SECONDS: Final = 15 * 60


class Outcome(StrEnum):
    """What became of one message."""

    REPLAYED = "replayed"
    WOULD_REPLAY = "would replay"
    FAILED = "failed"
    SKIPPED = "skipped"
    KEPT = "kept"


@dataclass(frozen=True)
class MessageReport:
    """One message's outcome, with the reason when it was not replayed."""

    message_id: str
    outcome: Outcome
    facts: Facts
    reason: str = ""


@dataclass
class ReplayReport:
    """Everything one run did, message by message."""

    dry_run: bool
    messages: list[MessageReport] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        """How many messages had ``outcome``."""
        return sum(1 for message in self.messages if message.outcome is outcome)

    @property
    def failed(self) -> bool:
        """Whether any handoff (or the delete after it) failed."""
        return self.count(Outcome.FAILED) > 0

    @property
    def problems(self) -> list[MessageReport]:
        """The kept and failed messages: those a person should look at."""
        return [
            message
            for message in self.messages
            if message.outcome in (Outcome.KEPT, Outcome.FAILED)
        ]


class FailureQueuePort(Protocol):
    """What the loop needs from the failure queue (see ``SqsFailureQueue``)."""

    def receive(
        self, *, max_messages: int, visibility_timeout: int, wait_seconds: int
    ) -> list[QueueMessage]: ...

    def delete(self, message: QueueMessage) -> None: ...

    def set_visibility(
        self, messages: Sequence[QueueMessage], seconds: int
    ) -> None: ...


class HandoffPort(Protocol):
    """What the loop needs to hand an event off (see ``LambdaHandoff``)."""

    def hand_off(self, payload: Mapping[str, Any]) -> None: ...


@dataclass(frozen=True, kw_only=True)
class ReplayOptions:
    """How one run behaves.

    Attributes
    ----------
    selection
        Which replayable messages to hand off (event types, conditions).
    dry_run
        List what would be replayed; invoke nothing, delete nothing.
    limit
        Hand off (or, in a dry run, list) at most this many events.
    rate
        At most this many handoffs per second.
    wait_seconds
        Long polling of each receive: SQS then asks all its servers, so an empty
        answer means an empty queue rather than an unlucky sample.
    handoff_seconds
        The visibility timeout a received message gets for its handoff.
    hold_seconds
        How long a message this run keeps stays hidden before it is released.
    """

    selection: Selection = field(default_factory=Selection)
    dry_run: bool = False
    limit: int | None = None
    rate: float | None = None
    wait_seconds: int = 1
    handoff_seconds: int = DEFAULT_HANDOFF_SECONDS
    hold_seconds: int = DEFAULT_HOLD_SECONDS

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be 1 or more, got {self.limit}")
        if self.rate is not None and not self.rate > 0:
            raise ValueError(f"rate must be a positive number, got {self.rate}")


class RateLimiter:
    """Spaces calls at least ``1 / rate`` seconds apart; no limit without a rate."""

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 0.0 if rate is None else 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = -math.inf

    def wait(self) -> None:
        """Return when the next call is allowed."""
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self._interval


def replay(
    queue: FailureQueuePort,
    handoff: HandoffPort,
    options: ReplayOptions | None = None,
    *,
    on_message: Callable[[MessageReport], None] | None = None,
    limiter: RateLimiter | None = None,
) -> ReplayReport:
    """Drain the failure queue once: replay what can be, keep and report the rest.

    Parameters
    ----------
    queue, handoff
        The failure queue and the handoff to the Notification function.
    options
        Selection, dry run, limit and rate; defaults replay everything.
    on_message
        Called with each message's report as soon as it is decided (progress).
    limiter
        Overrides the rate limiter built from ``options.rate`` (tests).

    Raises
    ------
    FailureQueueError
        When the queue cannot be read; messages held so far are released first.
    """
    options = options or ReplayOptions()
    run = _Run(
        queue,
        handoff,
        options,
        on_message or (lambda _report: None),
        limiter or RateLimiter(options.rate),
    )
    try:
        run.drain()
    finally:
        run.release_held()
    return run.report


class _Run:
    """The state of one replay run."""

    def __init__(
        self,
        queue: FailureQueuePort,
        handoff: HandoffPort,
        options: ReplayOptions,
        on_message: Callable[[MessageReport], None],
        limiter: RateLimiter,
    ) -> None:
        self._queue = queue
        self._handoff = handoff
        self._options = options
        self._on_message = on_message
        self._limiter = limiter
        self._handoffs = 0
        # Every message decided but not deleted, by id, with its latest receipt.
        self._held: dict[str, QueueMessage] = {}
        self.report = ReplayReport(dry_run=options.dry_run)

    def drain(self) -> None:
        """Receive batches until the queue is empty or the limit is reached."""
        while (room := self._room()) > 0:
            batch = self._queue.receive(
                max_messages=room,
                visibility_timeout=self._visibility_timeout(room),
                wait_seconds=self._options.wait_seconds,
            )
            if not batch:
                return

            to_hold: list[QueueMessage] = []
            for index, message in enumerate(batch):
                if self._room() == 0:
                    # Past the limit: hand the rest back untouched.
                    self._queue.set_visibility(batch[index:], 0)
                    break
                if self._handle(message):
                    to_hold.append(message)
            if to_hold:
                self._queue.set_visibility(to_hold, self._options.hold_seconds)

    def release_held(self) -> None:
        """Make every message this run kept visible again at once."""
        if self._held:
            self._queue.set_visibility(list(self._held.values()), 0)
            self._held.clear()

    def _room(self) -> int:
        if self._options.limit is None:
            return SQS_BATCH_LIMIT
        return min(SQS_BATCH_LIMIT, self._options.limit - self._handoffs)

    def _visibility_timeout(self, batch_size: int) -> int:
        # The last message of a batch waits for the rate limit of those before it.
        rate_wait = 0 if self._options.rate is None else batch_size / self._options.rate
        return self._options.handoff_seconds + math.ceil(rate_wait)

    def _handle(self, message: QueueMessage) -> bool:
        """Decide and act on one message; return whether to hold it."""
        if message.message_id in self._held:
            # Its hold lapsed during a long run: decided already, so only hold it.
            self._held[message.message_id] = message
            return True

        decision = decide(message.body, self._options.selection)
        if isinstance(decision, Replay) and not self._options.dry_run:
            return self._hand_off(message, decision)

        if isinstance(decision, Replay):
            self._handoffs += 1
            self._record(message, Outcome.WOULD_REPLAY, decision.facts)
        elif isinstance(decision, Skip):
            self._record(message, Outcome.SKIPPED, decision.facts, decision.reason)
        else:
            self._record(message, Outcome.KEPT, decision.facts, decision.reason)
        self._held[message.message_id] = message
        return True

    def _hand_off(self, message: QueueMessage, decision: Replay) -> bool:
        self._handoffs += 1
        self._limiter.wait()
        try:
            self._handoff.hand_off(decision.payload)
        except HandoffFailedError as error:
            self._record(message, Outcome.FAILED, decision.facts, str(error))
            self._held[message.message_id] = message
            return True

        try:
            self._queue.delete(message)
        except FailureQueueError as error:
            reason = (
                f"handed off, but the message was not deleted ({error}); a later "
                "replay hands it off again and the Notification Service drops the "
                "duplicate"
            )
            self._record(message, Outcome.FAILED, decision.facts, reason)
            self._held[message.message_id] = message
            return False
        self._record(message, Outcome.REPLAYED, decision.facts)
        return False

    def _record(
        self, message: QueueMessage, outcome: Outcome, facts: Facts, reason: str = ""
    ) -> None:
        report = MessageReport(message.message_id, outcome, facts, reason)
        logger.debug("message %s %s %s", message.message_id, outcome, reason)
        self.report.messages.append(report)
        self._on_message(report)
