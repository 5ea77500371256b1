"""Hidden checks of ``backprop.py``.

The student's objects live in the child; each check builds the same computation with the
student's classes (through a ``Program`` of calls) and with the reference (here), and compares
values and gradients (rtol 1e-9, atol 1e-12; the reference is validated against PyTorch's
autograd in the project's tests). Value: every operation on random inputs, numbers on either
side, a node used many times, a 1,000-node chain, the course's example. Layers: forward and
backward on random batches, parameters kept as the same arrays, dropout masks reproducible from
the rng, inverted-scaled and off in eval mode. train_xor: all four points within the call's
time limit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from grader.checks import CheckFailed, assert_close, check_array, describe_type
from grader.kit import lesson_helpers
from grader.kit.numeric import rng_for, run_program
from grader.plugin import task_param
from grader.runner.protocol import Function, Ref, Rng
from grader.runner.proxy import Program

TOL: dict[str, Any] = {"rtol": 1e-9, "atol": 1e-12}




# -- Value -------------------------------------------------------------------------------------

class Sym:
    """Records operations on the student's Values as program steps (mirrors the reference)."""

    def __init__(self, program: Program, ref: Ref):
        self.program, self.ref = program, ref

    def _op(self, name, *args):
        refs = [a.ref if isinstance(a, Sym) else a for a in args]
        return Sym(self.program, self.program.method(self.ref, name, *refs))

    def __add__(self, o): return self._op("__add__", o)  # noqa: E704
    def __radd__(self, o): return self._op("__radd__", o)  # noqa: E704
    def __sub__(self, o): return self._op("__sub__", o)  # noqa: E704
    def __rsub__(self, o): return self._op("__rsub__", o)  # noqa: E704
    def __mul__(self, o): return self._op("__mul__", o)  # noqa: E704
    def __rmul__(self, o): return self._op("__rmul__", o)  # noqa: E704
    def __truediv__(self, o): return self._op("__truediv__", o)  # noqa: E704
    def __rtruediv__(self, o): return self._op("__rtruediv__", o)  # noqa: E704
    def __pow__(self, o): return self._op("__pow__", o)  # noqa: E704
    def __neg__(self): return self._op("__neg__")  # noqa: E704
    def exp(self): return self._op("exp")  # noqa: E704
    def log(self): return self._op("log")  # noqa: E704
    def tanh(self): return self._op("tanh")  # noqa: E704
    def relu(self): return self._op("relu")  # noqa: E704
    def sigmoid(self): return self._op("sigmoid")  # noqa: E704


def compare_graph(student, reference, expression, inputs: list[float], label: str) -> None:
    """Build ``expression(*values)`` with both Values, backward, compare output and grads."""
    program = Program()
    leaves = [Sym(program, program.call("Value", float(x))) for x in inputs]
    out = expression(*leaves)
    program.method(out.ref, "backward")
    data = program.get(out.ref, "data")
    grads = [program.get(leaf.ref, "grad") for leaf in leaves]
    answers = run_program(student, program)
    got = [answers[data.index]] + [answers[g.index] for g in grads]
    for value in got:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise CheckFailed(f"Value ({label}): data and grad must be floats, got {describe_type(value)}")
    ref_leaves = [reference.Value(x) for x in inputs]
    ref_out = expression(*ref_leaves)
    ref_out.backward()
    expected = [ref_out.data] + [leaf.grad for leaf in ref_leaves]
    names = ["output"] + [f"grad of input {i + 1}" for i in range(len(inputs))]
    for name, have, want in zip(names, got, expected):
        if not math.isclose(have, want, rel_tol=TOL["rtol"], abs_tol=TOL["atol"]):
            raise CheckFailed(f"Value ({label}): {name} is {have:.6g}, expected {want:.6g}")


OPERATIONS = {
    "a + b": lambda a, b: a + b,
    "a * b": lambda a, b: a * b,
    "a - b": lambda a, b: a - b,
    "a / b": lambda a, b: a / b,
    "-a": lambda a, b: -a + b * 0,
    "a ** 3": lambda a, b: a**3 + b * 0,
    "a ** -1.5": lambda a, b: a**-1.5 + b * 0,
    "exp(a)": lambda a, b: a.exp() + b * 0,
    "log(a)": lambda a, b: a.log() + b * 0,
    "tanh(a)": lambda a, b: a.tanh() + b * 0,
    "relu(a), relu(-b)": lambda a, b: a.relu() + (-b).relu(),
    "sigmoid(a)": lambda a, b: a.sigmoid() + b * 0,
    "2 + a, 3 * b": lambda a, b: 2 + a + 3 * b,
    "5 - a, 2 / b": lambda a, b: (5 - a) * (2 / b),
    "a * b + exp(a) - b / a": lambda a, b: a * b + a.exp() - b / a,
    "tanh(a * b) * sigmoid(a - b)": lambda a, b: (a * b).tanh() * (a - b).sigmoid(),
}


@pytest.mark.task("Value")
@pytest.mark.parametrize("label", list(OPERATIONS))
def test_value_operation(label, student, reference):
    """Value: {label} and its gradients match the reference"""
    rng = rng_for("value", label)
    for _ in range(3):
        a, b = rng.uniform(0.3, 2.0, size=2)
        compare_graph(student, reference, OPERATIONS[label], [a, b], label)


@pytest.mark.task("Value")
def test_value_course_example(student, reference):
    """Value: the course's example f = 1 + exp(w1 x + w0)"""
    compare_graph(student, reference, lambda x, w1, w0: 1 + (w1 * x + w0).exp(), [1.0, 2.0, 1.0], "1 + exp(w1 x + w0)")


@pytest.mark.task("Value")
def test_value_reused_node_accumulates(student, reference):
    """Value: a node used many times accumulates its gradient"""

    def expression(a, b):
        total = a * a
        for _ in range(5):
            total = total + a * b + a
        return total

    compare_graph(student, reference, expression, [1.3, -0.7], "a used 12 times")


@pytest.mark.task("Value")
def test_value_deep_chain(student, reference):
    """Value: backward works on a 1,000-node chain (deeper than the recursion limit allows)"""

    def expression(a):
        out = a
        for i in range(1000):
            out = out * 1.001 + 0.001 if i % 2 else out + 0.5
        return out

    compare_graph(student, reference, expression, [0.2], "a chain of 1,000 nodes")


# -- arrays ------------------------------------------------------------------------------------

@pytest.mark.task("frobenius_grad")
def test_frobenius_grad(student, reference):
    """frobenius_grad matches X^T (X W) on random matrices"""
    for n, d, k in [(5, 3, 2), (1, 4, 4), (20, 6, 1)]:
        rng = rng_for("frobenius", n, d, k)
        X, W = rng.normal(size=(n, d)), rng.normal(size=(d, k))
        got = check_array(student.frobenius_grad(X, W), what="frobenius_grad", shape=(d, k))
        assert_close(got, reference.frobenius_grad(X, W), what=f"frobenius_grad, X {X.shape}, W {W.shape}", **TOL)


@pytest.mark.task("numerical_gradient")
@pytest.mark.parametrize("function", ["sum_of_squares", "sum_sin_times_index", "log_sum_exp", "product_of_cosines"])
def test_numerical_gradient(function, student, reference):
    """numerical_gradient matches central differences of {function} and leaves x unchanged"""
    FUNCTIONS = lesson_helpers(__file__).FUNCTIONS

    x = rng_for("numgrad", function).normal(size=(3, 4))
    result = student.call("numerical_gradient", Function(function), x, return_args=True)
    got = check_array(result.value, what="numerical_gradient", shape=x.shape)
    expected = reference.numerical_gradient(FUNCTIONS[function], x)
    assert_close(got, expected, what=f"numerical_gradient of {function}", rtol=1e-6, atol=1e-8)
    assert_close(result.args_after[1], x, what="numerical_gradient: x after the call", rtol=0, atol=0)


# -- layers ------------------------------------------------------------------------------------

def _batch(key, shape):
    return rng_for("batch", key, shape).normal(size=shape)


def _dense_pair(program, reference, key, n_in, n_out):
    """A student Dense (in the program) and a reference Dense with the same W and b."""
    rng = rng_for("dense", key)
    W, b = rng.normal(size=(n_in, n_out)), rng.normal(size=n_out)
    layer = program.call("Dense", n_in, n_out, Rng(1))
    program.assign(layer, "W", W)
    program.assign(layer, "b", b)
    ref = reference.Dense(n_in, n_out, np.random.default_rng(1))
    ref.W[...], ref.b[...] = W, b
    return layer, ref


@pytest.mark.task("Dense")
def test_dense_forward_and_backward(student, reference):
    """Dense: forward, backward, dW and db match the reference on random batches"""
    for n, n_in, n_out in [(4, 3, 2), (1, 5, 5), (16, 8, 3)]:
        program = Program()
        layer, ref = _dense_pair(program, reference, (n, n_in, n_out), n_in, n_out)
        x, g = _batch("x", (n, n_in)), _batch("g", (n, n_out))
        y = program.method(layer, "forward", x)
        gin = program.method(layer, "backward", g)
        dW, db = program.get(layer, "dW"), program.get(layer, "db")
        answers = run_program(student, program)
        expected = {"forward": ref.forward(x), "backward": ref.backward(g), "dW": None, "db": None}
        expected["dW"], expected["db"] = ref.dW, ref.db
        for name, step in (("forward", y), ("backward", gin), ("dW", dW), ("db", db)):
            want = expected[name]
            got = check_array(answers[step.index], what=f"Dense.{name}", shape=want.shape)
            assert_close(got, want, what=f"Dense.{name} (batch {n}, {n_in} -> {n_out})", **TOL)


@pytest.mark.task("Dense")
def test_dense_initialisation(student):
    """Dense: W (in, out) and b (out,) drawn from rng; same seed, same W; parameters() are W and b"""
    program = Program()
    first, second, other = (program.call("Dense", 4, 3, Rng(seed)) for seed in (7, 7, 8))
    w1, w2, w3, b = program.get(first, "W"), program.get(second, "W"), program.get(other, "W"), program.get(first, "b")
    params = program.method(first, "parameters")
    answers = run_program(student, program)
    W = check_array(answers[w1.index], what="Dense.W", shape=(4, 3))
    check_array(answers[b.index], what="Dense.b", shape=(3,))
    assert_close(answers[w2.index], W, what="Dense.W with the same seed", rtol=0, atol=0)
    if np.array_equal(answers[w3.index], W) or not np.any(W):
        raise CheckFailed("Dense.W must be drawn from rng: different seeds gave the same W, or W is all zeros")
    listed = answers[params.index]
    if not isinstance(listed, list) or len(listed) != 2:
        raise CheckFailed(f"Dense.parameters() returned {describe_type(listed)}; expected [W, b]")


@pytest.mark.task("Dense")
def test_dense_updates_in_place_are_seen(student, reference):
    """Dense: W and b changed in place (as an optimizer does) are used by the next forward"""
    program = Program()
    layer, ref = _dense_pair(program, reference, "inplace", 3, 2)
    params = program.method(layer, "parameters")
    x = _batch("inplace", (2, 3))
    program.method(layer, "forward", x)
    program.assign(layer, "W", np.ones((3, 2)))
    y = program.method(layer, "forward", x)
    answers = run_program(student, program)
    assert_close(answers[y.index], x @ np.ones((3, 2)) + ref.b, what="Dense.forward after W changed in place", **TOL)
    listed = answers[params.index]
    if not isinstance(listed, list) or len(listed) != 2:
        raise CheckFailed(f"Dense.parameters() returned {describe_type(listed)}; expected [W, b]")


@pytest.mark.parametrize("name", [task_param(name) for name in ("ReLU", "Sigmoid", "Tanh")])
def test_activation_layer(name, student, reference):
    """{name}: forward and backward match the reference"""
    for shape in [(4, 3), (1, 7), (0, 2)]:
        x, g = _batch(name, shape) * 3, _batch(name + "g", shape)
        program = Program()
        layer = program.call(name)
        y = program.method(layer, "forward", x)
        gin = program.method(layer, "backward", g)
        answers = run_program(student, program)
        ref = getattr(reference, name)()
        assert_close(check_array(answers[y.index], what=f"{name}.forward", shape=shape), ref.forward(x), what=f"{name}.forward", **TOL)
        assert_close(check_array(answers[gin.index], what=f"{name}.backward", shape=shape), ref.backward(g), what=f"{name}.backward", **TOL)


@pytest.mark.task("Dropout")
def test_dropout_masks(student, reference):
    """Dropout: the mask comes from rng, kept units are scaled by 1/(1-p), backward reuses it"""
    for p in (0.5, 0.2):
        x, g = _batch("drop", (6, 8)) + 5, _batch("dropg", (6, 8))
        program = Program()
        layer = program.call("Dropout", p, Rng(3))
        y1 = program.method(layer, "forward", x)
        gin = program.method(layer, "backward", g)
        y2 = program.method(layer, "forward", x)
        answers = run_program(student, program)
        ref = reference.Dropout(p, np.random.default_rng(3))
        for name, step, want in (("forward", y1, ref.forward(x)), ("backward", gin, ref.backward(g)), ("second forward", y2, ref.forward(x))):
            got = check_array(answers[step.index], what=f"Dropout.{name}", shape=x.shape)
            assert_close(got, want, what=f"Dropout(p={p}).{name} (one rng.random(x.shape) draw per forward)", **TOL)


@pytest.mark.task("Dropout")
def test_dropout_eval_is_identity(student):
    """Dropout: in eval mode forward and backward are the identity"""
    x = _batch("eval", (3, 5))
    program = Program()
    layer = program.call("Dropout", 0.5, Rng(0))
    program.method(layer, "eval")
    y = program.method(layer, "forward", x)
    gin = program.method(layer, "backward", x * 2)
    answers = run_program(student, program)
    assert_close(answers[y.index], x, what="Dropout.forward in eval mode", rtol=0, atol=0)
    assert_close(answers[gin.index], x * 2, what="Dropout.backward in eval mode", rtol=0, atol=0)


def _network(program, reference, dropout: bool):
    d1, r1 = _dense_pair(program, reference, "net1", 4, 6)
    d2, r2 = _dense_pair(program, reference, "net2", 6, 3)
    layers, ref_layers = [d1, program.call("Tanh")], [r1, reference.Tanh()]
    if dropout:
        layers.append(program.call("Dropout", 0.3, Rng(5)))
        ref_layers.append(reference.Dropout(0.3, np.random.default_rng(5)))
    layers += [d2]
    ref_layers += [r2]
    return program.call("Sequential", *layers), reference.Sequential(*ref_layers)


@pytest.mark.task("Sequential")
def test_sequential_forward_backward_and_parameters(student, reference):
    """Sequential: forward and backward through Dense-Tanh-Dropout-Dense match; parameters and gradients in order"""
    x, g = _batch("seq", (5, 4)), _batch("seqg", (5, 3))
    program = Program()
    model, ref = _network(program, reference, dropout=True)
    y = program.method(model, "forward", x)
    gin = program.method(model, "backward", g)
    params, grads = program.method(model, "parameters"), program.method(model, "gradients")
    answers = run_program(student, program)
    assert_close(answers[y.index], ref.forward(x), what="Sequential.forward", **TOL)
    assert_close(answers[gin.index], ref.backward(g), what="Sequential.backward", **TOL)
    for what, step, expected in (("parameters()", params, ref.parameters()), ("gradients()", grads, ref.gradients())):
        got = answers[step.index]
        if not isinstance(got, list) or len(got) != len(expected):
            raise CheckFailed(f"Sequential.{what} returned {describe_type(got)}; expected a list of {len(expected)} arrays")
        for i, (have, want) in enumerate(zip(got, expected)):
            assert_close(check_array(have, what=f"Sequential.{what}[{i}]", shape=want.shape), want, what=f"Sequential.{what}[{i}]", **TOL)


@pytest.mark.task("Sequential")
def test_sequential_eval_switches_every_layer(student, reference):
    """Sequential: eval() turns dropout off in every layer, train() back on"""
    x = _batch("seqeval", (5, 4))
    program = Program()
    model, ref = _network(program, reference, dropout=True)
    program.method(model, "eval")
    y_eval = program.method(model, "forward", x)
    program.method(model, "train")
    y_train = program.method(model, "forward", x)
    answers = run_program(student, program)
    ref.eval()
    assert_close(answers[y_eval.index], ref.forward(x), what="Sequential.forward after eval()", **TOL)
    ref.train()
    assert_close(answers[y_train.index], ref.forward(x), what="Sequential.forward after train()", **TOL)


@pytest.mark.task("SoftmaxCrossEntropy")
def test_softmax_cross_entropy(student, reference):
    """SoftmaxCrossEntropy: loss and gradient match, also for logits up to 1e4"""
    rng = rng_for("sce")
    cases = [(rng.normal(size=(6, 4)) * 3, rng.integers(0, 4, 6)), (np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]]), np.array([1, 0]))]
    for logits, labels in cases:
        program = Program()
        loss = program.call("SoftmaxCrossEntropy")
        value = program.method(loss, "forward", logits, labels)
        grad = program.method(loss, "backward")
        answers = run_program(student, program)
        ref = reference.SoftmaxCrossEntropy()
        want_value, want_grad = ref.forward(logits, labels), ref.backward()
        got_value = answers[value.index]
        if not isinstance(got_value, (float, np.floating)) or not math.isfinite(got_value):
            raise CheckFailed(f"SoftmaxCrossEntropy.forward returned {got_value!r}; expected a finite float")
        assert_close(got_value, want_value, what="SoftmaxCrossEntropy.forward", rtol=1e-9, atol=1e-9)
        assert_close(check_array(answers[grad.index], what="SoftmaxCrossEntropy.backward", shape=logits.shape), want_grad, what="SoftmaxCrossEntropy.backward", **TOL)


@pytest.mark.task("l2_penalty")
def test_l2_penalty(student, reference):
    """l2_penalty matches lam/2 * sum of squares over every array"""
    params = [_batch("l2", (3, 2)), _batch("l2b", (2,))]
    got = student.l2_penalty(params, 0.01)
    assert_close(got, reference.l2_penalty(params, 0.01), what="l2_penalty", **TOL)


@pytest.mark.task("l2_penalty_grad")
def test_l2_penalty_grad(student, reference):
    """l2_penalty_grad is [lam * p for p in params]"""
    params = [_batch("l2", (3, 2)), _batch("l2b", (2,))]
    got = student.l2_penalty_grad(params, 0.01)
    if not isinstance(got, list) or len(got) != 2:
        raise CheckFailed(f"l2_penalty_grad returned {describe_type(got)}; expected a list of 2 arrays")
    for have, want in zip(got, reference.l2_penalty_grad(params, 0.01)):
        assert_close(check_array(have, what="l2_penalty_grad", shape=want.shape), want, what="l2_penalty_grad", **TOL)


@pytest.mark.task("train_xor")
def test_train_xor(student):
    """train_xor learns XOR: argmax of the logits on the four points is x1 XOR x2"""
    points = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    program = Program()
    model = program.call("train_xor", Rng(0))
    program.method(model, "eval")
    logits = program.method(model, "forward", points)
    answers = run_program(student, program)
    got = check_array(answers[logits.index], what="train_xor's model on the four points", shape=(4, 2))
    predicted = np.argmax(got, axis=1)
    if predicted.tolist() != [0, 1, 1, 0]:
        raise CheckFailed(f"train_xor's model predicts {predicted.tolist()} on [[0,0],[0,1],[1,0],[1,1]]; expected [0, 1, 1, 0]")
