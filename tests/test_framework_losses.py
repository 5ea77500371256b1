"""The framework_losses lesson in Keras: its Keras reference earns full marks, its Keras stub
nothing, and the bugs only TensorFlow has (a Python ``if`` on a tensor, a value taken out
through ``.numpy()``, a numpy result) lose exactly their tasks' points with a message that
says why. (``grade validate`` and ``tests/test_mutants.py`` grade the PyTorch reference and its
typical bugs.)"""

from __future__ import annotations

import pytest

from grader.api import GradeRequest, grade
from grader.course.catalogue import get_lesson
from grader.course.paths import assignment_dir, reference_dir

pytest.importorskip("tensorflow", reason="needs TensorFlow: pip install -e '.[instructor]'")
LESSON = get_lesson("framework_losses")
KERAS = (reference_dir(LESSON.id) / "framework_losses_keras.py").read_text()


def graded(tmp_path, source: str):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / LESSON.filename).write_text(source)
    return grade(GradeRequest(LESSON.id, folder))


def lost(result) -> dict[str, list[str]]:
    """The tasks that lost points, each with its failed tests' messages."""
    messages: dict[str, list[str]] = {}
    for test in result.tests:
        if test.status != "passed":
            messages.setdefault(test.task, []).append(test.message)
    return messages


def test_the_keras_reference_earns_full_marks(tmp_path):
    result = graded(tmp_path, KERAS)
    assert result.score == LESSON.max_score, lost(result)


def test_the_keras_stub_earns_nothing(tmp_path):
    result = graded(tmp_path, (assignment_dir(LESSON.id) / "framework_losses_keras.py").read_text())
    assert result.score == 0 and all(test.status != "passed" for test in result.tests)


def test_tensorflow_only_bugs_lose_their_tasks_and_say_why(tmp_path):
    python_if = KERAS.replace(
        "    return tf.where(is_small_error, small_error_loss, big_error_loss)",
        "    if tf.reduce_all(is_small_error):\n        return small_error_loss\n    return big_error_loss",
    )
    through_numpy = python_if.replace(
        "    return tf.reduce_mean(tf.square(tf.cast(y_true, y_pred.dtype) - y_pred))",
        "    return tf.constant(((tf.cast(y_true, y_pred.dtype) - y_pred) ** 2).numpy().mean())",
    )
    numpy_result = through_numpy.replace(
        "    return tf.reduce_mean(tf.abs(tf.cast(y_true, y_pred.dtype) - y_pred))",
        "    return (abs(tf.cast(y_true, y_pred.dtype) - y_pred)).numpy().mean(axis=-1)",
    )
    assert python_if != KERAS and through_numpy != python_if and numpy_result != through_numpy
    result = graded(tmp_path, numpy_result)
    messages = lost(result)
    assert set(messages) == {"my_huber_loss", "mse", "mae"}, messages
    assert any("not a TensorFlow tensor" in message for message in messages["mae"]), messages["mae"]
    assert any("does not depend on y_pred" in message or ".numpy()" in message or "numpy()" in message for message in messages["mse"]), messages["mse"]
    assert any("tf.function" in message or "OperatorNotAllowedInGraphError" in message or "symbolic" in message for message in messages["my_huber_loss"]), messages["my_huber_loss"]


def test_a_loss_per_example_kept_as_a_column_is_a_loss_per_example(tmp_path):
    """Dice ported from the numpy lesson with keepdims: shape (B, 1) for labels (B, k)."""
    torch_reference = (reference_dir(LESSON.id) / LESSON.filename).read_text()
    dice = (
        "    inter = torch.sum(y * y_pred, dim=axes)\n"
        "    total = torch.sum(y, dim=axes) + torch.sum(y_pred, dim=axes)\n"
        "    return torch.mean(1 - (2 * inter + smooth) / (total + smooth))"
    )
    mean = "return torch.mean(1 - (2 * inter + smooth) / (total + smooth))"
    kept = dice.replace("dim=axes)", "dim=axes, keepdim=True)").replace(mean, "return 1 - (2 * inter + smooth) / (total + smooth)")
    keepdims = torch_reference.replace(dice, kept)
    assert keepdims != torch_reference
    result = graded(tmp_path, keepdims)
    assert result.score == LESSON.max_score, lost(result)
