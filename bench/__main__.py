"""``python -m bench run|drill|fuzz``: benchmarks, reliability drill, API fuzzing."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from bench import drill, fuzz
from bench.run import BenchOptions, run
from bench.stage import BenchError

ASSEMBLY_HELP = "read the templates from this cdk.out folder instead of a synth"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    args = _parser().parse_args(argv)
    # The stage's own progress lines would break up the tables.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    console = Console()
    if not console.is_terminal:  # e.g. under nox: tables would wrap at 80 columns
        console = Console(width=120)
    try:
        code: int = args.command(args, console)
    except BenchError as error:
        console.print(f"[bold red]error:[/] {error}")
        return 1
    return code


def _run(args: argparse.Namespace, console: Console) -> int:
    options = BenchOptions(
        pairs=args.pairs,
        warmup_pairs=args.warmup_pairs,
        latency_seconds=args.latency_seconds,
        clients=args.clients,
        throughput_rounds=args.rounds,
        round_seconds=args.round_seconds,
        cold_start_rounds=args.cold_start_rounds,
        architecture=args.architecture,
        skip_assets=args.skip_assets,
        assembly=args.assembly,
        output=args.output,
    )
    run(options, console)
    return 0


def _drill(args: argparse.Namespace, console: Console) -> int:
    options = drill.DrillOptions(
        tasks=args.tasks,
        clients=args.clients,
        fail_rate=args.fail_rate,
        duplicate_rate=args.duplicate_rate,
        seed=args.seed,
        time_factor=args.time_factor,
        time_limit=args.time_limit,
        assembly=args.assembly,
    )
    result = drill.run(options, console)
    return 1 if result.failed else 0


def _fuzz(args: argparse.Namespace, console: Console) -> int:
    options = fuzz.FuzzOptions(
        max_examples=args.max_examples,
        max_time=args.max_time,
        seed=args.seed,
        assembly=args.assembly,
    )
    return fuzz.run(options, console)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(required=True)

    defaults = BenchOptions()
    bench = commands.add_parser("run", help="run every benchmark (nox -s bench)")
    bench.set_defaults(command=_run)
    bench.add_argument(
        "--pairs",
        type=int,
        default=defaults.pairs,
        help="measured on/off pairs of create requests",
    )
    bench.add_argument("--warmup-pairs", type=int, default=defaults.warmup_pairs)
    bench.add_argument(
        "--latency-seconds",
        type=float,
        default=defaults.latency_seconds,
        help="stop the latency pairs after this long",
    )
    bench.add_argument("--clients", type=int, default=defaults.clients)
    bench.add_argument(
        "--rounds",
        type=int,
        default=defaults.throughput_rounds,
        help="throughput rounds per variant",
    )
    bench.add_argument("--round-seconds", type=float, default=defaults.round_seconds)
    bench.add_argument(
        "--cold-start-rounds", type=int, default=defaults.cold_start_rounds
    )
    bench.add_argument(
        "--architecture", choices=("arm64", "x86_64"), default=defaults.architecture
    )
    bench.add_argument(
        "--skip-assets", action="store_true", help="do not build the Lambda assets"
    )
    _common(bench, defaults.output)

    drilled = drill.DrillOptions()
    drilling = commands.add_parser("drill", help="the reliability drill (nox -s drill)")
    drilling.set_defaults(command=_drill)
    drilling.add_argument("--tasks", type=int, default=drilled.tasks)
    drilling.add_argument("--clients", type=int, default=drilled.clients)
    drilling.add_argument("--fail-rate", type=float, default=drilled.fail_rate)
    drilling.add_argument(
        "--duplicate-rate", type=float, default=drilled.duplicate_rate
    )
    drilling.add_argument("--seed", type=int, default=drilled.seed)
    drilling.add_argument("--time-factor", type=float, default=drilled.time_factor)
    drilling.add_argument(
        "--time-limit",
        type=float,
        default=drilled.time_limit,
        help="give up after this many seconds",
    )
    drilling.add_argument("--assembly", type=Path, help=ASSEMBLY_HELP)

    fuzzed = fuzz.FuzzOptions()
    fuzzing = commands.add_parser(
        "fuzz", help="schemathesis on the Task API (nox -s fuzz)"
    )
    fuzzing.set_defaults(command=_fuzz)
    fuzzing.add_argument(
        "--max-examples",
        type=int,
        default=fuzzed.max_examples,
        help="test cases per operation",
    )
    fuzzing.add_argument(
        "--max-time",
        type=int,
        default=fuzzed.max_time,
        help="time budget of the whole run, in seconds",
    )
    fuzzing.add_argument("--seed", type=int, default=fuzzed.seed)
    fuzzing.add_argument("--assembly", type=Path, help=ASSEMBLY_HELP)
    return parser


def _common(parser: argparse.ArgumentParser, output: Path) -> None:
    parser.add_argument("--assembly", type=Path, help=ASSEMBLY_HELP)
    parser.add_argument(
        "--output", type=Path, default=output, help="where to write the JSON results"
    )


if __name__ == "__main__":
    sys.exit(main())
