"""``python -m infra.local``: run the local stage; helpers to look into it.

Commands (``up`` is the default)::

    python -m infra.local [up] [--api-port 3000] [--time-factor 0.05] [faults...]
    python -m infra.local subscribe           # a queue receiving every notification
    python -m infra.local receive QUEUE       # print (and delete) a queue's messages
    python -m infra.local fault FUNCTION ...  # change faults while the stage runs
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from infra.local.aws import client, subscribe_queue
from infra.local.errors import LocalStageError, PortInUseError
from infra.local.faults import FaultPlan
from infra.local.runtime import REPO_ROOT
from infra.local.stage import LocalStage, StageOptions, StageOutputs, read_assembly

# Where the replay tool and the helpers below look for it, whatever the working folder.
DEFAULT_OUTPUTS = REPO_ROOT / ".local-stage" / "outputs.json"
INBOX_QUEUE = "notifications-inbox"
EXIT_PORT_IN_USE = 2

_COMMANDS = ("up", "subscribe", "receive", "fault")

logger = logging.getLogger("infra.local")
console = Console(stderr=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; returns the process exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] not in _COMMANDS:
        arguments.insert(0, "up")
    args = _parser().parse_args(arguments)
    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except PortInUseError as error:
        console.print(f"[bold red]error:[/] {error}")
        return EXIT_PORT_IN_USE
    except LocalStageError as error:
        console.print(f"[bold red]error:[/] {error}")
        return 1


# ---------------------------------------------------------------- up


def run_stage(args: argparse.Namespace) -> int:
    """Start the stage, write the outputs file, wait for Ctrl-C or SIGTERM."""
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log
    logging.getLogger("botocore").setLevel(logging.WARNING)

    if args.assembly is None:
        console.print("Synthesizing the CDK app for the local stage...")
        stacks = None
    else:
        stacks = read_assembly(args.assembly)
    stage = LocalStage(stacks, _options(args))
    outputs = stage.start()  # takes down what it started when it fails
    try:
        # From here on Ctrl-C and SIGTERM both mean: stop cleanly. SIGINT is set
        # explicitly because a shell starts background jobs with it ignored.
        stopping = threading.Event()
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, lambda *_: stopping.set())
        outputs.write(args.outputs)
        _print_endpoints(outputs, args)
        stopping.wait()
    finally:
        console.print("Stopping the local stage...")
        stage.stop()
        args.outputs.unlink(missing_ok=True)
    console.print("Stopped.")
    return 0


def _options(args: argparse.Namespace) -> StageOptions:
    faults: dict[str, dict[str, Any]] = {}
    for option, field_name, parse in (
        ("fail_first", "fail_first", int),
        ("fail_rate", "fail_rate", float),
        ("timeout_first", "timeout_first", int),
        ("duplicate_rate", "duplicate_rate", float),
        ("event_age", "event_age_seconds", float),
    ):
        for function, value in getattr(args, option):
            faults.setdefault(function, {})[field_name] = parse(value)
    for function in args.throttle:
        faults.setdefault(function, {})["throttle"] = True
    try:
        plans = {name: FaultPlan.from_json(plan) for name, plan in faults.items()}
    except ValueError as error:
        raise LocalStageError(f"invalid fault option: {error}") from error
    return StageOptions(
        api_port=args.api_port,
        aws_port=args.aws_port,
        lambda_port=args.lambda_port,
        time_factor=args.time_factor,
        region=args.region,
        async_concurrency=args.async_concurrency,
        function_concurrency=args.function_concurrency,
        faults=plans,
        seed=args.seed,
    )


def _print_endpoints(outputs: StageOutputs, args: argparse.Namespace) -> None:
    table = Table(title="Local stage", show_header=False, title_justify="left")
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")  # names and URLs are copied: never cut them
    table.add_row("API", outputs.api_url)
    table.add_row("AWS endpoint (DynamoDB, SQS, SNS)", outputs.aws_endpoint_url)
    table.add_row("Lambda endpoint", outputs.lambda_endpoint_url)
    table.add_row("Control", outputs.control_url)
    for key, function in outputs.functions.items():
        table.add_row(f"function {key}", function["name"])
    for key, queue in outputs.queues.items():
        table.add_row(f"queue {key}", queue["url"])
    for key, topic in outputs.topics.items():
        table.add_row(f"topic {key}", topic["arn"])
    table.add_row("time factor", f"{args.time_factor:g}")
    table.add_row("outputs file", str(args.outputs))
    console.print(table)
    console.print("Ready. Press Ctrl-C to stop.")


# ---------------------------------------------------------------- helpers


def subscribe(args: argparse.Namespace) -> int:
    """Create a queue subscribed (raw delivery) to a topic; print its URL."""
    outputs = StageOutputs.read(args.outputs)
    topic = _pick(outputs.topics, args.topic, "topic")["arn"]
    url = subscribe_queue(outputs.aws_endpoint_url, outputs.region, topic, args.queue)
    print(url)  # noqa: T201 - the command's output
    return 0


def receive(args: argparse.Namespace) -> int:
    """Print the messages of a queue (by outputs key or name) as JSON lines."""
    outputs = StageOutputs.read(args.outputs)
    sqs = client("sqs", outputs.aws_endpoint_url, outputs.region)
    if args.queue in outputs.queues:
        url = outputs.queues[args.queue]["url"]
    else:
        url = sqs.get_queue_url(QueueName=args.queue)["QueueUrl"]
    answer = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=args.wait
    )
    for message in answer.get("Messages", []):
        try:
            body = json.loads(message["Body"])
            print(json.dumps(body, indent=2 if args.pretty else None))  # noqa: T201 - the command's output
        except ValueError:
            print(message["Body"])  # noqa: T201 - the command's output
        if args.keep:  # visible again at once, e.g. for a replay right after
            sqs.change_message_visibility(
                QueueUrl=url,
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=0,
            )
        else:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return 0


def fault(args: argparse.Namespace) -> int:
    """Set (or with --reset clear) a function's faults through the control endpoint."""
    outputs = StageOutputs.read(args.outputs)
    if args.reset:
        _control(outputs.control_url + "/faults", "DELETE", None)
        console.print("All faults cleared.")
        return 0
    if args.function is None:
        raise LocalStageError(
            "name a function (e.g. NotificationFunction) or use --reset"
        )
    plan = {
        "fail_first": args.fail_first,
        "fail_rate": args.fail_rate,
        "timeout_first": args.timeout_first,
        "duplicate_rate": args.duplicate_rate,
        "throttle": args.throttle,
        "event_age_seconds": args.event_age,
    }
    answer = _control(f"{outputs.control_url}/faults/{args.function}", "PUT", plan)
    print(json.dumps(answer))  # noqa: T201 - the command's output
    return 0


def _control(url: str, method: str, document: Any) -> Any:  # noqa: ANN401 - JSON
    data = None if document is None else json.dumps(document).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - our own 127.0.0.1 URL
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310 - our own 127.0.0.1 URL
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raise LocalStageError(f"{method} {url}: {error.read().decode()}") from error
    except urllib.error.URLError as error:
        raise LocalStageError(
            f"the local stage does not answer at {url}: is it running?"
        ) from error


def _pick(items: Any, key: str | None, kind: str) -> Any:  # noqa: ANN401 - outputs JSON
    if key is None:
        if len(items) != 1:
            raise LocalStageError(f"choose a {kind}: {', '.join(items)}")
        return next(iter(items.values()))
    if key not in items:
        raise LocalStageError(f"no {kind} {key!r}; the stage has {', '.join(items)}")
    return items[key]


# ---------------------------------------------------------------- parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infra.local",
        description="The Internal Handoff pattern on 127.0.0.1, from the templates.",
    )
    commands = parser.add_subparsers(required=True)

    up = commands.add_parser(
        "up",
        help="run the local stage (the default command)",
        epilog="While it runs: python -m infra.local subscribe|receive|fault --help",
    )
    up.set_defaults(run=run_stage)
    up.add_argument(
        "--api-port", type=int, default=3000, help="API gateway port (0: any free)"
    )
    up.add_argument(
        "--aws-port", type=int, default=5000, help="moto's port for DynamoDB, SQS, SNS"
    )
    up.add_argument(
        "--lambda-port", type=int, default=3001, help="Lambda API and control port"
    )
    up.add_argument(
        "--time-factor",
        type=float,
        default=1.0,
        help="multiplies Lambda's retry delays and event ages (0.01: 1 min -> 0.6 s)",
    )
    up.add_argument(
        "--outputs", type=Path, default=DEFAULT_OUTPUTS, help="outputs JSON file"
    )
    up.add_argument(
        "--assembly", type=Path, help="read this cdk.out folder instead of synthesizing"
    )
    up.add_argument(
        "--region", help="region of the local resources (default: the templates')"
    )
    up.add_argument(
        "--async-concurrency", type=int, default=2, help="async queue workers"
    )
    up.add_argument(
        "--function-concurrency",
        type=int,
        default=4,
        help="worker processes per function, unless its reserved concurrency says",
    )
    up.add_argument("--seed", type=int, default=0, help="seed of the random faults")
    up.add_argument("--verbose", action="store_true", help="log at debug level")
    faults = up.add_argument_group(
        "faults (FUNCTION is a construct id, e.g. NotificationFunction)"
    )
    for option, metavar, text in (
        ("--fail-first", "FUNCTION=N", "fail the function's first N attempts"),
        ("--fail-rate", "FUNCTION=P", "fail a fraction P of its attempts"),
        ("--timeout-first", "FUNCTION=N", "time out its first N attempts"),
        (
            "--duplicate-rate",
            "FUNCTION=P",
            "deliver a fraction P of its async events twice",
        ),
        ("--event-age", "FUNCTION=SECONDS", "make its async events start this old"),
    ):
        faults.add_argument(
            option,
            metavar=metavar,
            type=_assignment,
            action="append",
            default=[],
            help=text,
        )
    faults.add_argument(
        "--throttle",
        metavar="FUNCTION",
        action="append",
        default=[],
        help="refuse its invokes (429)",
    )

    sub = commands.add_parser("subscribe", help="subscribe a new queue to a topic")
    sub.set_defaults(run=subscribe)
    sub.add_argument("--topic", help="topic key in the outputs (default: the only one)")
    sub.add_argument(
        "--queue", default=INBOX_QUEUE, help=f"queue name (default {INBOX_QUEUE})"
    )
    sub.add_argument("--outputs", type=Path, default=DEFAULT_OUTPUTS)

    rec = commands.add_parser("receive", help="print a queue's messages")
    rec.set_defaults(run=receive)
    rec.add_argument(
        "queue", help="queue key in the outputs (e.g. FailureQueue) or name"
    )
    rec.add_argument(
        "--wait", type=int, default=2, help="long-poll seconds (default 2)"
    )
    rec.add_argument(
        "--keep", action="store_true", help="leave the messages in the queue"
    )
    rec.add_argument("--pretty", action="store_true", help="indent the JSON")
    rec.add_argument("--outputs", type=Path, default=DEFAULT_OUTPUTS)

    flt = commands.add_parser("fault", help="change a function's faults while running")
    flt.set_defaults(run=fault)
    flt.add_argument(
        "function", nargs="?", help="construct id, e.g. NotificationFunction"
    )
    flt.add_argument("--fail-first", type=int, default=0)
    flt.add_argument("--fail-rate", type=float, default=0.0)
    flt.add_argument("--timeout-first", type=int, default=0)
    flt.add_argument("--duplicate-rate", type=float, default=0.0)
    flt.add_argument("--event-age", type=float, default=0.0)
    flt.add_argument("--throttle", action="store_true")
    flt.add_argument(
        "--reset", action="store_true", help="clear every function's faults"
    )
    flt.add_argument("--outputs", type=Path, default=DEFAULT_OUTPUTS)
    return parser


def _assignment(text: str) -> tuple[str, str]:
    name, separator, value = text.partition("=")
    if not separator or not name or not value:
        raise argparse.ArgumentTypeError(f"expected FUNCTION=VALUE, got {text!r}")
    return name, value
