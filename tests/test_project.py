"""Promises the repository makes to a newcomer and to CI."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    """The shell lines of the README's first code block (the two set-up commands)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.DOTALL)
    assert block, "the README has no bash block"
    lines = block.group(1).splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def test_readme_opens_with_deploy_and_test_commands() -> None:
    deploy, test = _readme_commands()

    assert deploy.endswith("nox -s deploy")
    assert test.endswith("nox -s test")


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()

    assert _readme_commands()[1] in ci_lines


def test_nox_bootstrap_requirements_are_pinned() -> None:
    lines = (ROOT / "requirements-nox.txt").read_text(encoding="utf-8").split()

    assert lines
    assert all(re.fullmatch(r"[a-z0-9-]+==[0-9.]+", line) for line in lines)
