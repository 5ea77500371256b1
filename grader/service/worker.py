"""What a Dask worker that grades for the service needs: the job function and a warm start.

Workers unpickle a job's function by its module, so these live apart from the dispatcher
(whose module brings SQLAlchemy and the database models, which a grading machine does not
need). :class:`WarmGradingWorker` is registered with the cluster when the service starts, so
every worker, including one that replaces a dead worker, imports the grading code and probes
its sandbox before its first job rather than during it.
"""

from __future__ import annotations

from distributed import WorkerPlugin

from grader.core.request import GradeRequest


def grade_job(request: GradeRequest) -> dict:
    """One job on a worker: :func:`grader.core.batch.grade_one` (never raises)."""
    from grader.core.batch import grade_one

    return grade_one(request)


class WarmGradingWorker(WorkerPlugin):
    """Imports the grading code and detects the sandbox when a worker starts."""

    name = "grader-warm-start"

    def setup(self, worker) -> None:
        import grader.core.grading  # noqa: F401 - the import is the warm start
        from grader.runner.sandbox import detect

        detect()
