"""``python -m infra.local``: see :mod:`infra.local.cli`."""

from infra.local.cli import main

raise SystemExit(main())
