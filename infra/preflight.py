"""Checks run before ``nox -s deploy`` or ``destroy`` lets the CDK CLI touch AWS.

``python -m infra.preflight STAGE`` exits with status 1 and says what is missing when
there are no AWS credentials or no region, so nothing is built, uploaded or changed.
It resolves credentials the way the CDK CLI and boto3 do (environment, profile, SSO
cache, container or instance role) without calling any AWS API.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

import boto3
from botocore.exceptions import BotoCoreError

from infra.stages import StageSettingsError, load_settings

NO_CREDENTIALS = (
    "no AWS credentials found: set AWS_PROFILE to a configured profile (and run "
    "`aws sso login` for SSO profiles), or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY; nothing was deployed or changed"
)
NO_REGION = (
    "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, a profile region, or "
    "HANDOFF_REGION); nothing was deployed or changed"
)


def problems(stage: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """What prevents deploying ``stage`` to AWS; empty when nothing does."""
    environ = os.environ if environ is None else environ
    try:
        settings = load_settings(stage, environ=environ)
    except StageSettingsError as error:
        return [str(error)]
    if not settings.is_aws:
        return [f"stage {stage!r} is not deployed to AWS; use dev, qat or prd"]

    found: list[str] = []
    try:
        session = boto3.Session()
        credentials = session.get_credentials()
    except BotoCoreError as error:  # e.g. a named profile that does not exist
        return [f"AWS credentials could not be loaded: {error}"]
    if credentials is None:
        found.append(NO_CREDENTIALS)
    # The CDK CLI also reads AWS_REGION, which botocore does not.
    region = settings.region or environ.get("AWS_REGION") or session.region_name
    if not region:
        found.append(NO_REGION)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Print each problem to stderr; the exit status says whether to go on."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if len(arguments) != 1:
        sys.stderr.write("usage: python -m infra.preflight dev|qat|prd\n")
        return 2
    found = problems(arguments[0])
    for problem in found:
        sys.stderr.write(f"error: {problem}\n")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
