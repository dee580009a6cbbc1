"""The errors replay raises on purpose; each message says what to do."""

from __future__ import annotations


class ReplayError(Exception):
    """Base of every error the replay tool raises on purpose."""


class StageLookupError(ReplayError):
    """The stage's failure queue or Notification function cannot be found."""


class FailureQueueError(ReplayError):
    """Reading or changing the failure queue failed; the run stops."""


class HandoffFailedError(ReplayError):
    """The Notification function did not accept an event; the message stays."""
