"""Deploy and destroy stop before changing anything when AWS access is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.preflight import NO_CREDENTIALS, NO_REGION, main, problems


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials or region anywhere boto3 looks, and no instance metadata."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "HANDOFF_REGION",
        "CDK_DEFAULT_REGION",
        "CDK_DEFAULT_ACCOUNT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("no_aws")
def test_missing_credentials_and_region_are_both_named() -> None:
    assert problems("dev") == [NO_CREDENTIALS, NO_REGION]


@pytest.mark.usefixtures("no_aws")
def test_credentials_and_region_from_the_environment_are_enough(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    assert problems("prd") == []


def test_local_stage_is_not_deployed_to_aws() -> None:
    assert problems("local") == [
        "stage 'local' is not deployed to AWS; use dev, qat or prd"
    ]


@pytest.mark.usefixtures("no_aws")
def test_command_fails_and_says_what_is_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["qat"])

    assert status == 1
    assert capsys.readouterr().err == f"error: {NO_CREDENTIALS}\nerror: {NO_REGION}\n"
