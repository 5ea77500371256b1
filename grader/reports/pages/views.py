"""What the pages show, computed from results: a submission's page and a lesson's class view.

Plain data for the templates (:mod:`grader.reports.pages.render`); nothing here writes HTML.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from grader.core.results import GradingResult
from grader.course.catalogue import get_lesson
from grader.reports.reading import Reading, TaskReading, read_result

#: What a student reads when the grader failed on their submission (the grader's own message,
#: which may name its internals, is for the instructor).
NOT_GRADED_FOR_STUDENT = (
    "Your submission could not be graded because the grader itself failed. This is not your fault and "
    "costs you nothing: it will be graded again once the problem is fixed."
)
#: How many students a failure message lists on the class view.
STUDENTS_PER_MESSAGE = 3


@dataclass
class ModelView:
    """A model lesson's measurements as the page shows them."""

    accuracy: float | None
    baseline: float
    tiers: list[tuple[float, float, bool]]  # (accuracy, points, reached)
    train_seconds: float | None
    budget_s: float | None
    framework: str
    device: str
    classes: list[str]
    confusion: list[tuple[str, list[tuple[int, float, bool]], float]]  # (class, [(count, share of row, on the diagonal)], recall)
    curves_svg: str | None


@dataclass
class SubmissionView:
    """One submission's page: the score first, then a problem that stopped every check (once),
    then what to fix first, then the tasks not started and the correct ones, folded."""

    result: GradingResult
    graded_at: datetime | None
    reading: Reading
    model: ModelView | None
    #: The training curves a lesson's checks kept of the submission (``details["curves"]``:
    #: ``{title: history}``), each as ``(title, inline SVG)``.
    experiments: list[tuple[str, str]] = field(default_factory=list)

    @property
    def to_fix(self) -> list[TaskReading]:
        return self.reading.wrong

    @property
    def correct_tasks(self) -> list[tuple[str, float]]:
        return [(task.task, task.max_score) for task in self.reading.correct]

    @property
    def percent(self) -> float:
        return 100.0 * self.result.score / self.result.max_score if self.result.graded and self.result.max_score else 0.0


def submission_view(result: GradingResult, graded_at: datetime | None = None, *, curves: bool = True) -> SubmissionView:
    """The page of ``result`` (:func:`grader.reports.reading.read_result`)."""
    return SubmissionView(result, graded_at, read_result(result), model_view(result, curves=curves), experiment_curves(result) if curves else [])


#: The most experiments' curves a page draws.
MAX_EXPERIMENTS = 8


def experiment_curves(result: GradingResult) -> list[tuple[str, str]]:
    """``(title, SVG)`` of each history in the result's ``details["curves"]`` (a lesson whose
    checks run the student's training experiments keeps them there), drawn with matplotlib."""
    kept = result.details.get("curves") if result.details else None
    if not isinstance(kept, dict) or not kept:
        return []
    from grader.reports.plots import training_curves_svg

    drawn = []
    for title, history in list(kept.items())[:MAX_EXPERIMENTS]:
        if isinstance(history, dict) and all(isinstance(values, list) for values in history.values()):
            drawn.append((str(title), training_curves_svg(history, str(title))))
    return drawn


def model_view(result: GradingResult, *, curves: bool = True) -> ModelView | None:
    """A model lesson's accuracy against its tiers, confusion matrix with per-class recall and
    training curves; None for a numpy lesson or a result without measurements."""
    details = result.details
    lesson = get_lesson(result.lesson) if result.lesson else None
    if not details or lesson is None or not lesson.is_model:
        return None
    spec = lesson.spec
    accuracy = details.get("accuracy")
    tiers = [(threshold, points, accuracy is not None and accuracy >= threshold) for threshold, points in spec.tiers]
    classes = list(details.get("classes") or spec.classes)
    confusion = []
    for index, row in enumerate(details.get("confusion_matrix") or []):
        total = sum(row) or 1
        cells = [(count, count / total, column == index) for column, count in enumerate(row)]
        confusion.append((classes[index] if index < len(classes) else str(index), cells, row[index] / total))
    history = details.get("history")
    svg = None
    if curves and history:
        from grader.reports.plots import training_curves_svg

        svg = training_curves_svg(history, f"{result.lesson}: training curves")
    return ModelView(
        accuracy,
        spec.baseline,
        tiers,
        details.get("train_seconds"),
        details.get("budget_s"),
        str(details.get("framework") or ""),
        str(details.get("device") or ""),
        classes,
        confusion,
        svg,
    )


@dataclass
class TaskRate:
    """How the class did on one task, among the students who attempted it (wrote something):
    how many got it wrong, its most-failed check; and how many did not start it."""

    task: str
    attempted: int
    wrong: int
    not_started: int
    worst_check: str
    worst_check_failed: int

    @property
    def correct(self) -> int:
        return self.attempted - self.wrong

    @property
    def total(self) -> int:
        return self.attempted

    @property
    def fail_percent(self) -> float:
        return 100.0 * self.wrong / self.attempted if self.attempted else 0.0


@dataclass
class Attention:
    """A submission the instructor should look at: not graded, or graded with no check able to
    run, or with checks that timed out."""

    student: str
    kind: str
    message: str
    result: GradingResult


@dataclass
class CommonFailure:
    """One failure message, how many submissions got it, and a few of their students."""

    check: str
    message: str
    count: int
    students: list[str]


@dataclass
class ClassView:
    """A lesson's dashboard: what needs attention, scores, tasks worst first, commonest
    failures, the students."""

    lesson: str
    results: list[GradingResult]
    not_graded: list[GradingResult]
    histogram_svg: str | None
    tasks: list[TaskRate]
    failures: list[CommonFailure]
    timeline_svg: str | None
    deadline: datetime | None
    students: list[tuple[str, GradingResult]] = field(default_factory=list)
    attention: list[Attention] = field(default_factory=list)

    @property
    def mean_percent(self) -> float:
        scores = [100.0 * r.score / r.max_score for r in self.results if r.max_score]
        return sum(scores) / len(scores) if scores else 0.0


def who(result: GradingResult) -> str:
    """The name a result is shown and linked under: its student, else its submission."""
    return result.student or result.submission


def class_view(
    lesson: str, results: list[GradingResult], *, received: list[datetime] | None = None, deadline: datetime | None = None, plots: bool = True, top: int = 10
) -> ClassView:
    """The dashboard of ``lesson`` over ``results`` (one per student: the one that counts).

    Needs attention first: grader errors, submissions where no check could run (a syntax
    error, a missing file), and checks that timed out. A task's rate is the share wrong among
    the students who attempted it (not the stub); those who did not start it are counted
    apart; tasks are listed worst first. Failure messages are counted among attempted tasks
    only, by check and first line of the message. ``received``: receipt times (the
    service's), drawn against ``deadline``."""
    graded = [r for r in results if r.lesson == lesson and r.graded]
    not_graded = [r for r in results if r.lesson == lesson and not r.graded]
    attention = [Attention(who(r), "not graded: the grader failed", r.message, r) for r in not_graded]
    attempted: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    unstarted: Counter[str] = Counter()
    order: dict[str, int] = {}
    check_failures: dict[str, Counter[str]] = defaultdict(Counter)
    messages: Counter[tuple[str, str]] = Counter()
    students_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    timed_out = []
    for result in graded:
        reading = read_result(result)
        if reading.banner:
            attention.append(Attention(who(result), "no check could run", reading.banner, result))
            continue
        timeouts = [test for test in result.tests if test.status == "timeout"]
        if timeouts:
            timed_out.append(Attention(who(result), "a check timed out", timeouts[0].message, result))
        for task in reading.not_started:
            unstarted[task.task] += 1
        for task in (*reading.wrong, *reading.correct):
            attempted[task.task] += 1
        for task in reading.wrong:
            wrong[task.task] += 1
            for test in task.problems:
                check_failures[task.task][test.name] += 1
                key = (test.name, (test.message.strip().splitlines() or [test.status])[0])
                messages[key] += 1
                if len(students_of[key]) < STUDENTS_PER_MESSAGE:
                    students_of[key].append(who(result))
        for index, task_name in enumerate(result.task_scores()):
            order.setdefault(task_name, index)
    attention += timed_out
    tasks = []
    for name in sorted(order, key=order.__getitem__):
        worst = check_failures[name].most_common(1)
        tasks.append(TaskRate(name, attempted[name], wrong[name], unstarted[name], worst[0][0] if worst else "", worst[0][1] if worst else 0))
    tasks.sort(key=lambda rate: (-rate.fail_percent, rate.task))
    failures = [CommonFailure(check, message, count, students_of[(check, message)]) for (check, message), count in messages.most_common(top)]
    histogram = timeline = None
    if plots and graded:
        from grader.reports.plots import score_histogram_svg, submissions_over_time_svg

        histogram = score_histogram_svg([100.0 * r.score / r.max_score if r.max_score else 0.0 for r in graded], f"{lesson}: scores of {len(graded)} submissions")
        if received:
            timeline = submissions_over_time_svg(received, deadline, f"{lesson}: submissions over time")
    students = sorted(((who(r), r) for r in graded + not_graded), key=lambda item: item[0])
    return ClassView(lesson, graded, not_graded, histogram, tasks, failures, timeline, deadline, students, attention)
