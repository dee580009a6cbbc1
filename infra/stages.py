"""Stage settings: what differs between ``local``, ``dev``, ``qat`` and ``prd``.

Each setting is read, in order of precedence, from CDK context (``-c key=value`` or
``cdk.json``), from an environment variable, or from its default. Every value is
validated here, once, with an error that names where the bad value came from, so a
typo fails the synth before anything is built or deployed.

``local`` is the embedded stage that runs on this machine (issue 6): it mirrors ``dev``
but has no IAM authorization on the API (nothing verifies SigV4 on 127.0.0.1) and a
fixed dummy account and region.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, TypeVar, get_args

StageName = Literal["local", "dev", "qat", "prd"]
Architecture = Literal["arm64", "x86_64"]

STAGES: Final[tuple[StageName, ...]] = get_args(StageName)
AWS_STAGES: Final[tuple[StageName, ...]] = ("dev", "qat", "prd")
ARCHITECTURES: Final[tuple[Architecture, ...]] = get_args(Architecture)

APP_NAME: Final = "internal-handoff"
LOCAL_ACCOUNT: Final = "000000000000"
LOCAL_REGION: Final = "us-east-1"

# Lambda's own limits for an asynchronous event's age, in seconds.
MIN_EVENT_AGE_SECONDS: Final = 60
MAX_EVENT_AGE_SECONDS: Final = 6 * 60 * 60
# SQS's longest retention; the failure queue keeps records as long as SQS allows.
FAILURE_QUEUE_RETENTION_SECONDS: Final = 14 * 24 * 60 * 60
# Slack beyond (event age + queue retention), so an event replayed on the last day of
# its retention is still recognised as a duplicate.
IDEMPOTENCY_MARGIN_SECONDS: Final = 24 * 60 * 60

_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_ORIGIN = re.compile(r"\*|https?://[A-Za-z0-9.-]+(:\d{1,5})?")
_TAG_VALUE = re.compile(r"[\w .:/=+@-]{1,256}")

_T = TypeVar("_T")


class StageSettingsError(ValueError):
    """A stage setting is missing or invalid; the message names the setting."""


@dataclass(frozen=True, kw_only=True)
class StageSettings:
    """Everything the stacks need to know about one stage."""

    stage: StageName
    account: str | None
    region: str | None
    architecture: Architecture = "arm64"
    max_event_age_seconds: int = MAX_EVENT_AGE_SECONDS
    oldest_message_alarm_seconds: int = 60 * 60
    throttling_rate_limit: float = 50.0
    throttling_burst_limit: int = 100
    cors_allow_origins: tuple[str, ...] = ()
    owner: str = "platform-team"
    organizational_unit: str = "engineering"

    @property
    def is_aws(self) -> bool:
        """Whether the stage is deployed to AWS (as opposed to the local stage)."""
        return self.stage in AWS_STAGES

    @property
    def iam_authorization(self) -> bool:
        """Whether every API method requires SigV4 (IAM) authorization."""
        return self.is_aws

    @property
    def retain_data(self) -> bool:
        """Whether tables survive stack deletion and are protected from deletion."""
        return self.stage == "prd"

    @property
    def log_retention_days(self) -> int:
        """How long function and API logs are kept."""
        return 30 if self.stage == "prd" else 7

    @property
    def backup_recovery_days(self) -> int:
        """The point-in-time recovery window of the tables."""
        return 35 if self.stage == "prd" else 7

    @property
    def idempotency_expiry_seconds(self) -> int:
        """How long the Notification Service remembers an event id.

        Longer than any path by which the same event can come back: Lambda's retries
        (bounded by the maximum event age), then a replay from the failure queue
        (bounded by its retention), plus a day of margin.
        """
        return (
            self.max_event_age_seconds
            + FAILURE_QUEUE_RETENTION_SECONDS
            + IDEMPOTENCY_MARGIN_SECONDS
        )

    @property
    def tags(self) -> dict[str, str]:
        """The tags every resource carries."""
        return {
            "App": APP_NAME,
            "Env": self.stage,
            "OU": self.organizational_unit,
            "Owner": self.owner,
        }


@dataclass(frozen=True)
class _Source:
    """Where one setting comes from: a context key and an environment variable."""

    context_key: str
    environment_variable: str


_SETTINGS: Final[dict[str, _Source]] = {
    "stage": _Source("stage", "STAGE"),
    "account": _Source("account", "HANDOFF_ACCOUNT"),
    "region": _Source("region", "HANDOFF_REGION"),
    "architecture": _Source("architecture", "HANDOFF_ARCHITECTURE"),
    "max_event_age_seconds": _Source(
        "maxEventAgeSeconds", "HANDOFF_MAX_EVENT_AGE_SECONDS"
    ),
    "oldest_message_alarm_seconds": _Source(
        "oldestMessageAlarmSeconds", "HANDOFF_OLDEST_MESSAGE_ALARM_SECONDS"
    ),
    "throttling_rate_limit": _Source(
        "throttlingRateLimit", "HANDOFF_THROTTLING_RATE_LIMIT"
    ),
    "throttling_burst_limit": _Source(
        "throttlingBurstLimit", "HANDOFF_THROTTLING_BURST_LIMIT"
    ),
    "cors_allow_origins": _Source("corsAllowOrigins", "HANDOFF_CORS_ALLOW_ORIGINS"),
    "owner": _Source("owner", "HANDOFF_OWNER"),
    "organizational_unit": _Source("organizationalUnit", "HANDOFF_OU"),
}
# Every CDK context key a setting can be given with.
CONTEXT_KEYS: Final = tuple(source.context_key for source in _SETTINGS.values())


class _Reader:
    """Looks settings up in context, then the environment, and validates them."""

    def __init__(
        self, context: Mapping[str, object], environ: Mapping[str, str]
    ) -> None:
        self._context = context
        self._environ = environ

    def raw(self, name: str) -> tuple[str, str] | None:
        """The setting's text and a description of where it was found, if set."""
        source = _SETTINGS[name]
        value = self._context.get(source.context_key)
        if value is not None and str(value).strip():
            return str(value).strip(), f"context {source.context_key!r}"
        text = self._environ.get(source.environment_variable, "").strip()
        if text:
            return text, f"environment variable {source.environment_variable}"
        return None

    def get(self, name: str, parse: Callable[[str, str], _T], default: _T) -> _T:
        """The parsed setting, or the default when it is not set."""
        found = self.raw(name)
        return default if found is None else parse(*found)


def load_settings(
    stage: str | None = None,
    *,
    context: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> StageSettings:
    """Read and validate the settings of one stage.

    Parameters
    ----------
    stage
        The stage name; when omitted, read from context ``stage`` or ``STAGE``.
    context
        CDK context values (``app.node.try_get_context``), highest precedence.
    environ
        Environment variables; defaults to ``os.environ``.

    Raises
    ------
    StageSettingsError
        When a setting is missing or invalid; the message names it and its source.
    """
    environ = os.environ if environ is None else environ
    reader = _Reader(context or {}, environ)

    if stage is None:
        found = reader.raw("stage")
        if found is None:
            raise StageSettingsError(
                "no stage given: set context 'stage' (-c stage=dev) or the STAGE "
                f"environment variable to one of {', '.join(STAGES)}"
            )
        stage, where = found
    else:
        where = "stage"
    stage_name = _parse_stage(stage, where)

    account, region = _account_and_region(stage_name, reader, environ)
    return StageSettings(
        stage=stage_name,
        account=account,
        region=region,
        architecture=reader.get("architecture", _parse_architecture, "arm64"),
        max_event_age_seconds=reader.get(
            "max_event_age_seconds",
            _integer_between(MIN_EVENT_AGE_SECONDS, MAX_EVENT_AGE_SECONDS),
            MAX_EVENT_AGE_SECONDS,
        ),
        oldest_message_alarm_seconds=reader.get(
            "oldest_message_alarm_seconds",
            _integer_between(60, FAILURE_QUEUE_RETENTION_SECONDS),
            60 * 60,
        ),
        throttling_rate_limit=reader.get("throttling_rate_limit", _positive, 50.0),
        throttling_burst_limit=reader.get(
            "throttling_burst_limit", _integer_between(1, 5000), 100
        ),
        cors_allow_origins=reader.get("cors_allow_origins", _parse_origins, ()),
        owner=reader.get("owner", _parse_tag_value, "platform-team"),
        organizational_unit=reader.get(
            "organizational_unit", _parse_tag_value, "engineering"
        ),
    )


def _account_and_region(
    stage: StageName, reader: _Reader, environ: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """The target account and region; AWS stages fall back to the CDK CLI's."""
    if stage == "local":
        # The local stage never touches AWS: a fixed, recognisable dummy account.
        return (
            reader.get("account", _parse_account, LOCAL_ACCOUNT),
            reader.get("region", _parse_region, LOCAL_REGION),
        )

    # Neither set and no CLI defaults: an environment-agnostic synth, which is what
    # `nox -s synth` on a machine without an AWS account produces.
    account = reader.get("account", _parse_account, None) or _optional(
        environ.get("CDK_DEFAULT_ACCOUNT"),
        "environment variable CDK_DEFAULT_ACCOUNT",
        _parse_account,
    )
    if account == LOCAL_ACCOUNT:
        raise StageSettingsError(
            f"account {LOCAL_ACCOUNT} is the local stage's dummy account; stage "
            f"{stage!r} deploys to AWS and needs a real account id"
        )
    region = reader.get("region", _parse_region, None) or _optional(
        environ.get("CDK_DEFAULT_REGION"),
        "environment variable CDK_DEFAULT_REGION",
        _parse_region,
    )
    return account, region


def _optional(
    text: str | None, where: str, parse: Callable[[str, str], str]
) -> str | None:
    return parse(text.strip(), where) if text and text.strip() else None


# ---------------------------------------------------------------- parsers
# Each takes the raw text and where it came from, and names both in its error.


def _parse_stage(text: str, where: str) -> StageName:
    for stage in STAGES:
        if text == stage:
            return stage
    raise StageSettingsError(
        f"{where} must be one of {', '.join(STAGES)}, got {text!r}"
    )


def _parse_architecture(text: str, where: str) -> Architecture:
    for architecture in ARCHITECTURES:
        if text == architecture:
            return architecture
    raise StageSettingsError(
        f"{where} must be one of {', '.join(ARCHITECTURES)}, got {text!r}"
    )


def _parse_account(text: str, where: str) -> str:
    if not _ACCOUNT.fullmatch(text):
        raise StageSettingsError(f"{where} must be a 12-digit account id, got {text!r}")
    return text


def _parse_region(text: str, where: str) -> str:
    if not _REGION.fullmatch(text):
        raise StageSettingsError(
            f"{where} must be an AWS region such as eu-west-1, got {text!r}"
        )
    return text


def _integer_between(low: int, high: int) -> Callable[[str, str], int]:
    def parse(text: str, where: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise StageSettingsError(
                f"{where} must be an integer from {low} to {high}, got {text!r}"
            )
        return value

    return parse


def _positive(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise StageSettingsError(f"{where} must be a positive number, got {text!r}")
    return value


def _parse_origins(text: str, where: str) -> tuple[str, ...]:
    origins = tuple(origin.strip() for origin in text.split(",") if origin.strip())
    for origin in origins:
        if not _ORIGIN.fullmatch(origin):
            raise StageSettingsError(
                f"{where} must list origins such as https://app.example.com "
                f"(comma-separated) or '*', got {origin!r}"
            )
    return origins


def _parse_tag_value(text: str, where: str) -> str:
    if not _TAG_VALUE.fullmatch(text):
        raise StageSettingsError(
            f"{where} must be a tag value of 1 to 256 letters, digits, spaces "
            f"or _.:/=+@-, got {text!r}"
        )
    return text
