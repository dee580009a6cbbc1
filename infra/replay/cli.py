"""The command line: ``python -m infra.replay`` (``nox -s replay -- ...``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from rich.console import Console
from rich.padding import Padding
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from infra.replay.aws import LambdaHandoff, SqsFailureQueue
from infra.replay.core import EVENT_TYPES, ORIGINS, Selection
from infra.replay.engine import (
    MessageReport,
    Outcome,
    ReplayOptions,
    ReplayReport,
    replay,
)
from infra.replay.errors import FailureQueueError, StageLookupError
from infra.replay.targets import DEFAULT_OUTPUTS_FILE, find_target

STAGES: Final = ("local", "dev", "qat", "prd")

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130

_STYLE: Final = {
    Outcome.REPLAYED: "green",
    Outcome.WOULD_REPLAY: "cyan",
    Outcome.FAILED: "red",
    Outcome.SKIPPED: "dim",
    Outcome.KEPT: "yellow",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m infra.replay``."""
    parser = argparse.ArgumentParser(
        prog="python -m infra.replay",
        description=(
            "Replay the failure queue: hand each failed event to the Notification "
            "Service again and delete its message only once the handoff was "
            "accepted. Messages that cannot be replayed are reported and kept."
        ),
    )
    parser.add_argument(
        "--stage",
        choices=STAGES,
        default="local",
        help="the stage to replay (default: local); AWS stages use the AWS "
        "credentials and region of the environment",
    )
    parser.add_argument(
        "--outputs",
        type=Path,
        default=DEFAULT_OUTPUTS_FILE,
        metavar="FILE",
        help="the local stage's outputs file (default: %(default)s)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="list what would be replayed; invoke nothing, delete nothing",
    )
    parser.add_argument(
        "--limit",
        type=_positive_int,
        metavar="N",
        help="replay at most N events",
    )
    parser.add_argument(
        "--type",
        dest="event_types",
        nargs="+",
        action="extend",
        choices=EVENT_TYPES,
        metavar="TYPE",
        help=f"replay only these event types ({', '.join(EVENT_TYPES)})",
    )
    parser.add_argument(
        "--condition",
        dest="origins",
        nargs="+",
        action="extend",
        choices=ORIGINS,
        metavar="CONDITION",
        help="replay only messages with these conditions "
        f"({', '.join(ORIGINS)}; DeadLetter: a bare event)",
    )
    parser.add_argument(
        "--rate",
        type=_positive_float,
        metavar="N",
        help="hand off at most N events per second",
    )
    parser.add_argument(
        "--replay-rejected",
        action="store_true",
        help="also replay EventRejected records whose event is valid now "
        "(after the cause of the rejection was fixed)",
    )
    return parser


def main(argv: Sequence[str] | None = None, *, console: Console | None = None) -> int:
    """Run the command line; return the exit status (1 when anything failed)."""
    arguments = build_parser().parse_args(argv)
    console = console or Console()
    options = ReplayOptions(
        selection=Selection(
            event_types=frozenset(arguments.event_types or ()),
            origins=frozenset(arguments.origins or ()),
            replay_rejected=arguments.replay_rejected,
        ),
        dry_run=arguments.dry_run,
        limit=arguments.limit,
        rate=arguments.rate,
    )

    try:
        target = find_target(arguments.stage, outputs_file=arguments.outputs)
    except StageLookupError as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        return EXIT_USAGE
    queue = SqsFailureQueue(target.sqs_client(), target.failure_queue_url)
    handoff = LambdaHandoff(target.lambda_client(), target.notification_function)
    mode = " (dry run: nothing is invoked or deleted)" if options.dry_run else ""
    console.print(
        f"Replaying [bold]{target.failure_queue_url}[/bold] to "
        f"[bold]{target.notification_function}[/bold] (stage {target.stage}){mode}",
        highlight=False,
    )

    try:
        report = _run_with_progress(console, queue, handoff, options)
    except FailureQueueError as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        if target.stage == "local":
            console.print("Is the local stage running? Start it with `nox -s deploy`.")
        return EXIT_FAILED
    except KeyboardInterrupt:
        console.print("interrupted: messages not yet deleted stay in the queue")
        return EXIT_INTERRUPTED

    print_report(console, report)
    return EXIT_FAILED if report.failed else EXIT_OK


def _run_with_progress(
    console: Console,
    queue: SqsFailureQueue,
    handoff: LambdaHandoff,
    options: ReplayOptions,
) -> ReplayReport:
    total = queue.approximate_size()
    if options.limit is not None and total is not None:
        total = min(total, options.limit)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("replaying", total=total or None)

        def advance(message: MessageReport) -> None:
            progress.update(task, advance=1, description=message.outcome.value)

        report = replay(queue, handoff, options, on_message=advance)
        progress.update(task, total=len(report.messages), description="done")
    return report


def print_report(console: Console, report: ReplayReport) -> None:
    """Print the summary table and the messages a person should look at."""
    summary = Table(title="Replay summary")
    summary.add_column("outcome")
    summary.add_column("messages", justify="right")
    first = Outcome.WOULD_REPLAY if report.dry_run else Outcome.REPLAYED
    for outcome in (first, Outcome.FAILED, Outcome.SKIPPED, Outcome.KEPT):
        summary.add_row(
            f"[{_STYLE[outcome]}]{outcome.value}[/]", str(report.count(outcome))
        )
    console.print(summary)

    listed = list(report.problems)
    if report.dry_run:
        listed = [
            message
            for message in report.messages
            if message.outcome is Outcome.WOULD_REPLAY
        ] + listed
    if listed:
        console.print()
        for message in listed:
            _print_message(console, message)


def _print_message(console: Console, message: MessageReport) -> None:
    # Lines, not a table: ids and reasons are long, and a table squeezed into
    # 80 columns cuts them off.
    facts = message.facts
    console.print(
        f"[{_STYLE[message.outcome]}]{message.outcome.value}[/] "
        f"{facts.origin or '-'} {facts.event_type or '-'} "
        f"event {facts.event_id or '-'} (message {message.message_id})",
        highlight=False,
    )
    if message.reason:
        console.print(Padding(message.reason, (0, 0, 0, 4)), highlight=False)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of 1 or more: {text!r}"
        )
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0: {text!r}")
    return value
