"""``python -m bench run``: every benchmark in one run, one table, one JSON file."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bench import assets, cold_start, handoff_latency, throughput
from bench.stage import BenchStage, load_templates
from bench.stats import Summary, Target
from infra.local.stage import StageOptions
from infra.local.templates import StackTemplate, StageDescription
from infra.stages import Architecture

RESULTS_DIR = Path(__file__).parent / "results"
TARGETS: Mapping[str, Target] = {
    "handoff_p50_ratio": Target("at most", 1.15),
    "handoff_p99_ratio": Target("at most", 1.15),
    "throughput_ratio": Target("at least", 0.5),
    "cold_start_ratio": Target("at most", 1.3),
    "asset_mb": Target("at most", assets.BUDGET_MB),
}


@dataclass(frozen=True)
class BenchOptions:
    """How much to measure; every loop is bounded in count and in time."""

    pairs: int = 300
    warmup_pairs: int = 20
    latency_seconds: float = 120.0
    clients: int = 8
    throughput_rounds: int = 3
    round_seconds: float = 5.0
    cold_start_rounds: int = 12
    architecture: Architecture = "arm64"
    skip_assets: bool = False
    assembly: Path | None = None
    output: Path = RESULTS_DIR / "latest.json"


def run(options: BenchOptions, console: Console) -> dict[str, Any]:
    """Run every benchmark, print the table, write the JSON results; return them."""
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(),
        "machine": machine(),
    }
    if options.assembly is None:
        console.print("Synthesizing the CDK app for the local stage...")
    stacks = load_templates(options.assembly)

    stage_results, description = _on_the_stage(options, stacks, console)
    results |= stage_results
    results["coldStart"] = _cold_starts(options, description, console)
    sizes = [] if options.skip_assets else assets.measure(options.architecture)
    results["assets"] = [
        {"kind": size.kind, "unzippedMb": size.megabytes} for size in sizes
    ]
    results["finished"] = datetime.now(UTC).isoformat()
    results["targets"] = evaluate(results)

    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(results, indent=2) + "\n")
    console.print(table(results))
    console.print(f"Results written to {options.output}")
    return results


def _on_the_stage(
    options: BenchOptions, stacks: list[StackTemplate], console: Console
) -> tuple[dict[str, Any], StageDescription]:
    """The handoff, delivery and throughput figures, from one instrumented stage."""
    stage_options = StageOptions(
        function_concurrency=options.clients, async_concurrency=2, warm=True
    )
    log_file = options.output.parent / "stage.log"
    with (
        BenchStage(stacks, stage_options, log_file) as stage,
        Progress(console=console, transient=True) as progress,
    ):
        task = progress.add_task("handoff on/off", total=options.pairs * 2)
        handoff = handoff_latency.measure(
            stage,
            pairs=options.pairs,
            warmup_pairs=options.warmup_pairs,
            time_limit=options.latency_seconds,
            progress=lambda done: progress.update(task, completed=done),
        )
        durations = stage.log.take()
        counts = stage.stats()
        log_bytes = {
            key: stage.log.log_bytes[key] / counts[key]["attempts"]
            for key in counts
            if counts[key].get("attempts")
        }

        task = progress.add_task("throughput", total=None)
        rate = throughput.measure(
            stage,
            clients=options.clients,
            rounds=options.throughput_rounds,
            round_seconds=options.round_seconds,
        )
        progress.update(task, total=1, completed=1)
        description = stage.description

    figures = {
        "memoryMb": {f.key: f.memory_mb for f in description.functions.values()},
        "handoff": {
            "on": handoff.on.to_json(),
            "off": handoff.off.to_json(),
            "p50Ratio": handoff.p50_ratio,
            "p99Ratio": handoff.p99_ratio,
        },
        "delivery": {
            **handoff.delivery_ms.to_json(),
            "undelivered": handoff.undelivered,
        },
        "handlerDurationsMs": {
            name: Summary.of(values).to_json() for name, values in durations.items()
        },
        "logBytesPerInvocation": log_bytes,
        "throughput": {
            "clients": rate.clients,
            "apiPerSecond": rate.rate(throughput.API),
            "apiEndToEndPerSecond": rate.rate(throughput.API, with_drain=True),
            "apiHandoffOffPerSecond": rate.rate(throughput.API_OFF),
            "putItemPerSecond": rate.rate(throughput.PUT),
            "ratio": rate.api_ratio,
            "handoffOffRatio": rate.off_ratio,
            "endToEndRatio": rate.end_to_end_ratio,
            "rounds": [
                {
                    "variant": r.variant,
                    "operations": r.operations,
                    "seconds": r.seconds,
                    "drainSeconds": r.drain_seconds,
                }
                for r in rate.rounds
            ],
        },
    }
    return figures, description


def _cold_starts(
    options: BenchOptions, description: StageDescription, console: Console
) -> dict[str, Any]:
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("cold starts", total=options.cold_start_rounds + 1)
        cold = cold_start.measure(
            description,
            rounds=options.cold_start_rounds,
            progress=lambda done: progress.update(task, completed=done),
        )
    return {
        "boto3": cold.total[cold_start.BASELINE].to_json(),
        "handlers": {
            name: {**cold.total[name].to_json(), "ratio": cold.ratio(name)}
            for name in cold.handlers
        },
        "phasesP50Ms": {
            name: {
                "import": cold.import_ms[name].p50,
                "init": cold.init_ms[name].p50,
                "start": cold.total[name].p50
                - cold.import_ms[name].p50
                - cold.init_ms[name].p50,
            }
            for name in cold.total
        },
        "importBreakdownMs": {
            name: dict(costs[:12]) for name, costs in cold.breakdown.items()
        },
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": _cpu_model(),
        "loadAverage1m": load[0],
        "hostname": platform.node(),
        "epoch": time.time(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def evaluate(results: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target: the measured value, the bound and whether it is met."""
    values: dict[str, float] = {
        "handoff_p50_ratio": results["handoff"]["p50Ratio"],
        "handoff_p99_ratio": results["handoff"]["p99Ratio"],
        "throughput_ratio": results["throughput"]["ratio"],
    }
    for name, handler in results["coldStart"]["handlers"].items():
        values[f"cold_start_ratio:{name}"] = handler["ratio"]
    for asset in results["assets"]:
        values[f"asset_mb:{asset['kind']}"] = asset["unzippedMb"]
    evaluated = {}
    for name, value in values.items():
        target = TARGETS[name.split(":")[0]]
        evaluated[name] = {
            "value": value,
            "target": str(target),
            "met": target.met_by(value),
        }
    return evaluated


def table(results: Mapping[str, Any]) -> Table:
    """The figures of one run, with their targets."""
    grid = Table(title=f"Benchmarks, {results['started'][:19]}Z")
    for column in ("measure", "n", "p50", "p99", "ratio / value", "target"):
        grid.add_column(column, justify="left" if column == "measure" else "right")
    handoff = results["handoff"]
    targets = results["targets"]

    def verdict(name: str) -> str:
        target = targets[name]
        mark = "[green]met[/]" if target["met"] else "[red]missed[/]"
        return f"{target['target']} {mark}"

    for variant in ("on", "off"):
        figures = handoff[variant]
        grid.add_row(
            f"create latency, handoff {variant} (ms)",
            str(figures["n"]),
            f"{figures['p50']:.1f}",
            f"{figures['p99']:.1f}",
            "",
            "",
        )
    grid.add_row(
        "handoff cost: on / off, p50", "", "", "", f"{handoff['p50Ratio']:.3f}",
        verdict("handoff_p50_ratio"),
    )  # fmt: skip
    grid.add_row(
        "handoff cost: on / off, p99", "", "", "", f"{handoff['p99Ratio']:.3f}",
        verdict("handoff_p99_ratio"),
    )  # fmt: skip
    delivery = results["delivery"]
    grid.add_row(
        "delivery delay, request to SNS publish (ms)",
        str(delivery["n"]), f"{delivery['p50']:.1f}", f"{delivery['p99']:.1f}",
        f"{delivery['undelivered']} undelivered", "",
    )  # fmt: skip
    for name, figures in results["handlerDurationsMs"].items():
        grid.add_row(
            f"handler duration, {name} (ms)", str(figures["n"]),
            f"{figures['p50']:.1f}", f"{figures['p99']:.1f}", "", "",
        )  # fmt: skip
    rate = results["throughput"]
    grid.add_row(
        f"throughput, {rate['clients']} clients: API creates/s", "", "", "",
        f"{rate['apiPerSecond']:.1f}", "",
    )  # fmt: skip
    grid.add_row(
        f"throughput, {rate['clients']} clients: put_item/s", "", "", "",
        f"{rate['putItemPerSecond']:.1f}", "",
    )  # fmt: skip
    grid.add_row(
        "throughput ratio: API / put_item", "", "", "", f"{rate['ratio']:.3f}",
        verdict("throughput_ratio"),
    )  # fmt: skip
    grid.add_row(
        "  same, counting the notification drain", "", "", "",
        f"{rate['endToEndRatio']:.3f}", "",
    )  # fmt: skip
    grid.add_row(
        "  same, handoff off (explains the gap)", "", "", "",
        f"{rate['handoffOffRatio']:.3f}", "",
    )  # fmt: skip
    cold = results["coldStart"]
    grid.add_row(
        "cold start: import boto3 (ms)", str(cold["boto3"]["n"]),
        f"{cold['boto3']['p50']:.0f}", f"{cold['boto3']['p99']:.0f}", "", "",
    )  # fmt: skip
    for name, figures in cold["handlers"].items():
        grid.add_row(
            f"cold start: {name} (ms; ratio of p50s)", str(figures["n"]),
            f"{figures['p50']:.0f}", f"{figures['p99']:.0f}", f"{figures['ratio']:.2f}",
            verdict(f"cold_start_ratio:{name}"),
        )  # fmt: skip
    for name, phases in cold["phasesP50Ms"].items():
        grid.add_row(
            f"  {name}: start / import / init, p50 (ms)", "", "", "",
            f"{phases['start']:.0f} / {phases['import']:.0f} / "
            f"{phases['init']:.0f}",
            "",
        )  # fmt: skip
    for asset in results["assets"]:
        grid.add_row(
            f"asset {asset['kind']} (MB unzipped)", "", "", "",
            f"{asset['unzippedMb']:.2f}", verdict(f"asset_mb:{asset['kind']}"),
        )  # fmt: skip
    return grid
