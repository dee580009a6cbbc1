"""Benchmarks, the reliability drill and API fuzzing, all against the local stage.

``python -m bench run`` (``nox -s bench``) measures the handoff's cost to the caller,
the delivery delay, throughput, cold starts and asset sizes in one run;
``python -m bench drill`` (``nox -s drill``) writes tasks under injected faults and
accounts for every event; ``python -m bench fuzz`` (``nox -s fuzz``) runs schemathesis
against the Task API. See ``docs/benchmarks.md`` for the method.
"""
