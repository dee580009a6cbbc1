"""A tiny drill end to end: 20 tasks under faults, every event accounted for.

It starts the instrumented local stage in this process, from a fresh synth or from
``LOCAL_STAGE_ASSEMBLY`` (a ``cdk.out`` folder), as the e2e tests do.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.console import Console

from bench.accounting import Fate
from bench.drill import DrillOptions, run

pytestmark = pytest.mark.e2e


def test_small_drill_delivers_every_event_exactly_once(tmp_path: Path) -> None:
    assembly = os.environ.get("LOCAL_STAGE_ASSEMBLY")
    options = DrillOptions(
        tasks=20,
        clients=2,
        fail_rate=0.5,  # high, so that a few events exhaust their retries
        duplicate_rate=0.3,
        seed=3,
        time_limit=240,
        assembly=Path(assembly) if assembly else None,
        log_file=tmp_path / "stage.log",
    )
    with (tmp_path / "report.txt").open("w") as report:
        result = run(options, Console(file=report, width=120))

    assert len(result.written) == 20
    assert result.write_errors == []
    assert result.stats["duplicated"] > 0
    assert result.stats["failures"] > 0
    before = result.before.counts()
    assert before[Fate.LOST] == before[Fate.DUPLICATED] == 0
    assert result.after.counts()[Fate.DELIVERED] == 20
    assert result.left_parked == 0
    assert not result.failed
