"""The project's one entry point: ``nox -s <session>``.

Every session reuses its virtual environment (``nox.options.reuse_venv``) and
re-installs the pinned dependencies from ``pyproject.toml`` each run, which uv
turns into a no-op when nothing changed. ``nox -s test -R`` skips even that.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
GENERATED = ROOT / "generated"

COVERAGE_ARGS = (
    "--cov=task_service",
    "--cov=notification_service",
    "--cov=contract_types",
    "--cov-report=term-missing:skip-covered",
    "--cov-fail-under=95",
)

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["generate", "lint", "test"]
nox.options.error_on_missing_interpreters = True


def install(session: nox.Session, *groups: str) -> None:
    """Install the runtime dependencies and the named dependency groups."""
    requirements = list(PYPROJECT["project"]["dependencies"])
    for group in groups:
        requirements += nox.project.dependency_groups(PYPROJECT, group)
    session.install(*requirements)
    _put_sources_on_path(session)


def _put_sources_on_path(session: nox.Session) -> None:
    """Make the project's packages importable in the session's venv.

    The sources are not an installable distribution (each Lambda asset copies
    them), so a ``.pth`` file adds ``services/`` and the root to ``sys.path``,
    as ``pytest``'s ``pythonpath`` and mypy's ``mypy_path`` do.
    """
    site_packages = session.run(
        "python",
        "-c",
        "import sysconfig; print(sysconfig.get_path('purelib'))",
        silent=True,
    )
    if not isinstance(site_packages, str):  # `nox --install-only` runs nothing
        return
    pth = Path(site_packages.strip()) / "internal_handoff_sources.pth"
    pth.write_text(f"{ROOT / 'services'}\n{ROOT}\n", encoding="utf-8")


def ensure_node_packages(session: nox.Session) -> None:
    """Install the pinned Node packages (the CDK CLI) unless already current."""
    lock = ROOT / "package-lock.json"
    installed = ROOT / "node_modules" / ".package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    session.run("npm", "ci", "--no-audit", "--no-fund", external=True)


# ---------------------------------------------------------------- contracts


@nox.session
def generate(session: nox.Session) -> None:
    """Generate the pydantic models in generated/ from schemas/ (--check: verify)."""
    install(session, "dev")
    if "--check" in session.posargs:
        # datamodel-codegen's own check names each stale or orphaned file.
        session.run("datamodel-codegen", "--check")
        session.log("generated/ matches schemas/")
        return
    shutil.rmtree(GENERATED, ignore_errors=True)  # drop models of deleted schemas
    session.run("datamodel-codegen")


@nox.session
def lint(session: nox.Session) -> None:
    """Check formatting and lint with ruff, types with mypy (strict, pydantic)."""
    install(session, "dev", "infra")
    session.run("ruff", "format", "--check", ".")
    session.run("ruff", "check", ".")
    session.run(
        "mypy", "services", "generated", "infra", "bench", "tests", "noxfile.py"
    )


@nox.session
def test(session: nox.Session) -> None:
    """Run the test suite: contract, unit, infrastructure and end-to-end tests."""
    install(session, "dev", "infra")
    ensure_node_packages(session)
    # The whole suite also enforces a coverage floor on the services' code;
    # a run narrowed with posargs (`nox -s test -- tests/contract`) does not.
    session.run("pytest", *(session.posargs or COVERAGE_ARGS))


# ---------------------------------------------------------------- operations

# What every CDK CLI run gets. Node 20 is past end of life for jsii, which prints a
# dozen-line banner on each start; the pinned aws-cdk-lib still runs correctly on it,
# so the banner is silenced for Node 20 only (a newer Node is simply not affected).
# Notices, the version check and telemetry would each call out to the network.
CDK_ENV = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CDK_DISABLE_VERSION_CHECK": "1",
    "CDK_DISABLE_CLI_TELEMETRY": "true",
}
CDK_FLAGS = ("--no-notices",)
AWS_STAGES = ("dev", "qat", "prd")


def stage_argument(session: nox.Session) -> tuple[str | None, list[str]]:
    """Split ``-- --stage X [cdk options...]`` into the stage and the rest."""
    parser = argparse.ArgumentParser(prog=f"nox -s {session.name} --", add_help=False)
    parser.add_argument("--stage", choices=("local", *AWS_STAGES))
    known, rest = parser.parse_known_args(session.posargs)
    return known.stage, rest


def cdk(session: nox.Session, command: str, stage: str, *options: str) -> None:
    """Run the pinned CDK CLI (package.json) for ``stage``."""
    ensure_node_packages(session)
    session.run(
        "npx", "--no-install", "cdk", command, "-c", f"stage={stage}",
        *CDK_FLAGS, *options, external=True, env=CDK_ENV,
    )  # fmt: skip


def require_aws(session: nox.Session, stage: str) -> None:
    """Stop, saying what is missing, unless credentials and a region are set."""
    dev = nox.project.dependency_groups(PYPROJECT, "dev")
    session.install(*[r for r in dev if r.startswith("boto3==")])
    session.run("python", "-m", "infra.preflight", stage)


@nox.session
def synth(session: nox.Session) -> None:
    """Synthesize a stage into cdk.out and print its asset sizes (-- --stage dev)."""
    install(session, "infra")
    stage, rest = stage_argument(session)
    cdk(session, "synth", stage or "dev", "--quiet", *rest)


@nox.session
def deploy(session: nox.Session) -> None:
    """Deploy a stage: -- --stage dev|qat|prd to AWS; without --stage, run local."""
    stage, rest = stage_argument(session)
    if stage in (None, "local"):
        # The local stage runs on 127.0.0.1 from the synthesized templates.
        install(session, "dev", "infra")
        session.run("python", "-m", "infra.local", *rest)
        return
    install(session, "infra")
    require_aws(session, stage)
    cdk(session, "deploy", stage, "--all", *rest)


@nox.session
def destroy(session: nox.Session) -> None:
    """Delete a stage's stacks from AWS (-- --stage dev|qat|prd); prd keeps its data."""
    stage, rest = stage_argument(session)
    if stage not in AWS_STAGES:
        session.error("destroy needs -- --stage dev|qat|prd; local stops with Ctrl-C")
    install(session, "infra")
    require_aws(session, stage)
    cdk(session, "destroy", stage, "--all", *rest)


@nox.session
def replay(session: nox.Session) -> None:
    """Replay the failure queue of a stage (local by default; -- --help for options)."""
    install(session, "dev")
    session.run("python", "-m", "infra.replay", *session.posargs)


# ---------------------------------------------------------------- measurements


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark the handoff cost, delivery, throughput, cold starts and asset sizes."""
    install(session, "dev", "infra", "bench")
    session.run("python", "-m", "bench", "run", *session.posargs)


@nox.session
def drill(session: nox.Session) -> None:
    """Reliability drill: 1,000 tasks under faults, then account for every event."""
    install(session, "dev", "infra", "bench")
    session.run("python", "-m", "bench", "drill", *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """Fuzz the Task API with schemathesis on a local stage: no 5xx, schema-true."""
    install(session, "dev", "infra", "bench")
    session.run("python", "-m", "bench", "fuzz", *session.posargs)
