"""A lesson's manifest, ``lesson.toml``: read and validated strictly into a :class:`Lesson`.

The manifest is the lesson's catalogue entry; the lesson folder (``reference/<id>/``) holds
everything else. Every key is documented field by field in ``docs/COURSE.md`` ("The lesson
manifest"). Validation is strict, like PrairieLearn's ``info.json`` schema: an unknown key, a
value of the wrong type, a tier list that does not rise or does not add up to its task's
points, an id that is not the folder's name: each is one :class:`ManifestError` line naming the
file, the key and what is wrong. What needs the other lessons (a module ``from`` a lesson that
does not exist) is checked by :mod:`grader.course.catalogue`.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import RequestError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

MANIFEST = "lesson.toml"
FRAMEWORKS = ("torch", "keras")
DEVICES = ("cpu", "cuda")
#: A lesson id, a module or a task: a Python identifier (the id is also a folder and an nbgrader assignment).
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ManifestError(RequestError, ValueError):
    """A ``lesson.toml`` that is not valid: one line naming the file, the key and the fault."""

    def __init__(self, path: Path | str, key: str | None, problem: str):
        self.path, self.key, self.problem = str(path), key, problem
        super().__init__(f"{path}: {key}: {problem}" if key else f"{path}: {problem}")


@dataclass(frozen=True)
class ModelSpec:
    """How a model lesson is graded: train under a budget, score accuracy on the test split.

    ``baseline`` is the test accuracy of the released stub (the lesson's baseline model), which
    earns nothing. ``tiers`` are ``(accuracy, points)`` pairs above it, lowest first, the last
    the target: a test accuracy at or above a tier earns that tier's points (they add up to
    ``task``'s points at the target). Training within the budget and valid labels are
    conditions for any points, not points of their own. ``budgets_s[framework][device]`` is the
    training time ``train`` is given, on CPU counted as the sandbox's CPU time divided by its
    cores (what training actually got, so a busy machine costs nobody points), on a GPU on the
    clock; it is stopped at ``budget * (1 + GRACE) + GRACE_S`` (and on CPU at
    :data:`WALL_FACTOR` times that on the clock).
    """

    dataset: str
    classes: tuple[str, ...]
    baseline: float
    tiers: tuple[tuple[float, float], ...]
    budgets_s: dict[str, dict[str, float]]
    #: The task whose points the tiers share out.
    task: str = "train"
    #: Seconds ``predict`` may take on the whole test split.
    predict_timeout_s: float = 120.0
    #: ``grade check``'s smoke run: training examples, held-out examples (both from the
    #: training split) and the budget.
    smoke_train: int = 6000
    smoke_holdout: int = 2000
    smoke_budget_s: float = 15.0

    GRACE = 0.1
    GRACE_S = 10.0
    #: On CPU the budget is counted in CPU time; a ``train`` also stops at this many times its
    #: hard limit on the clock (one that sleeps or waits uses no CPU time).
    WALL_FACTOR = 4.0

    @property
    def target(self) -> float:
        """The accuracy that earns full marks (the highest tier)."""
        return self.tiers[-1][0]

    def budget_s(self, framework: str, device: str) -> float:
        """The training budget for ``framework`` ("torch" or "keras") on ``device``."""
        try:
            return float(self.budgets_s[framework][device])
        except KeyError:
            raise ValueError(f"no training budget for framework {framework!r} on device {device!r}") from None

    def hard_limit_s(self, budget_s: float) -> float:
        """When an overrunning ``train`` is stopped: on CPU, in CPU seconds per core of the
        sandbox (its CPU time divided by its cores); on a GPU, on the clock."""
        return budget_s * (1 + self.GRACE) + self.GRACE_S

    def wall_limit_s(self, budget_s: float) -> float:
        """On CPU: how long ``train`` may run on the clock, whatever CPU time it used."""
        return self.WALL_FACTOR * self.hard_limit_s(budget_s)


@dataclass(frozen=True)
class Lesson:
    """One lesson of the course (also its nbgrader assignment id and its folder name)."""

    id: str
    title: str
    module: str
    tasks: dict[str, float]
    #: Where the lesson is listed (``grade list``, the course documents): lowest first.
    order: int = 0
    call_timeout_s: float = 5.0
    test_timeout_s: float = 60.0
    #: Other modules of the student's that the lesson uses, each with the lesson that teaches it
    #: (``{"backprop": "backprop"}``): their stubs are released with this lesson.
    uses: dict[str, str] = field(default_factory=dict)
    #: Whether the student's code returns objects (classes) that tests drive through handles.
    handles: bool = False
    #: Model lessons only: data set, accuracy tiers, budgets.
    model: ModelSpec | None = None
    #: Modules besides numpy that solutions commonly import: a warm start has them loaded.
    preload: tuple[str, ...] = ()
    #: Python distributions the hidden suite imports in the grader's process (pip names).
    requires: tuple[str, ...] = ()
    #: Released files written from another file of the folder (``{"model.py": "baseline.py"}``):
    #: a model lesson's stubs are its complete, runnable baselines.
    release: dict[str, str] = field(default_factory=dict)
    #: The frameworks a student of a numpy-free lesson may write with (``["torch", "keras"]``):
    #: the module sets ``FRAMEWORK`` to one, and the child gets a model lesson's room.
    frameworks: tuple[str, ...] = ()
    #: The data set a lesson that is not a model lesson trains on (``datasets/<name>.json``).
    dataset: str | None = None
    #: Other lessons whose reference solutions the hidden suite compares with
    #: (:func:`grader.kit.reference_of`); the Gradescope zip carries them.
    oracles: tuple[str, ...] = ()
    #: The folder the manifest was read from (``reference/<id>/`` or ``assignments/<id>/``).
    folder: Path | None = field(default=None, compare=False, repr=False)

    @property
    def extra_modules(self) -> tuple[str, ...]:
        """The modules of :attr:`uses`, in the manifest's order."""
        return tuple(self.uses)

    @property
    def is_model(self) -> bool:
        """Whether this is a model lesson (trained and scored on a test split)."""
        return self.model is not None

    @property
    def framework_sized(self) -> bool:
        """Whether the student's code runs a deep-learning framework (a model lesson, or one
        with ``frameworks``): its child gets every core and a framework's memory, starts cold,
        and a batch grades one submission at a time."""
        return self.model is not None or bool(self.frameworks)

    @property
    def data_set(self) -> str | None:
        """The data set the lesson trains on: the model's, or the lesson's ``dataset``."""
        return self.model.dataset if self.model is not None else self.dataset

    @property
    def spec(self) -> ModelSpec:
        """The model lesson's :class:`ModelSpec`; ``ValueError`` for a lesson that trains none."""
        if self.model is None:
            raise ValueError(f"lesson '{self.id}' trains no model")
        return self.model

    def budget_s(self, framework: str, device: str) -> float:
        """The model lesson's training budget for ``framework`` on ``device``."""
        return self.spec.budget_s(framework, device)

    @property
    def modules(self) -> list[str]:
        """Every module the student's folder holds, the lesson's own first."""
        return [self.module, *self.extra_modules]

    @property
    def module_files(self) -> tuple[str, ...]:
        """The files of :attr:`modules` (``backprop.py``, ...), read first from a submission."""
        return tuple(f"{module}.py" for module in self.modules)

    @property
    def filename(self) -> str:
        """The file the student writes, e.g. ``activations.py``."""
        return f"{self.module}.py"

    @property
    def max_score(self) -> float:
        """Sum of the points of every task."""
        return float(sum(self.tasks.values()))


# -- reading ------------------------------------------------------------------------------------

_TOP_KEYS = {
    *("id", "title", "order", "module", "tasks", "call_timeout_s", "test_timeout_s", "uses", "handles"),
    *("preload", "requires", "release", "model", "frameworks", "dataset", "oracles"),
}
_MODEL_KEYS = {"dataset", "classes", "baseline", "tiers", "task", "budgets_s", "predict_timeout_s", "smoke"}
_SMOKE_KEYS = {"train", "holdout", "budget_s"}


class _Reader:
    """Typed access to one table of a manifest, each fault a :class:`ManifestError`."""

    def __init__(self, path: Path, table: dict, prefix: str, allowed: set[str]):
        self.path, self.table, self.prefix = path, table, prefix
        for key in table:
            if key not in allowed:
                raise ManifestError(path, self.key(key), f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def fail(self, name: str, problem: str):
        raise ManifestError(self.path, self.key(name), problem)

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ..., what: str = "") -> Any:
        if name not in self.table:
            if default is ...:
                self.fail(name, "missing (required)")
            return default
        value = self.table[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            self.fail(name, f"must be {what or ' or '.join(k.__name__ for k in kinds)}, not {type(value).__name__} {value!r}")
        return value

    def number(self, name: str, default: Any = ..., positive: bool = True) -> float:
        value = float(self.get(name, (int, float), default, "a number"))
        if positive and not value > 0:
            self.fail(name, f"must be above 0, not {value:g}")
        return value

    def identifier(self, name: str, default: Any = ...) -> str:
        value = self.get(name, str, default, "a string")
        if not _IDENTIFIER.fullmatch(value):
            self.fail(name, f"must be a Python identifier (letters, digits, _), not {value!r}")
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        values = self.get(name, list, [], "a list of strings")
        if not all(isinstance(value, str) and value for value in values):
            self.fail(name, "must be a list of non-empty strings")
        return tuple(values)

    def table_of(self, name: str) -> dict:
        return self.get(name, dict, {}, "a table")


def read_manifest(path: Path | str, expected_id: str | None = None) -> Lesson:
    """The :class:`Lesson` of the manifest at ``path``; ``expected_id`` (default: the name of
    its folder) is the id the manifest must declare. Raises :class:`ManifestError`."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ManifestError(path, None, f"cannot be read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise ManifestError(path, None, "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(path, None, f"is not valid TOML ({error})") from None
    top = _Reader(path, document, "", _TOP_KEYS)
    lesson_id = top.identifier("id")
    expected = expected_id if expected_id is not None else path.parent.name
    if lesson_id != expected:
        top.fail("id", f"'{lesson_id}' must equal the lesson's folder name '{expected}'")
    module = top.identifier("module")
    tasks = _tasks(path, top.table_of("tasks"))
    uses = top.table_of("uses")
    for name, home in uses.items():
        if not _IDENTIFIER.fullmatch(name) or not isinstance(home, str) or not _IDENTIFIER.fullmatch(home):
            top.fail(f"uses.{name}", "must map a module name to the id of the lesson that teaches it (a string)")
        if name == module:
            top.fail(f"uses.{name}", "is the lesson's own module")
    release = top.table_of("release")
    for name, source in release.items():
        if not isinstance(source, str) or "/" in name or "/" in source or not name.endswith(".py") or not source.endswith(".py"):
            top.fail(f"release.{name}", "must map a released file name (.py) to a .py file of the lesson folder")
    model = _model(path, top.table_of("model"), tasks) if "model" in document else None
    frameworks = top.strings("frameworks")
    if any(framework not in FRAMEWORKS for framework in frameworks) or len(set(frameworks)) != len(frameworks):
        top.fail("frameworks", f"must list frameworks of {', '.join(FRAMEWORKS)}, each once, not {list(frameworks)}")
    if model is not None and frameworks:
        top.fail("frameworks", "a model lesson's frameworks are those of [model.budgets_s]")
    dataset = top.identifier("dataset", None) if "dataset" in document else None
    if model is not None and dataset is not None:
        top.fail("dataset", "a model lesson names its data set in [model]")
    oracles = top.strings("oracles")
    for oracle in oracles:
        if not _IDENTIFIER.fullmatch(oracle) or oracle == lesson_id:
            top.fail("oracles", f"must list the ids of other lessons, not {oracle!r}")
    return Lesson(
        id=lesson_id,
        title=top.get("title", str, what="a string"),
        module=module,
        tasks=tasks,
        order=int(top.get("order", int, 0, "an integer")),
        call_timeout_s=top.number("call_timeout_s", 5.0),
        test_timeout_s=top.number("test_timeout_s", 60.0),
        uses=dict(uses),
        handles=top.get("handles", bool, False, "true or false"),
        model=model,
        preload=top.strings("preload"),
        requires=top.strings("requires"),
        release=dict(release),
        frameworks=frameworks,
        dataset=dataset,
        oracles=oracles,
        folder=path.parent,
    )


def _tasks(path: Path, table: dict) -> dict[str, float]:
    if not table:
        raise ManifestError(path, "tasks", "missing or empty: list each task (a function or class the student writes) with its points")
    tasks: dict[str, float] = {}
    for name, points in table.items():
        if not _IDENTIFIER.fullmatch(name):
            raise ManifestError(path, f"tasks.{name}", "a task is a function or class name (a Python identifier)")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
            raise ManifestError(path, f"tasks.{name}", f"points must be a number of 0 or more, not {points!r}")
        tasks[name] = float(points)
    return tasks


def _model(path: Path, table: dict, tasks: dict[str, float]) -> ModelSpec:
    model = _Reader(path, table, "model.", _MODEL_KEYS)
    task = model.identifier("task", "train")
    if task not in tasks:
        model.fail("task", f"'{task}' is not in [tasks]")
    classes = model.strings("classes")
    if len(classes) < 2:
        model.fail("classes", "a classifier needs at least two class names")
    baseline = model.number("baseline", positive=False)
    tiers = _tiers(model, baseline, tasks[task], task)
    budgets = model.table_of("budgets_s")
    if not budgets:
        model.fail("budgets_s", "missing: a training budget in seconds per framework and device, e.g. [model.budgets_s.torch] cpu = 120")
    for framework, devices in budgets.items():
        if framework not in FRAMEWORKS:
            model.fail(f"budgets_s.{framework}", f"unknown framework (allowed: {', '.join(FRAMEWORKS)})")
        if not isinstance(devices, dict) or not devices:
            model.fail(f"budgets_s.{framework}", "must be a table of seconds per device (cpu, cuda)")
        for device, seconds in devices.items():
            if device not in DEVICES:
                model.fail(f"budgets_s.{framework}.{device}", f"unknown device (allowed: {', '.join(DEVICES)})")
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
                model.fail(f"budgets_s.{framework}.{device}", f"must be seconds above 0, not {seconds!r}")
    smoke = _Reader(path, model.table_of("smoke"), "model.smoke.", _SMOKE_KEYS)
    return ModelSpec(
        dataset=model.identifier("dataset"),
        classes=classes,
        baseline=baseline,
        tiers=tiers,
        budgets_s={framework: {device: float(s) for device, s in devices.items()} for framework, devices in budgets.items()},
        task=task,
        predict_timeout_s=model.number("predict_timeout_s", 120.0),
        smoke_train=int(smoke.number("train", 6000)),
        smoke_holdout=int(smoke.number("holdout", 2000)),
        smoke_budget_s=smoke.number("budget_s", 15.0),
    )


def _tiers(model: _Reader, baseline: float, points: float, task: str) -> tuple[tuple[float, float], ...]:
    raw = model.get("tiers", list, what="a list of [accuracy, points] pairs")
    tiers = []
    for index, tier in enumerate(raw):
        if not (isinstance(tier, list) and len(tier) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in tier)):
            model.fail("tiers", f"tier {index + 1} must be a pair [accuracy, points], not {tier!r}")
        accuracy, tier_points = float(tier[0]), float(tier[1])
        if not 0 < accuracy <= 1 or tier_points <= 0:
            model.fail("tiers", f"tier {index + 1}: accuracy must be in (0, 1] and points above 0, not {tier!r}")
        tiers.append((accuracy, tier_points))
    if not tiers:
        model.fail("tiers", "must list at least one [accuracy, points] tier")
    accuracies = [accuracy for accuracy, _ in tiers]
    if accuracies[0] <= baseline or any(b <= a for a, b in zip(accuracies, accuracies[1:])):
        model.fail("tiers", f"accuracies must rise strictly and start above the baseline {baseline:g}: {accuracies}")
    total = sum(p for _, p in tiers)
    if abs(total - points) > 1e-9:
        model.fail("tiers", f"points add up to {total:g}, but task '{task}' is worth {points:g}")
    return tuple(tiers)
