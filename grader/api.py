"""The grader as a library: one request in, one result out.

Everything that grades (the ``grade`` command line, the batch on local workers or Dask,
nbgrader's ``--course`` path, the grading service) builds a :class:`GradeRequest` and calls
:func:`grade`; ``grade check`` calls :func:`check`; ``grade submit`` calls :func:`submit`::

    from grader.api import GradeRequest, grade

    result = grade(GradeRequest("activations", "submissions/alice"))
    print(result.score, result.max_score)          # 41.0 41.0
    for test in result.tests:
        print(test.task, test.status, test.message)
    result.to_dict()                                # the COURSE.md result object

No course tree is needed: a folder (or a ``.zip``/``.tar.gz`` archive) and a lesson id are
enough. :class:`Settings` reads the environment and the course's ``nbgrader_config.py`` once,
for the callers that need a data directory, an exchange or a gradebook.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grader.core.request import DEVICES, GradeRequest
from grader.platforms.settings import Settings
from grader.platforms.student import Submitted

if TYPE_CHECKING:
    from grader.core.results import GradingResult

__all__ = ["DEVICES", "GradeRequest", "Settings", "Submitted", "check", "grade", "grade_batch", "start", "submit"]


def grade(request: GradeRequest) -> GradingResult:
    """Grade one submission with the lesson's hidden checks, its code in an isolated child.

    A broken submission is graded zero on what it breaks, with messages; what the intake
    refused is listed in ``refused``; a fault of the grader gives a ``grader-error`` result.
    Raises :class:`~grader.errors.RequestError` (an unknown lesson, a missing submission) and
    :class:`~grader.errors.NoHiddenChecks` in the student distribution."""
    from grader.core.grading import run_hidden_checks

    return run_hidden_checks(request)


def grade_batch(
    requests: Sequence[GradeRequest],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    on_result: Callable[[int, GradingResult], None] = lambda index, result: None,
) -> list[GradingResult]:
    """Grade many requests in parallel: ``workers`` local processes (default: one per core,
    one for a model lesson) or the Dask cluster at ``scheduler``; results in request order,
    ``on_result(index, result)`` as each arrives. Never raises for one submission: a grader
    fault is that submission's ``grader-error``."""
    from grader.core.batch import grade_many

    return grade_many(list(requests), workers=workers, scheduler=scheduler, on_result=on_result)


def check(lesson: str, folder: str | Path, *, data_dir: str | Path | None = None) -> GradingResult:
    """Run the lesson's public checks on the student's ``folder``, in this process (what
    ``grade check`` does on the student's machine)."""
    from grader.core.public_checks import run_public_checks

    return run_public_checks(lesson, Path(folder), data_dir=data_dir)


def submit(lesson: str, folder: str | Path, student: str, settings: Settings) -> Submitted:
    """Deliver ``student``'s ``folder`` for ``lesson`` to the course's exchange (never over an
    earlier submission), after the intake's rules and the public checks; the submission goes
    in even when some public checks fail. Raises :class:`~grader.platforms.exchange.SubmissionError`
    with what to fix when it cannot be delivered."""
    from grader.platforms.student import submit_lesson

    return submit_lesson(lesson, Path(folder), student, settings.exchange())


def start(lesson: str, directory: str | Path, *, force: bool = False, notebook: bool = False) -> list[Path]:
    """Copy the lesson's stubs and public checks into ``directory``; the files written.
    Raises :class:`FileExistsError` naming the files already there, unless ``force``."""
    from grader.platforms.student import start_lesson

    return start_lesson(lesson, Path(directory), force=force, notebook=notebook)
