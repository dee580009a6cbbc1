"""Stage settings come from context or environment, validated with clear errors."""

from __future__ import annotations

import pytest

from infra.stages import StageSettingsError, load_settings


@pytest.mark.parametrize(
    ("stage", "context", "environ", "message"),
    [
        (
            "staging",
            {},
            {},
            "stage must be one of local, dev, qat, prd, got 'staging'",
        ),
        (
            None,
            {},
            {},
            "no stage given: set context 'stage' (-c stage=dev) or the STAGE "
            "environment variable to one of local, dev, qat, prd",
        ),
        (
            None,
            {},
            {"STAGE": "prod"},
            "environment variable STAGE must be one of local, dev, qat, prd, "
            "got 'prod'",
        ),
        (
            "dev",
            {"maxEventAgeSeconds": "30"},
            {},
            "context 'maxEventAgeSeconds' must be an integer from 60 to 21600, "
            "got '30'",
        ),
        (
            "dev",
            {},
            {"HANDOFF_MAX_EVENT_AGE_SECONDS": "21601"},
            "environment variable HANDOFF_MAX_EVENT_AGE_SECONDS must be an integer "
            "from 60 to 21600, got '21601'",
        ),
        (
            "dev",
            {"maxEventAgeSeconds": "six hours"},
            {},
            "context 'maxEventAgeSeconds' must be an integer from 60 to 21600, "
            "got 'six hours'",
        ),
        (
            "dev",
            {"architecture": "aarch64"},
            {},
            "context 'architecture' must be one of arm64, x86_64, got 'aarch64'",
        ),
        (
            "qat",
            {},
            {"CDK_DEFAULT_ACCOUNT": "1234"},
            "environment variable CDK_DEFAULT_ACCOUNT must be a 12-digit account "
            "id, got '1234'",
        ),
        (
            "prd",
            {"region": "mars-1"},
            {},
            "context 'region' must be an AWS region such as eu-west-1, got 'mars-1'",
        ),
        (
            "dev",
            {"account": "000000000000"},
            {},
            "account 000000000000 is the local stage's dummy account; stage 'dev' "
            "deploys to AWS and needs a real account id",
        ),
        (
            "dev",
            {},
            {"HANDOFF_CORS_ALLOW_ORIGINS": "https://ok.example.com, ftp://files"},
            "environment variable HANDOFF_CORS_ALLOW_ORIGINS must list origins such "
            "as https://app.example.com (comma-separated) or '*', got 'ftp://files'",
        ),
        (
            "dev",
            {"throttlingRateLimit": "-5"},
            {},
            "context 'throttlingRateLimit' must be a positive number, got '-5'",
        ),
        (
            "dev",
            {"owner": "team<script>"},
            {},
            "context 'owner' must be a tag value of 1 to 256 letters, digits, "
            "spaces or _.:/=+@-, got 'team<script>'",
        ),
    ],
)
def test_invalid_setting_is_refused_with_its_name_and_source(
    stage: str | None, context: dict[str, str], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(StageSettingsError) as raised:
        load_settings(stage, context=context, environ=environ)

    assert str(raised.value) == message


def test_context_takes_precedence_over_environment() -> None:
    settings = load_settings(
        context={"stage": "qat", "maxEventAgeSeconds": 900},
        environ={"STAGE": "dev", "HANDOFF_MAX_EVENT_AGE_SECONDS": "120"},
    )

    assert (settings.stage, settings.max_event_age_seconds) == ("qat", 900)


def test_aws_stage_takes_account_and_region_from_the_cdk_cli() -> None:
    environ = {"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"}

    settings = load_settings("dev", environ=environ)

    assert (settings.account, settings.region) == ("123456789012", "eu-west-1")


def test_aws_stage_without_account_synthesizes_environment_agnostic() -> None:
    settings = load_settings("prd", environ={})

    assert (settings.account, settings.region) == (None, None)


def test_local_stage_uses_the_dummy_account_whatever_the_cli_says() -> None:
    environ = {"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"}

    settings = load_settings("local", environ=environ)

    assert (settings.account, settings.region) == ("000000000000", "us-east-1")


@pytest.mark.parametrize(
    ("stage", "iam", "retain", "log_days", "backup_days"),
    [
        ("local", False, False, 7, 7),
        ("dev", True, False, 7, 7),
        ("qat", True, False, 7, 7),
        ("prd", True, True, 30, 35),
    ],
)
def test_stage_derives_authorization_retention_and_backups(
    stage: str, iam: bool, retain: bool, log_days: int, backup_days: int
) -> None:
    settings = load_settings(stage, environ={})

    assert settings.iam_authorization is iam
    assert settings.retain_data is retain
    assert settings.log_retention_days == log_days
    assert settings.backup_recovery_days == backup_days


def test_defaults_match_the_architecture_doc() -> None:
    settings = load_settings("dev", environ={})

    assert settings.architecture == "arm64"
    assert settings.max_event_age_seconds == 6 * 3600
    # Event age + 14 days of failure queue retention + 1 day of margin.
    assert settings.idempotency_expiry_seconds == 6 * 3600 + 15 * 86400
    assert settings.tags == {
        "App": "internal-handoff",
        "Env": "dev",
        "OU": "engineering",
        "Owner": "platform-team",
    }
