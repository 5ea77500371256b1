"""A corpus of activations submissions for the similarity tests: three independently written
correct styles of ten functions (np.where, boolean masks, np.maximum/np.minimum), a fourth for
one student's own half, and copies of style A disguised as students disguise them."""

from __future__ import annotations

import re

from grader.course.paths import assignment_dir

STUB = (assignment_dir("activations") / "activations.py").read_text()

WHERE = {
    "relu": "    return np.where(x > 0, x, 0).astype(x.dtype)",
    "relu_grad": "    return np.where(x > 0, 1.0, 0.0).astype(x.dtype)",
    "leaky_relu": "    return np.where(x >= 0, x, alpha * x).astype(x.dtype)",
    "leaky_relu_grad": "    return np.where(x >= 0, 1.0, alpha).astype(x.dtype)",
    "elu": "    negative = alpha * np.expm1(np.where(x < 0, x, 0))\n    return np.where(x >= 0, x, negative).astype(x.dtype)",
    "elu_grad": "    negative = alpha * np.exp(np.where(x < 0, x, 0))\n    return np.where(x >= 0, 1.0, negative).astype(x.dtype)",
    "step": "    return np.where(x > 0, 1.0, 0.0).astype(x.dtype)",
    "hard_tanh": "    inside = np.where(x < min_val, min_val, x)\n    return np.where(inside > max_val, max_val, inside).astype(x.dtype)",
    "hardshrink": "    keep = np.abs(x) > lambd\n    return np.where(keep, x, 0).astype(x.dtype)",
    "softshrink": "    shrunk = np.where(x > lambd, x - lambd, x + lambd)\n    return np.where(np.abs(x) > lambd, shrunk, 0).astype(x.dtype)",
}
MASKS = {
    "relu": "    out = x.copy()\n    out[x < 0] = 0\n    return out",
    "relu_grad": "    grad = np.zeros_like(x)\n    grad[x > 0] = 1\n    return grad",
    "leaky_relu": "    out = x.copy()\n    negative = x < 0\n    out[negative] = out[negative] * alpha\n    return out",
    "leaky_relu_grad": "    grad = np.ones_like(x)\n    grad[x < 0] = alpha\n    return grad",
    "elu": "    out = x.copy()\n    below = x < 0\n    out[below] = alpha * (np.exp(x[below]) - 1)\n    return out",
    "elu_grad": "    grad = np.ones_like(x)\n    below = x < 0\n    grad[below] = alpha * np.exp(x[below])\n    return grad",
    "step": "    out = np.zeros_like(x)\n    out[x > 0] = 1\n    return out",
    "hard_tanh": "    out = x.copy()\n    out[x < min_val] = min_val\n    out[x > max_val] = max_val\n    return out",
    "hardshrink": "    out = x.copy()\n    out[np.abs(x) <= lambd] = 0\n    return out",
    "softshrink": "    out = np.zeros_like(x)\n    up, down = x > lambd, x < -lambd\n    out[up] = x[up] - lambd\n    out[down] = x[down] + lambd\n    return out",
}
MAXIMUM = {
    "relu": "    return np.maximum(x, 0)",
    "relu_grad": "    return (x > 0).astype(x.dtype)",
    "leaky_relu": "    return np.maximum(x, 0) + alpha * np.minimum(x, 0)",
    "leaky_relu_grad": "    positive = (x >= 0).astype(x.dtype)\n    return positive + alpha * (1 - positive)",
    "elu": "    return np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0))",
    "elu_grad": "    positive = (x >= 0).astype(x.dtype)\n    return positive + (1 - positive) * alpha * np.exp(np.minimum(x, 0))",
    "step": "    return np.heaviside(x, 0).astype(x.dtype)",
    "hard_tanh": "    return np.minimum(np.maximum(x, min_val), max_val)",
    "hardshrink": "    return x * (np.abs(x) > lambd)",
    "softshrink": "    return np.sign(x) * np.maximum(np.abs(x) - lambd, 0)",
}
ARITHMETIC = {
    "relu": "    positive = x > 0\n    return x * positive",
    "relu_grad": "    result = 1.0 * (x > 0)\n    return result.astype(x.dtype)",
    "leaky_relu": "    slope = 1 + (alpha - 1) * (x < 0)\n    return (x * slope).astype(x.dtype)",
    "leaky_relu_grad": "    slope = 1 + (alpha - 1) * (x < 0)\n    return slope.astype(x.dtype)",
    "elu": "    small = np.clip(x, None, 0)\n    return (x > 0) * x + (x <= 0) * alpha * np.expm1(small)",
    "elu_grad": "    small = np.clip(x, None, 0)\n    return ((x > 0) + (x <= 0) * alpha * np.exp(small)).astype(x.dtype)",
    "step": "    return (np.sign(x) + 1 > 1).astype(x.dtype)",
    "hard_tanh": "    return np.clip(x, min_val, max_val)",
    "hardshrink": "    big = np.abs(x) > lambd\n    return x * big",
    "softshrink": "    return np.clip(x - lambd, 0, None) + np.clip(x + lambd, None, 0)",
}


def module(bodies: dict[str, str], order: list[str] | None = None) -> str:
    """The stub with these functions' bodies filled in (the rest left as stubs); ``order``:
    the filled functions moved to the end of the file in that order."""
    text = STUB
    moved = []
    for name, body in bodies.items():
        pattern = re.compile(rf'(def {name}\(.*?\):\n    """.*?"""\n)    raise NotImplementedError\("{name}: your code here"\)\n', re.S)
        match = pattern.search(text)
        assert match, name
        function = match.group(1) + body + "\n"
        if order is not None:
            text = text[: match.start()] + text[match.end() :]
            moved.append((name, function))
        else:
            text = text[: match.start()] + function + text[match.end() :]
    for name in order or []:
        text += "\n\n" + dict(moved)[name]
    return text


def renamed(text: str) -> str:
    """Style A with its local variables renamed."""
    for old, new in (("negative", "neg_part"), ("inside", "clipped_low"), ("keep", "mask"), ("shrunk", "moved")):
        text = re.sub(rf"\b{old}\b", new, text)
    return text


def commented_with_dead_code(text: str) -> str:
    """Style A with comments and dead code between its lines."""
    lines = []
    for line in text.splitlines():
        lines.append(line)
        if line.startswith("    return np.where"):
            lines.insert(len(lines) - 1, "    # vectorised: no loop over elements")
            lines.insert(len(lines) - 1, "    unused = x.shape  # kept for debugging")
    return "\n".join(lines) + "\n"


def corpus() -> tuple[dict[str, str], set[frozenset[str]], set[frozenset[str]]]:
    """``(submissions {name: activations.py}, copied pairs, independent pairs)``."""
    names = list(WHERE)
    half = {name: WHERE[name] for name in names[: len(names) // 2]} | {name: ARITHMETIC[name] for name in names[len(names) // 2 :]}
    submissions = {
        "ada": module(WHERE),
        "ben": module(MASKS),
        "cai": module(MAXIMUM),
        "ada_renamed": renamed(module(WHERE)),
        "ada_reordered": module(WHERE, order=list(reversed(names))),
        "ada_commented": commented_with_dead_code(module(WHERE)),
        "dan_half": module(half),
        "stub": STUB,
    }
    copies = {frozenset(("ada", other)) for other in ("ada_renamed", "ada_reordered", "ada_commented", "dan_half")}
    independent = {frozenset(pair) for pair in (("ada", "ben"), ("ada", "cai"), ("ben", "cai"), ("ben", "dan_half"), ("cai", "dan_half"))}
    return submissions, copies, independent
