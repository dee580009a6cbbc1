"""The AWS CDK app of the Internal Handoff: stacks, stage settings, Lambda packaging.

Importing any part of ``infra`` silences jsii's end-of-life banner for Node 20, and
only for Node 20: this machine ships Node 20, which jsii no longer supports but which
still runs the pinned aws-cdk-lib correctly. The banner would otherwise print a dozen
lines on every synth and every test session and bury real warnings. The variable is
set before any submodule imports ``aws_cdk`` (which starts the jsii runtime), and an
explicit value in the environment wins.
"""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
