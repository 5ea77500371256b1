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

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from grader.intake import DEFAULT_LIMITS, IntakeLimits, SubmissionFiles

if TYPE_CHECKING:
    from grader.exchange import Exchange, Receipt
    from grader.results import GradingResult

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class GradeRequest:
    """What to grade and how: everything a grading needs, in one value (picklable, so a batch
    sends it to its workers as it is).

    - ``lesson``: the lesson id (``grade list``).
    - ``submission``: a folder, a ``.zip``/``.tar.gz``/``.tar`` archive, or the files the
      intake already read (:class:`~grader.intake.SubmissionFiles`).
    - ``student``: recorded in the result.
    - ``call_timeout_s``: how long one call of student code may run (default: the lesson's).
    - ``intake_limits``: the sizes and counts a submission may have.
    - ``device``: where a model lesson trains (``auto``: CUDA when the student's framework sees
      a GPU; ``cpu``; ``cuda``); its budget is the device's.
    - ``data_dir``: the model lessons' data directory (default: :func:`Settings.load`'s).
    """

    lesson: str
    submission: str | Path | SubmissionFiles
    student: str | None = None
    call_timeout_s: float | None = None
    intake_limits: IntakeLimits = DEFAULT_LIMITS
    device: str = "auto"
    data_dir: Path | None = None

    def __post_init__(self):
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        if self.call_timeout_s is not None and self.call_timeout_s <= 0:
            raise ValueError(f"call_timeout_s must be positive, not {self.call_timeout_s!r}")

    @property
    def source(self) -> str:
        """The submission's path as the result records it."""
        return self.submission.source if isinstance(self.submission, SubmissionFiles) else str(self.submission)

    def of(self, submission: str | Path | SubmissionFiles, student: str | None = None) -> GradeRequest:
        """This request for another submission (a batch: one request per submission)."""
        return replace(self, submission=submission, student=student)


@dataclass(frozen=True)
class Settings:
    """The grader's configuration, read once: the environment, then the course's
    ``nbgrader_config.py``, overridden by what the caller passes (command-line options).

    - ``data_dir``: ``$GRADER_DATA_DIR``, else ``~/.cache/nn-grader/datasets``.
    - ``course_dir``: the folder of ``nbgrader_config.py`` (default: the current folder).
    - ``exchange_root``: ``$GRADER_EXCHANGE_ROOT``, else ``c.Exchange.root``, else nbgrader's
      default; ``course_id``: ``$GRADER_COURSE_ID``, else ``c.CourseDirectory.course_id``;
      ``db_url``: ``c.CourseDirectory.db_url`` (default: the course's ``gradebook.db``).
    """

    data_dir: Path
    course_dir: Path = Path(".")
    exchange_root: Path | None = None
    course_id: str | None = None
    db_url: str | None = None

    @classmethod
    def load(
        cls,
        course_dir: str | Path | None = None,
        *,
        data_dir: str | Path | None = None,
        exchange_root: str | Path | None = None,
        course_id: str | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> Settings:
        """Read the settings (see the class docstring); the arguments override both sources."""
        from grader.data.store import default_data_dir
        from grader.exchange import DEFAULT_EXCHANGE, read_nbgrader_config

        config = read_nbgrader_config(course_dir)
        root = exchange_root or environ.get("GRADER_EXCHANGE_ROOT") or config["exchange_root"] or DEFAULT_EXCHANGE
        return cls(
            data_dir=Path(data_dir or environ.get("GRADER_DATA_DIR") or default_data_dir(environ)),
            course_dir=Path(course_dir or "."),
            exchange_root=Path(str(root)),
            course_id=course_id or environ.get("GRADER_COURSE_ID") or config["course_id"],
            db_url=config["db_url"],
        )

    def exchange(self) -> Exchange:
        """The course's nbgrader exchange; :class:`~grader.exchange.SubmissionError` when no
        course id is configured."""
        from grader.exchange import Exchange, SubmissionError

        if not self.course_id:
            raise SubmissionError("no course id: set c.CourseDirectory.course_id in nbgrader_config.py, GRADER_COURSE_ID, or --course-id")
        return Exchange(self.exchange_root or Path("."), self.course_id)


def grade(request: GradeRequest) -> GradingResult:
    """Grade one submission with the lesson's hidden checks, its code in an isolated child.

    A broken submission is graded zero on what it breaks, with messages; what the intake
    refused is listed in ``refused``; a fault of the grader gives a ``grader-error`` result.
    Raises :class:`~grader.errors.RequestError` (an unknown lesson, a missing submission) and
    :class:`~grader.errors.NoHiddenChecks` in the student distribution."""
    from grader.grading import run_hidden_checks

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
    from grader.batch import grade_many

    return grade_many(list(requests), workers=workers, scheduler=scheduler, on_result=on_result)


def check(lesson: str, folder: str | Path, *, data_dir: str | Path | None = None) -> GradingResult:
    """Run the lesson's public checks on the student's ``folder``, in this process (what
    ``grade check`` does on the student's machine)."""
    from grader.checking import run_public_checks

    return run_public_checks(lesson, Path(folder), data_dir=data_dir)


@dataclass
class Submitted:
    """What :func:`submit` did: the files it left out, the public checks' result, the receipt."""

    left_out: list[str]
    checks: GradingResult
    receipt: Receipt


def submit(lesson: str, folder: str | Path, student: str, settings: Settings) -> Submitted:
    """Deliver ``student``'s ``folder`` for ``lesson`` to the course's exchange (never over an
    earlier submission), after the intake's rules and the public checks; the submission goes
    in even when some public checks fail. Raises :class:`~grader.exchange.SubmissionError`
    with what to fix when it cannot be delivered."""
    from grader.student import submit_lesson

    return submit_lesson(lesson, Path(folder), student, settings.exchange())


def start(lesson: str, directory: str | Path, *, force: bool = False) -> list[Path]:
    """Copy the lesson's stubs and public checks into ``directory``; the files written.
    Raises :class:`FileExistsError` naming the files already there, unless ``force``."""
    from grader.student import start_lesson

    return start_lesson(lesson, Path(directory), force=force)
