"""Tiny stand-ins for the services, run by the fixture assembly's functions.

They exercise the local stage's runtime (environment, module state, errors,
timeouts, the Invoke API and the destinations) independently of the real
services, which the end-to-end tests run through the real templates.
"""

from __future__ import annotations

import os
from typing import Any

# What an environment probe reports: set by the template for some functions only.
PROBED_VARIABLES = ("POWERTOOLS_SERVICE_NAME", "TASKS_TABLE_NAME", "STACK_AND_REGION")


def environment_report(context: Any, invocations: int) -> dict[str, Any]:
    """What a stand-in answers to ``{"probe": "environment"}``."""
    return {
        "functionName": context.function_name,
        "invocations": invocations,
        "environment": {name: os.environ.get(name) for name in PROBED_VARIABLES},
    }
