"""Grade many submissions at once: a local pool of worker processes, or a Dask cluster.

A batch is a map of "grade one submission" (:func:`grade_one`) over many; grading one
submission knows nothing of batches. Workers are started once and reused, so each pays the
interpreter and import start-up once. With a Dask scheduler the submission folders must be
reachable at the same paths on every worker (a shared filesystem).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

from grader.lessons import get_lesson
from grader.results import GradingResult, TestResult


def grade_one(job: tuple) -> dict:
    """Grade one submission ``(lesson_id, folder, call_timeout_s, device, data_dir)``; the
    COURSE.md object.

    A failure of the grader itself (not of the student's code) becomes a result whose every
    task is an ``error`` saying so, so that a batch always completes.
    """
    from grader.grading import grade_submission

    lesson_id, folder, timeout, device, data_dir = job
    try:
        return grade_submission(lesson_id, folder, call_timeout_s=timeout, device=device, data_dir=data_dir).to_dict()
    except Exception as error:  # noqa: BLE001 - reported in the result, the batch goes on
        return failed_result(lesson_id, folder, f"grading failed: {type(error).__name__}: {error}").to_dict()


def failed_result(lesson_id: str, folder: str, message: str) -> GradingResult:
    """A result with zero on every task of the lesson and ``message`` for each."""
    lesson = get_lesson(lesson_id)
    tests = [TestResult(f"{task} could be graded", task, 0.0, points, "error", message) for task, points in lesson.tasks.items()]
    return GradingResult(lesson_id, str(folder), None, tests)


def outcome(result: GradingResult) -> str:
    """``passed`` (full marks), ``errored`` (some check errored or timed out) or ``failed``."""
    if result.score == result.max_score:
        return "passed"
    return "errored" if any(test.status in ("error", "timeout") for test in result.tests) else "failed"


def grade_many(
    lesson_id: str,
    folders: list[str | Path],
    *,
    call_timeout_s: float | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    device: str = "auto",
    data_dir: str | Path | None = None,
    on_result: Callable[[int, GradingResult], None] = lambda index, result: None,
) -> list[GradingResult]:
    """Grade ``folders`` in parallel; results in the order of ``folders``.

    ``workers`` local processes (default: one per core; one for a model lesson, whose
    training uses every core and is timed against its budget), or the Dask cluster at
    ``scheduler``. ``device`` and ``data_dir`` are for the model lessons.
    ``on_result(index, result)`` is called as each result arrives.
    """
    data_dir = str(data_dir) if data_dir is not None else None
    jobs = [(lesson_id, str(folder), call_timeout_s, device, data_dir) for folder in folders]
    results: list[GradingResult | None] = [None] * len(jobs)

    def arrived(index: int, data: dict) -> None:
        results[index] = GradingResult.from_dict(data)
        on_result(index, results[index])

    if scheduler:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed

        with Client(scheduler) as client:
            futures = client.map(grade_one, jobs, pure=False)
            index_of = {future.key: i for i, future in enumerate(futures)}
            for future in dask_completed(futures):
                arrived(index_of[future.key], future.result())
    else:
        default = 1 if get_lesson(lesson_id).is_model else os.cpu_count() or 1
        workers = max(1, min(workers or default, len(jobs)))
        if workers == 1:
            for index, job in enumerate(jobs):
                arrived(index, grade_one(job))
        else:
            from grader.runner.sandbox import adopt, detect

            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=adopt, initargs=(detect(),)) as pool:
                futures = {pool.submit(grade_one, job): i for i, job in enumerate(jobs)}
                for future in as_completed(futures):
                    arrived(futures[future], future.result())
    return [result for result in results if result is not None]
