"""The lesson manifest (``lesson.toml``), read strictly: every real lesson's reads and matches its
folder; each kind of fault is one :class:`ManifestError` line naming the file and the key; a bad
manifest anywhere in a course makes ``grade`` print one ``grade: error:`` line and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.course.catalogue import load_catalogue
from grader.course.manifest import MANIFEST, Lesson, ManifestError, read_manifest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference"
REAL_MANIFESTS = sorted(REFERENCE.glob(f"*/{MANIFEST}"))
GRADE = Path(sys.executable).parent / "grade"

#: A valid model lesson's manifest: every table a fault below edits (``{id}`` is the folder).
VALID = """\
id = "{id}"
title = "A lesson of one's own"
order = 3
module = "model"
call_timeout_s = 120
handles = true

[release]
"model.py" = "baseline.py"

[tasks]
train = 10
predict = 0

[model]
dataset = "fashion_mnist"
classes = ["cat", "dog", "bird"]
baseline = 0.5
tiers = [[0.6, 5], [0.7, 5]]
task = "train"

[model.budgets_s.torch]
cpu = 60
cuda = 30

[model.smoke]
train = 500
holdout = 200
budget_s = 5
"""


def write(folder: Path, text: str) -> Path:
    """``text`` written as ``folder/lesson.toml`` (``{id}`` replaced by the folder's name)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST
    path.write_text(text.replace("{id}", folder.name))
    return path


def replaced(old: str, new: str) -> str:
    """The valid manifest with ``old`` (found exactly once) replaced by ``new``."""
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new)


def assert_one_line(error: ManifestError, path: Path, key: str | None) -> str:
    message = str(error)
    assert "\n" not in message, message
    assert message.startswith(f"{path}: "), message
    assert error.path == str(path)
    assert error.key == key, message
    if key is not None:
        assert message.startswith(f"{path}: {key}: "), message
    return message


# -- the real lessons ---------------------------------------------------------------------------


def test_there_are_real_lessons():
    assert len(REAL_MANIFESTS) >= 5, REAL_MANIFESTS


@pytest.mark.parametrize("path", REAL_MANIFESTS, ids=[path.parent.name for path in REAL_MANIFESTS])
def test_every_real_lessons_manifest_reads_and_matches_its_folder(path):
    lesson = read_manifest(path)
    folder = path.parent
    assert isinstance(lesson, Lesson)
    assert lesson.id == folder.name and lesson.folder == folder
    assert lesson.title.strip() and lesson.tasks and lesson.max_score > 0
    assert (folder / lesson.filename).is_file(), f"{lesson.id}: no {lesson.filename}"
    assert (folder / "hidden").is_dir() and list((folder / "hidden").glob("test_*.py")), f"{lesson.id}: no hidden suite"
    for released, source in lesson.release.items():
        assert (folder / source).is_file(), f"{lesson.id}: release {released} from missing {source}"
    if lesson.is_model:
        assert lesson.spec.task in lesson.tasks
        assert sum(points for _, points in lesson.spec.tiers) == pytest.approx(lesson.tasks[lesson.spec.task])
        assert lesson.spec.tiers[0][0] > lesson.spec.baseline


def test_the_real_catalogue_reads_together_in_order():
    catalogue = load_catalogue(REFERENCE)
    assert sorted(catalogue) == sorted(path.parent.name for path in REAL_MANIFESTS)
    orders = [(lesson.order, lesson.id) for lesson in catalogue.values()]
    assert orders == sorted(orders)
    for lesson in catalogue.values():
        for module, home in lesson.uses.items():
            assert catalogue[home].module == module, (lesson.id, module, home)


def test_the_valid_manifest_of_these_tests_is_valid(tmp_path):
    lesson = read_manifest(write(tmp_path / "mine", VALID))
    assert lesson.id == "mine" and lesson.is_model and lesson.spec.tiers == ((0.6, 5.0), (0.7, 5.0))
    assert lesson.budget_s("torch", "cpu") == 60 and lesson.handles is True


# -- one fault, one line ------------------------------------------------------------------------

FAULTS = {
    "unknown top-level key": (replaced("order = 3\n", 'order = 3\ncolour = "red"\n'), "colour", "unknown key"),
    "unknown key in [model]": (replaced('task = "train"\n', 'task = "train"\nepochs = 3\n'), "model.epochs", "unknown key"),
    "id not the folder's name": (replaced('id = "{id}"', 'id = "someone_else"'), "id", "folder name"),
    "tiers that do not rise": (replaced("tiers = [[0.6, 5], [0.7, 5]]", "tiers = [[0.7, 5], [0.6, 5]]"), "model.tiers", "rise"),
    "tiers not above the baseline": (replaced("baseline = 0.5", "baseline = 0.65"), "model.tiers", "above the baseline"),
    "tiers not adding up to the task's points": (replaced("tiers = [[0.6, 5], [0.7, 5]]", "tiers = [[0.6, 5], [0.7, 4]]"), "model.tiers", "add up to 9"),
    "a task with negative points": (replaced("predict = 0", "predict = -1"), "tasks.predict", "points must be a number"),
    "a task whose points are not a number": (replaced("predict = 0", 'predict = "none"'), "tasks.predict", "points must be a number"),
    "invalid TOML": (replaced("order = 3", "order = = 3"), None, "not valid TOML"),
    "missing title": (replaced('title = "A lesson of one\'s own"\n', ""), "title", "missing"),
    "a budget for an unknown framework": (replaced("[model.smoke]", "[model.budgets_s.jax]\ncpu = 10\n\n[model.smoke]"), "model.budgets_s.jax", "unknown framework"),
    "a budget for an unknown device": (replaced("cuda = 30", "cuda = 30\ntpu = 20"), "model.budgets_s.torch.tpu", "unknown device"),
    "handles of the wrong type": (replaced("handles = true", 'handles = "yes"'), "handles", "true or false"),
    "frameworks in a model lesson": (replaced("handles = true", 'handles = true\nframeworks = ["torch"]'), "frameworks", "model lesson's frameworks"),
    "a top-level dataset in a model lesson": (replaced("handles = true", 'handles = true\ndataset = "imdb"'), "dataset", "names its data set in [model]"),
}


@pytest.mark.parametrize("text, key, problem", list(FAULTS.values()), ids=list(FAULTS))
def test_each_fault_is_one_manifest_error_line_naming_the_file_and_the_key(tmp_path, text, key, problem):
    path = write(tmp_path / "mine", text)
    with pytest.raises(ManifestError) as raised:
        read_manifest(path)
    message = assert_one_line(raised.value, path, key)
    assert problem in message, message
    with pytest.raises(ManifestError) as again:  # the catalogue reports the same line
        load_catalogue(tmp_path)
    assert str(again.value) == message


NUMPY_LESSON = """\
id = "{id}"
title = "A numpy lesson"
order = {order}
module = "{module}"
{uses}
[tasks]
f = 1
"""


@pytest.mark.parametrize(
    "uses, problem",
    [('[uses]\nhelpers = "nowhere"\n', "lesson 'nowhere' does not exist"), ('[uses]\nhelpers = "basics"\n', "lesson 'basics' teaches 'basics', not 'helpers'")],
    ids=["from a lesson that does not exist", "from a lesson that teaches another module"],
)
def test_a_used_module_must_come_from_an_existing_lesson_that_teaches_it(tmp_path, uses, problem):
    write(tmp_path / "basics", NUMPY_LESSON.format(id="{id}", order=1, module="basics", uses=""))
    path = write(tmp_path / "later", NUMPY_LESSON.format(id="{id}", order=2, module="later", uses=uses))
    assert read_manifest(path).uses == {"helpers": uses.split('"')[1]}  # on its own, the manifest is valid
    with pytest.raises(ManifestError) as raised:
        load_catalogue(tmp_path)
    message = assert_one_line(raised.value, path, "uses.helpers")
    assert problem in message, message


def test_a_used_module_from_the_lesson_that_teaches_it_is_valid(tmp_path):
    write(tmp_path / "basics", NUMPY_LESSON.format(id="{id}", order=1, module="basics", uses=""))
    write(tmp_path / "later", NUMPY_LESSON.format(id="{id}", order=2, module="later", uses='[uses]\nbasics = "basics"\n'))
    catalogue = load_catalogue(tmp_path)
    assert list(catalogue) == ["basics", "later"] and catalogue["later"].modules == ["later", "basics"]


# -- the command line ---------------------------------------------------------------------------


def test_grade_reports_a_bad_manifest_of_the_course_as_one_line_and_exit_2(tmp_path):
    course = tmp_path / "course"
    write(course / "reference" / "demo", NUMPY_LESSON.format(id="{id}", order=1, module="demo", uses='colour = "red"\n'))
    path = course / "reference" / "demo" / MANIFEST
    env = {key: value for key, value in os.environ.items() if key != "GRADER_COURSE_ROOT"}
    done = subprocess.run([str(GRADE), "--course-root", str(course), "list"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("grade: error: ") and str(path.resolve()) in lines[0] and ": colour: unknown key" in lines[0], lines[0]


FRAMEWORK_LESSON = NUMPY_LESSON.replace("[tasks]", "{extra}\n[tasks]")


@pytest.mark.parametrize(
    "extra, key, problem",
    [
        ('frameworks = ["torch", "jax"]', "frameworks", "must list frameworks of torch, keras"),
        ('frameworks = ["torch", "torch"]', "frameworks", "each once"),
        ('oracles = ["later"]', "oracles", "must list the ids of other lessons"),
        ('dataset = "not an id"', "dataset", "Python identifier"),
    ],
    ids=["an unknown framework", "a framework twice", "the lesson itself as its oracle", "a data set that is no identifier"],
)
def test_the_keys_of_a_lesson_written_with_a_framework_are_read_strictly(tmp_path, extra, key, problem):
    path = write(tmp_path / "later", FRAMEWORK_LESSON.format(id="{id}", order=2, module="later", uses="", extra=extra))
    with pytest.raises(ManifestError) as raised:
        read_manifest(path)
    message = assert_one_line(raised.value, path, key)
    assert problem in message, message


def test_a_lesson_written_with_a_framework_gets_a_model_lessons_room_and_its_oracles_must_exist(tmp_path):
    write(tmp_path / "basics", NUMPY_LESSON.format(id="{id}", order=1, module="basics", uses=""))
    extra = 'frameworks = ["keras"]\ndataset = "fashion_mnist"\noracles = ["basics"]'
    path = write(tmp_path / "later", FRAMEWORK_LESSON.format(id="{id}", order=2, module="later", uses="", extra=extra))
    lesson = load_catalogue(tmp_path)["later"]
    assert lesson.frameworks == ("keras",) and lesson.framework_sized and lesson.data_set == "fashion_mnist" and lesson.oracles == ("basics",)
    assert not load_catalogue(tmp_path)["basics"].framework_sized
    path.write_text(path.read_text().replace('oracles = ["basics"]', 'oracles = ["nowhere"]'))
    with pytest.raises(ManifestError) as raised:
        load_catalogue(tmp_path)
    assert "lesson 'nowhere' does not exist" in assert_one_line(raised.value, path, "oracles")
