"""One local stage for the end-to-end tests, started once per test session.

The stage runs as its own process (``python -m infra.local``), exactly as
``nox -s deploy`` starts it, from a fresh synth of the CDK app; its output goes to
``stage.log`` in the session's temporary folder and is shown when start-up fails.
Set ``LOCAL_STAGE_ASSEMBLY`` to a ``cdk.out`` folder to skip the synth.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.stage import StageOutputs

ROOT = Path(__file__).resolve().parents[2]
# Lambda's retry delays of 1 and 2 minutes become 0.3 and 0.6 s.
TIME_FACTOR = 0.005
# The synth alone takes about a minute on a busy two-core machine.
START_TIMEOUT_SECONDS = 300


@pytest.fixture(scope="session")
def local_stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StageOutputs]:
    """Start the local stage with free ports; stop it with SIGTERM at the end."""
    folder = tmp_path_factory.mktemp("local-stage")
    outputs = folder / "outputs.json"
    log = folder / "stage.log"
    command = [
        sys.executable,
        "-m",
        "infra.local",
        *("--api-port", "0", "--aws-port", "0", "--lambda-port", "0"),
        *("--time-factor", str(TIME_FACTOR), "--outputs", str(outputs)),
    ]
    assembly = os.environ.get("LOCAL_STAGE_ASSEMBLY")
    if assembly:
        command += ["--assembly", assembly]

    with log.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 - our own module
            command, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        _wait_for_outputs(process, outputs, log)
        yield StageOutputs.read(outputs)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_outputs(
    process: subprocess.Popen[bytes], outputs: Path, log: Path
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not outputs.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the local stage did not start:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)
