"""Hidden checks of ``${module}.py``: values against the reference on seeded inputs of several
shapes, in float32 and float64 (rtol/atol 1e-6/1e-9 and 2e-4/1e-5), dtype kept.

Each test is marked with its task (``task_param`` or ``@pytest.mark.task``); the task's points
are shared equally by its tests. ``student`` is the submission, run in the sandbox;
``reference`` is ``${module}.py`` of this folder, run here.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.kit.numeric import FLOAT_DTYPES, Case, check_cases, check_dtype_kept, rng_for, uniform
from grader.plugin import task_param

SHAPES = [(), (7,), (3, 4)]


def _cases(reference, dtype) -> list[Case]:
    cases = []
    for shape in SHAPES:
        x = uniform(rng_for("leaky_relu", shape, dtype), shape, dtype)
        for kwargs in ({}, {"alpha": 0.2}):
            cases.append(Case("leaky_relu", (x,), reference.leaky_relu(x, **kwargs), kwargs=kwargs, dtype=dtype))
    return cases


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", [task_param("leaky_relu")])
def test_values(student, reference, name, dtype):
    """{name} matches the reference on seeded inputs"""
    check_cases(student, _cases(reference, dtype))


@pytest.mark.parametrize("name", [task_param("leaky_relu")])
def test_dtype_kept(student, reference, name):
    """{name} keeps float32 inputs in float32"""
    check_dtype_kept(student, _cases(reference, np.float32))
