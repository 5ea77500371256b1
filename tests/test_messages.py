"""Messages that say what to fix: the configuration in a check's name, the student's own
exception text, the check that a wrong value really belongs to."""

from __future__ import annotations

from conftest import make_submission

from grader.api import GradeRequest, grade


def _by_name(result) -> dict:
    return {test.name: test for test in result.tests}


def test_a_check_names_its_configuration_and_the_option_that_raised(tmp_path):
    refuse_nesterov = lambda source: source.replace(  # noqa: E731
        "    def __init__(self, params, lr=0.001, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):\n",
        "    def __init__(self, params, lr=0.001, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):\n"
        "        if nesterov:\n            raise ValueError('nesterov is not supported yet')\n",
    )
    result = grade(GradeRequest("optimizers", make_submission(tmp_path, "optimizers", refuse_nesterov)))
    tests = _by_name(result)
    nesterov = tests["SGD(lr=0.05, momentum=0.9, nesterov=True) follows the reference's 50-step trajectory"]
    assert nesterov.status == "error"
    assert nesterov.message.startswith("SGD(lr=0.05, momentum=0.9, nesterov=True): ValueError: nesterov is not supported yet")
    assert tests["SGD(lr=0.05, momentum=0.9) follows the reference's 50-step trajectory"].status == "passed"
    assert tests["SGD() follows the reference's 50-step trajectory"].status == "passed"


def test_a_students_own_not_implemented_error_keeps_its_text(tmp_path):
    own_words = lambda source: source.replace(  # noqa: E731
        '        """out = e^self; d out / d self = e^self."""\n',
        '        """out = e^self; d out / d self = e^self."""\n        raise NotImplementedError("not in my code: Value.exp")\n',
    )
    result = grade(GradeRequest("backprop", make_submission(tmp_path, "backprop", own_words)))
    messages = [test.message for test in result.tests if test.status != "passed"]
    assert messages and all("not implemented yet" not in message for message in messages)
    assert any("NotImplementedError: not in my code: Value.exp" in message and "in exp" in message for message in messages)


def test_other_checks_of_a_function_with_wrong_values_point_to_its_values_check(tmp_path):
    wrong = lambda source: source.replace("    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))\n", "    return np.where(x >= 0, 1 / (1 + z), z / (2 + z))\n")  # noqa: E731
    result = grade(GradeRequest("activations", make_submission(tmp_path, "activations", wrong)))
    tests = _by_name(result)
    assert tests["sigmoid matches the reference on random inputs"].status == "failed"
    assert "relative error" in tests["sigmoid matches the reference on random inputs"].message
    for title in ("sigmoid keeps the input's dtype and shape", "sigmoid leaves its input unchanged", "sigmoid is finite and warning-free for |x| up to 1e4"):
        assert tests[title].message == "sigmoid: values are wrong: see 'sigmoid matches the reference'", title
    assert "timed only once it gives the right values" in tests["sigmoid is vectorized (no Python loop over elements)"].message


def test_a_public_check_catches_every_property_the_hidden_checks_grade(tmp_path):
    from grader.api import check

    naive = lambda source: source.replace("    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))\n", "    return 1 / (1 + np.exp(-x))\n")  # noqa: E731
    result = check("activations", make_submission(tmp_path, "activations", naive))
    failing = {test.name: test.message for test in result.tests if test.status != "passed"}
    title = "sigmoid is stable for |x| up to 1e4, keeps float32, leaves its input unchanged and is vectorized"
    assert title in failing and "raised a warning: RuntimeWarning: overflow" in failing[title]
    assert all(name.startswith("sigmoid") or "sigmoid" not in name for name in failing)
    looped = lambda source: source.replace("def mae(y_true, y_pred):", "def _mae(y_true, y_pred):") + (  # noqa: E731
        "\n\ndef mae(y_true, y_pred):\n    return sum(abs(float(t) - float(p)) for t, p in zip(np.ravel(y_true), np.ravel(y_pred))) / np.size(y_true)\n"
    )
    result = check("losses", make_submission(tmp_path, "losses", looped, name="looped"))
    failing = {test.name: test.message for test in result.tests if test.status != "passed"}
    assert list(failing) == ["mae is stable on extreme inputs, keeps float32, leaves its inputs unchanged and is vectorized"]
    assert "use numpy operations on whole arrays" in next(iter(failing.values()))
