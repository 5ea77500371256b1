"""The training_experiments lesson: its PyTorch and Keras references earn full marks and its
stub nothing on real Fashion-MNIST slices, the feedback page draws the submitted curves, the
submitted TensorBoard logs are read as data (a file name that climbs out is refused), and its
Gradescope setup installs what its hidden suite reads the logs with."""

from __future__ import annotations

import importlib.util
import sys
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import needs_fashion

from grader.api import GradeRequest, grade
from grader.checks import CheckFailed
from grader.cli import main
from grader.course.catalogue import get_lesson
from grader.course.paths import assignment_dir, hidden_dir, reference_dir
from grader.reports.pages.compose import submission_page

LESSON = get_lesson("training_experiments")


def submission_of(tmp_path, source_file) -> object:
    folder = tmp_path / source_file.stem
    folder.mkdir()
    (folder / LESSON.filename).write_text(source_file.read_text())
    return folder


def lost(result) -> dict:
    return {test.name: test.message for test in result.tests if test.status != "passed"}


@pytest.fixture(scope="module")
def torch_reference(tmp_path_factory, data_dir):
    pytest.importorskip("tbparse", reason="needs tbparse: pip install -e '.[instructor]'")
    folder = submission_of(tmp_path_factory.mktemp("torch"), reference_dir(LESSON.id) / LESSON.filename)
    return grade(GradeRequest(LESSON.id, folder, data_dir=data_dir))


@needs_fashion
def test_the_torch_reference_earns_full_marks_and_its_page_draws_its_curves(torch_reference):
    assert torch_reference.score == LESSON.max_score, lost(torch_reference)
    kept = torch_reference.details["curves"]
    assert {"train_with_tensorboard", "train_to_overfit", "train_with_augmentation: augmented", "compare_optimizers: adam"} <= set(kept)
    page = submission_page(torch_reference)
    assert "Your training curves" in page and page.count("<svg") >= len(kept) and "train_to_overfit" in page


@needs_fashion
def test_the_stub_earns_nothing(tmp_path, data_dir):
    result = grade(GradeRequest(LESSON.id, assignment_dir(LESSON.id), data_dir=data_dir))
    assert result.graded and result.score == 0 and all(test.status != "passed" for test in result.tests)


@needs_fashion
def test_the_keras_reference_earns_full_marks(tmp_path, data_dir):
    pytest.importorskip("tensorflow", reason="needs TensorFlow: pip install -e '.[instructor]'")
    pytest.importorskip("tbparse", reason="needs tbparse: pip install -e '.[instructor]'")
    result = grade(GradeRequest(LESSON.id, submission_of(tmp_path, reference_dir(LESSON.id) / "training_experiments_keras.py"), data_dir=data_dir))
    assert result.score == LESSON.max_score, lost(result)


def test_without_the_data_set_grading_says_how_to_get_it(tmp_path):
    result = grade(GradeRequest(LESSON.id, assignment_dir(LESSON.id), data_dir=tmp_path / "empty"))
    assert not result.graded and "grade data fetch fashion_mnist" in result.message, result.message


def hidden_suite():
    path = hidden_dir(LESSON.id) / "test_training_experiments_hidden.py"
    spec = importlib.util.spec_from_file_location("_training_experiments_hidden_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["../escaped", "/etc/passwd", "run/../../x", ""])
def test_a_log_file_whose_name_climbs_out_is_refused(name):
    pytest.importorskip("tbparse", reason="needs tbparse: pip install -e '.[instructor]'")
    with pytest.raises(CheckFailed, match="the logs hold a file named"):
        hidden_suite().logged_curves({name: np.frombuffer(b"not an event file", dtype=np.uint8)})


def test_the_gradescope_setup_installs_tbparse_tensorboard_and_the_frameworks_and_fetches_the_data(tmp_path):
    run = CliRunner().invoke(main, ["release", "--gradescope", LESSON.id, "--out", str(tmp_path)])
    assert run.exit_code == 0, run.output
    with zipfile.ZipFile(tmp_path / f"autograder-{LESSON.id}.zip") as zipped:
        setup = zipped.read("setup.sh").decode()
        names = zipped.namelist()
    assert 'pip install --quiet "tbparse>=0.0.9"' in setup and 'pip install --quiet "tensorboard>=2.15"' in setup
    assert '"torch==2.13.0"' in setup and '"tensorflow-cpu==2.21.*"' in setup
    assert 'grade" data fetch fashion_mnist' in setup and "course/datasets/fashion_mnist.json" in names


def test_the_logs_are_read_by_words_with_hparams_and_per_step_tags_left_out(tmp_path):
    pytest.importorskip("tbparse", reason="needs tbparse: pip install -e '.[instructor]'")
    tensorboard = pytest.importorskip("torch.utils.tensorboard", reason="needs torch and tensorboard: pip install -e '.[instructor]'")
    suite = hidden_suite()
    epochs = suite.EPOCHS["tensorboard"]
    writer = tensorboard.SummaryWriter(str(tmp_path / "logs"))
    for epoch in range(epochs):
        writer.add_scalar("Loss/train", 1.0 / (epoch + 1), epoch)
        writer.add_scalar("Loss/validation", 2.0 / (epoch + 1), epoch)
        writer.add_scalar("Accuracy/train", 0.5 + epoch / 100, epoch)
        writer.add_scalar("Accuracy/valid", 0.4 + epoch / 100, epoch)
        writer.add_scalar("batch_loss", 3.0, epoch * 10)
    writer.add_hparams({"lr": 0.001}, {"hparam/accuracy": 0.6, "hparam/loss": 0.3})
    writer.close()
    files = {str(path.relative_to(tmp_path / "logs")): np.frombuffer(path.read_bytes(), dtype=np.uint8) for path in (tmp_path / "logs").rglob("*") if path.is_file()}
    found = suite.logged_curves(files)
    assert {name: [tag for tag, _, _ in series] for name, series in found.items()} == {
        "loss": ["Loss/train"], "val_loss": ["Loss/validation"], "accuracy": ["Accuracy/train"], "val_accuracy": ["Accuracy/valid"],
    }
    assert found["val_loss"][0][1].tolist() == list(range(epochs)) and found["val_loss"][0][2][0] == pytest.approx(2.0)
