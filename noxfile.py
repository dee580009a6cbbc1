"""The project's one entry point: ``nox -s <session>``.

Every session reuses its virtual environment (``nox.options.reuse_venv``) and
re-installs the pinned dependencies from ``pyproject.toml`` each run, which uv
turns into a no-op when nothing changed. ``nox -s test -R`` skips even that.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
GENERATED = ROOT / "generated"

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
    session.run("mypy", "services", "generated", "infra", "tests", "noxfile.py")


@nox.session
def test(session: nox.Session) -> None:
    """Run the test suite: contract, unit, infrastructure and end-to-end tests."""
    install(session, "dev", "infra")
    ensure_node_packages(session)
    session.run("pytest", *session.posargs)


# ---------------------------------------------------------------- operations


@nox.session
def replay(session: nox.Session) -> None:
    """Replay the failure queue of a stage (local by default; -- --help for options)."""
    install(session, "dev")
    session.run("python", "-m", "infra.replay", *session.posargs)
