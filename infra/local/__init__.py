"""The local stage: the whole pattern on 127.0.0.1, built from the synthesized
templates.

Start it from Python (the end-to-end tests, the replay tool and the benchmarks)::

    from infra.local import LocalStage, StageOptions

    with LocalStage(options=StageOptions(time_factor=0.01)) as outputs:
        ...  # outputs.api_url, outputs.queues["FailureQueue"]["url"], ...

or from a shell with ``python -m infra.local`` (``nox -s deploy``).
"""

from infra.local.errors import LocalStageError, PortInUseError, TemplateError
from infra.local.faults import FaultPlan
from infra.local.stage import (
    LocalStage,
    StageOptions,
    StageOutputs,
    read_assembly,
    synthesize_templates,
)
from infra.local.templates import StackTemplate, StageDescription, describe_stage

__all__ = [
    "FaultPlan",
    "LocalStage",
    "LocalStageError",
    "PortInUseError",
    "StackTemplate",
    "StageDescription",
    "StageOptions",
    "StageOutputs",
    "TemplateError",
    "describe_stage",
    "read_assembly",
    "synthesize_templates",
]
