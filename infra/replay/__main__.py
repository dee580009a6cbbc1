"""``python -m infra.replay``: replay the failure queue of a stage."""

from __future__ import annotations

import sys

from infra.replay.cli import main

if __name__ == "__main__":
    sys.exit(main())
