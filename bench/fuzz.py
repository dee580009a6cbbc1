"""``python -m bench fuzz``: schemathesis against the Task API on a local stage.

The stage runs the services' own handlers (no benchmark wrappers). The OpenAPI
document comes from ``task_service.openapi``; schemathesis checks that no answer is
a 5xx (``not_a_server_error``) and that each conforms to its declared schema
(``response_schema_conformance``), within a bound on examples and on time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from task_service.openapi import openapi_document

from bench.stage import DurationLog, load_templates
from infra.local.stage import LocalStage, StageOptions

CHECKS = ("not_a_server_error", "response_schema_conformance")
RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class FuzzOptions:
    max_examples: int = 50
    max_time: int = 240
    seed: int = 8
    assembly: Path | None = None
    report_dir: Path = RESULTS / "fuzz"


def command(options: FuzzOptions, schema: Path, api_url: str) -> list[str]:
    """The schemathesis command line for one run."""
    executable = Path(sys.executable).with_name("schemathesis")
    return [
        str(executable),
        "run",
        str(schema),
        f"--url={api_url.rstrip('/')}",
        f"--checks={','.join(CHECKS)}",
        f"--max-examples={options.max_examples}",
        f"--max-time={options.max_time}",
        f"--seed={options.seed}",
        "--workers=1",  # the two cores already run the stage
        "--generation-database=none",
        "--report=junit",
        f"--report-dir={options.report_dir}",
    ]


def run(options: FuzzOptions, console: Console) -> int:
    """Start a stage, run schemathesis against it; schemathesis's exit code."""
    if options.assembly is None:
        console.print("Synthesizing the CDK app for the local stage...")
    stacks = load_templates(options.assembly)
    options.report_dir.mkdir(parents=True, exist_ok=True)
    schema = options.report_dir / "openapi.json"
    schema.write_text(json.dumps(openapi_document(), indent=2) + "\n")

    log = DurationLog(options.report_dir / "stage.log")
    try:
        with LocalStage(stacks, StageOptions(), sink=log) as outputs:
            console.print(f"Fuzzing the Task API at {outputs.api_url}")
            # Its cache of failing cases (for `st replay`) lands beside the report.
            finished = subprocess.run(  # noqa: S603 - our venv's schemathesis
                command(options, schema, outputs.api_url),
                cwd=options.report_dir,
                check=False,
            )
    finally:
        log.close()
    return finished.returncode
