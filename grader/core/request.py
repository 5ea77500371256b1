"""What to grade and how: the one value every grading path builds (the command line, a batch's
workers, nbgrader's ``--course`` path, the grading service) and hands to
:func:`grader.core.grading.run_hidden_checks`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from grader.runner.intake import DEFAULT_LIMITS, IntakeLimits, SubmissionFiles

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class GradeRequest:
    """What to grade and how: everything a grading needs, in one value (picklable, so a batch
    sends it to its workers as it is).

    - ``lesson``: the lesson id (``grade list``).
    - ``submission``: a folder, a ``.zip``/``.tar.gz``/``.tar`` archive, or the files the
      intake already read (:class:`~grader.runner.intake.SubmissionFiles`).
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
