"""The service's Dask workers: configured for grading, warm before their first job, and free of
the database code (a grading machine needs only the grader)."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("distributed", reason="needs the service extra: pip install -e '.[service]'")

from grader.service.server import ServeOptions, dask_client  # noqa: E402
from grader.service.worker import WarmGradingWorker  # noqa: E402

#: Run on the worker; a lambda, so that the worker does not import this test module (and
#: with it the service's server and database code) to call it.
_worker_state = lambda: {  # noqa: E731
    "profile": __import__("dask").config.get("distributed.worker.profile.enabled"),
    "trim": __import__("os").environ.get("MALLOC_TRIM_THRESHOLD_"),
    "omp": __import__("os").environ.get("OMP_NUM_THREADS"),
    "warm": "grader.core.grading" in __import__("sys").modules,
    "database": "sqlalchemy" in __import__("sys").modules,
}


def test_grading_workers_are_configured_warm_and_without_the_database():
    client, cluster = dask_client(ServeOptions(workers=1))
    try:
        client.register_plugin(WarmGradingWorker())
        states = list(client.run(_worker_state).values())
    finally:
        client.close()
        cluster.close()
    # The worker adds nothing to the environment it inherits (an earlier in-process Dask cluster
    # of the test run may have set these in this process: then the worker has the same).
    inherited = {"trim": os.environ.get("MALLOC_TRIM_THRESHOLD_"), "omp": os.environ.get("OMP_NUM_THREADS")}
    assert states == [{"profile": False, **inherited, "warm": True, "database": False}]
