"""Grade many submissions at once: a local pool of worker processes, or a Dask cluster.

A batch is a map of "grade one request" (:func:`grade_one`, :func:`grader.core.grading.run_hidden_checks`) over
many; grading one submission knows nothing of batches. Workers are started once and reused, so each pays the
interpreter and import start-up once. With a Dask scheduler the submission folders must be
reachable at the same paths on every worker (a shared filesystem).

A batch always completes. A fault of the grader (an exception in the grading code, a worker
process that died) gives that submission a ``grader-error`` result, never a zero: when a
local worker dies, the submissions not yet graded are retried on a fresh pool, up to
:data:`POOL_ROUNDS` times while each round grades some, and then each alone, so that one
submission whose grading kills its worker costs the others nothing.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from grader.core import interrupts
from grader.core.request import GradeRequest
from grader.core.results import GRADER_ERROR, NOT_THE_STUDENTS, GradingResult
from grader.course.catalogue import get_lesson

#: How many pools a local batch may start when workers die.
POOL_ROUNDS = 3
#: Seconds a stopped worker has to clean up and exit before it is killed.
STOP_GRACE_S = 5.0


def grade_one(request: GradeRequest) -> dict:
    """Grade one request (:func:`grader.core.grading.run_hidden_checks`); the COURSE.md object. Never raises: an
    exception of the grader becomes ``grader-error``."""
    from grader.core.grading import run_hidden_checks

    try:
        return run_hidden_checks(request).to_dict()
    except Exception as error:  # noqa: BLE001 - reported in the result, the batch goes on
        return grader_error(request, f"grading failed inside the grader: {type(error).__name__}: {error}; {NOT_THE_STUDENTS}")


def grader_error(request: GradeRequest, message: str) -> dict:
    """The ``grader-error`` object of ``request`` with ``message``."""
    return GradingResult.grader_error(request.lesson, request.source, message, request.student).to_dict()


def outcome(result: GradingResult) -> str:
    """``passed`` (full marks), ``errored`` (some check errored or timed out), ``failed``, or
    ``grader-error`` (not graded: the grader failed)."""
    if not result.graded:
        return GRADER_ERROR
    if result.score == result.max_score:
        return "passed"
    return "errored" if any(test.status in ("error", "timeout") for test in result.tests) else "failed"


def grade_many(
    requests: list[GradeRequest],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    on_result: Callable[[int, GradingResult], None] = lambda index, result: None,
) -> list[GradingResult]:
    """Grade ``requests`` in parallel; results in the order of ``requests``.

    ``workers`` local processes (default: one per core; one when a model lesson is among
    them: its training uses every core and is timed against its budget), or the Dask cluster
    at ``scheduler``. ``on_result(index, result)`` is called as each result arrives.
    """
    results: list[GradingResult | None] = [None] * len(requests)

    def arrived(index: int, data: dict) -> None:
        result = results[index] = GradingResult.from_dict(data)
        on_result(index, result)

    if not requests:
        return []
    if scheduler:
        _grade_on_dask(scheduler, requests, arrived)
    else:
        models = any(get_lesson(request.lesson).framework_sized for request in requests)
        workers = max(1, min(workers or (1 if models else os.cpu_count() or 1), len(requests)))
        if workers == 1:
            for index, request in enumerate(requests):
                arrived(index, grade_one(request))
        else:
            _grade_on_pool(requests, workers, arrived)
    return [result for result in results if result is not None]


def _grade_on_dask(scheduler: str, jobs: list[GradeRequest], arrived: Callable[[int, dict], None]) -> None:
    from dask.distributed import Client
    from dask.distributed import as_completed as dask_completed

    with Client(scheduler) as client:
        futures = client.map(grade_one, jobs, pure=False)
        index_of = {future.key: i for i, future in enumerate(futures)}
        for future in dask_completed(futures):
            index = index_of[future.key]
            try:
                data = future.result()
            except Exception as error:  # noqa: BLE001 - a worker lost or killed: the grader's fault
                data = grader_error(jobs[index], f"the Dask worker grading it failed ({type(error).__name__}: {error}); grade it again")
            arrived(index, data)


def _grade_on_pool(jobs: list[GradeRequest], workers: int, arrived: Callable[[int, dict], None], grade: Callable[[GradeRequest], dict] = grade_one) -> None:
    """Grade ``jobs`` with ``grade`` on local pools of ``workers`` processes (see the module
    docstring for what happens when a worker dies)."""
    pending = dict(enumerate(jobs))
    for _ in range(POOL_ROUNDS):
        graded, broken = _pool_round(pending, workers, arrived, grade)
        if not pending or not broken or not graded:
            break
    # What is left broke a pool each time: each alone in a pool of its own, so that only a
    # submission whose grading kills its worker (or a machine that kills every worker) fails.
    for index, job in list(pending.items()):
        _, broken = _pool_round({index: job}, 1, arrived, grade)
        if broken:
            arrived(index, grader_error(job, f"the grading worker process died before this submission was graded ({broken}); grade it again"))


def _pool_round(pending: dict[int, GradeRequest], workers: int, arrived: Callable[[int, dict], None], grade: Callable[[GradeRequest], dict]) -> tuple[int, str]:
    """Grade ``pending`` (index -> job) on a fresh pool, removing each job that gets a result;
    returns how many did and, if the pool broke (a worker died), why."""
    from grader.runner.sandbox import detect

    graded, broken = 0, ""
    pool = ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=get_context("spawn"), initializer=_init_worker, initargs=(detect(),))
    forget = lambda: None  # noqa: E731
    try:
        futures = {pool.submit(grade, job): index for index, job in pending.items()}
        forget = interrupts.track_workers(lambda: [process.pid for process in (pool._processes or {}).values() if process.pid is not None])
        for future in as_completed(futures):
            index = futures[future]
            try:
                data = future.result()
            except BrokenProcessPool as error:
                interrupts.raise_if_stopped()  # workers ended by the group's signal: a stop, not a crash
                broken = str(error) or type(error).__name__
                continue
            except Exception as error:  # noqa: BLE001 - the result could not come back
                data = grader_error(pending[index], f"the grading worker could not return its result ({type(error).__name__}: {error}); grade it again")
            del pending[index]
            graded += 1
            arrived(index, data)
    except BaseException:  # Ctrl-C or SIGTERM (grader.core.interrupts): stop now, not after the queue
        _stop_pool(pool)
        raise
    finally:
        forget()
    pool.shutdown()
    return graded, broken


def _init_worker(protections) -> None:
    from grader.runner.sandbox import Limits, adopt, math_threads_environment

    # Before numpy is imported here: the reference is timed on one thread as the student's code
    # is in the child, and no idle thread pool spins beside the grading.
    os.environ.update(math_threads_environment(Limits().threads))
    interrupts.init_worker()
    adopt(protections)
    atexit.register(_leave_without_teardown)  # registered first: runs after every later handler (the zygotes' clean-up)


def _leave_without_teardown() -> None:
    """A worker's last step at exit, once its clean-up handlers have run: leave without
    tearing down its modules one by one (numpy's, pytest's, the suites'), which the batch's
    end would otherwise wait for."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(0)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued, stop the workers (SIGTERM: each cleans up and exits, see
    :mod:`grader.core.interrupts`), and kill any still there after :data:`STOP_GRACE_S`."""
    processes = list((pool._processes or {}).values())  # the executor has no public view of them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_S
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1)
