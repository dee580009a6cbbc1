"""Cold start: import and initialise each handler in a fresh process, against boto3.

Every sample is a new ``python -c`` process with the function's environment as the
local stage builds it, which includes Lambda's own variables such as
``LAMBDA_TASK_ROOT`` (the X-Ray SDK reads it: outside Lambda its recorder builds two
botocore clients at import, ~0.3 s here, that it never builds in Lambda).
Endpoints point where nobody listens: initialisation only creates clients, it
sends nothing. The baseline runs
``import boto3`` in the same environment. Each process reports when its import
began and when its initialisation began and ended; a sample runs from spawning the
process until it is ready (its exit is left out, as Lambda keeps the environment),
and what comes before the import is the interpreter's start.
Rounds run every variant once, in a seeded random order, so that the machine's
noise spreads evenly. ``-X importtime`` gives the breakdown by package.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.handlers import WRAPPERS
from bench.stats import Summary, ratio
from infra.local.stage import function_environment
from infra.local.templates import StageDescription

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "boto3"
# What each function does on its cold start, by handler: (import, initialise).
STEPS: Mapping[str, tuple[str, str]] = {
    "boto3": ("import boto3", "pass"),
    "task_service.handlers.handle_read_request": (
        "from task_service import handlers, wiring",
        "wiring.task_queries()",  # what the first request runs first
    ),
    "task_service.handlers.handle_write_request": (
        "from task_service import handlers, wiring",
        "wiring.task_commands()",
    ),
    "notification_service.handler.handle_handoff_event": (
        "from notification_service import handler",
        "handler._notifier()",  # the handler builds its clients on the first event
    ),
}
_UNWRAPPED = {wrapper: handler for handler, wrapper in WRAPPERS.items()}
_UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing is sent at init
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s+)(\S+)")


@dataclass(frozen=True)
class Variant:
    name: str
    steps: tuple[str, str]
    environment: Mapping[str, str]

    @property
    def code(self) -> str:
        """A program that runs both steps and prints when each began and ended."""
        imports, initialise = self.steps
        return (
            "import time as _t, json as _j\n"
            "_a = _t.time()\n"
            f"{imports}\n"
            "_b = _t.time()\n"
            f"{initialise}\n"
            "_c = _t.time()\n"
            "print(_j.dumps({'importStart': _a, 'initStart': _b, 'ready': _c}))\n"
        )


@dataclass(frozen=True)
class Sample:
    """One cold start: from spawning the process until the handler is ready.

    The process's exit is left out: Lambda keeps the environment after its init.
    """

    ready_ms: float
    import_ms: float
    init_ms: float


@dataclass(frozen=True)
class ColdStartResult:
    total: Mapping[str, Summary]
    import_ms: Mapping[str, Summary]
    init_ms: Mapping[str, Summary]
    breakdown: Mapping[str, list[tuple[str, float]]]  # name -> (package, ms) by cost

    @property
    def handlers(self) -> list[str]:
        return [name for name in self.total if name != BASELINE]

    def ratio(self, name: str) -> float:
        return ratio(self.total[name].p50, self.total[BASELINE].p50)


def variants(stage: StageDescription) -> list[Variant]:
    """The baseline and one variant per function, each with its own environment."""
    found = []
    for function in sorted(stage.functions.values(), key=lambda f: f.key):
        # The bench stage runs the wrappers of bench.handlers; start the real handler.
        handler = _UNWRAPPED.get(function.handler, function.handler)
        if handler not in STEPS:
            continue
        environment = function_environment(function, stage, _UNREACHABLE, _UNREACHABLE)
        environment["PYTHONPATH"] = os.pathsep.join((str(ROOT / "services"), str(ROOT)))
        found.append(Variant(function.key, STEPS[handler], environment))
    if not found:
        raise ValueError("the stage has no functions")
    return [Variant(BASELINE, STEPS[BASELINE], found[0].environment), *found]


def run_once(variant: Variant, *options: str) -> tuple[Sample, str]:
    """Run one fresh process; its timings and its standard error."""
    started = time.time()  # the wall clock: the child reads the same one
    finished = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, *options, "-c", variant.code],
        env=dict(variant.environment),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(
            f"{variant.name} failed to start:\n{finished.stderr[-2000:]}"
        )
    marks = json.loads(finished.stdout.strip().splitlines()[-1])
    sample = Sample(
        ready_ms=(marks["ready"] - started) * 1000,
        import_ms=(marks["initStart"] - marks["importStart"]) * 1000,
        init_ms=(marks["ready"] - marks["initStart"]) * 1000,
    )
    return sample, finished.stderr


def cost_by_package(importtime_output: str) -> list[tuple[str, float]]:
    """Self import time (ms) summed per top-level package, most expensive first."""
    costs: dict[str, float] = defaultdict(float)
    for match in _IMPORT_LINE.finditer(importtime_output):
        package = match[4].split(".")[0]
        costs[package] += int(match[1]) / 1000
    return sorted(costs.items(), key=lambda item: item[1], reverse=True)


def measure(
    stage: StageDescription,
    *,
    rounds: int,
    warmup_rounds: int = 1,
    seed: int = 0,
    progress: Callable[[int], None] = lambda _: None,
) -> ColdStartResult:
    """Run ``rounds`` rounds of every variant (after ``warmup_rounds`` unrecorded)."""
    chosen = variants(stage)
    shuffle = random.Random(seed)  # noqa: S311 - ordering, not secrets
    samples: dict[str, list[Sample]] = {variant.name: [] for variant in chosen}
    for index in range(warmup_rounds + rounds):
        order = list(chosen)
        shuffle.shuffle(order)
        for variant in order:
            sample, _ = run_once(variant)
            if index >= warmup_rounds:
                samples[variant.name].append(sample)
        progress(index + 1)

    breakdown = {
        variant.name: cost_by_package(run_once(variant, "-X", "importtime")[1])
        for variant in chosen
    }
    return ColdStartResult(
        total={k: Summary.of([s.ready_ms for s in v]) for k, v in samples.items()},
        import_ms={k: Summary.of([s.import_ms for s in v]) for k, v in samples.items()},
        init_ms={k: Summary.of([s.init_ms for s in v]) for k, v in samples.items()},
        breakdown=breakdown,
    )
