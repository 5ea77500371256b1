"""Warm starts: children forked by a zygote behave as fresh ones, and share only named inputs."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from grader.runner import zygote
from grader.runner.proxy import IsolatedSubmission, StudentCrash

pytestmark = pytest.mark.skipif(not zygote.enabled(), reason="warm starts need root and bubblewrap or namespaces")

SOURCE = """
import os

def total(x):
    return float(x.sum())

def spoil(x):
    x[:] = 0.0
    return 0.0

def crash(code):
    os._exit(code)
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "mod.py").write_text(SOURCE)
    return tmp_path


def test_a_named_input_is_sent_once_and_inherited_unchanged(folder):
    big = np.arange(100_000, dtype=np.float64)
    with IsolatedSubmission(folder, ["mod"]) as first:
        stored = first.store(big, "big")
        first.call("mod", "spoil", stored)  # changes the first child's copy only
        assert first.call("mod", "total", stored).value == 0.0
    with IsolatedSubmission(folder, ["mod"]) as second:
        second.start()
        assert second._zygote is not None

        def not_needed():
            raise AssertionError("the value was sent again")

        stored = second.store(not_needed, "big")
        assert second.call("mod", "total", stored).value == float(big.sum())


def test_a_crash_reports_its_exit_code(folder):
    with IsolatedSubmission(folder, ["mod"]) as submission:
        submission.start()
        assert submission._zygote is not None
        with pytest.raises(StudentCrash, match="exit code 3"):
            submission.call("mod", "crash", 3)


def test_grading_goes_on_when_the_zygote_is_killed(folder):
    with IsolatedSubmission(folder, ["mod"]) as first:
        first.start()
        process = first._zygote.process
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    with IsolatedSubmission(folder, ["mod"]) as second:
        assert second.call("mod", "total", np.ones(3)).value == 3.0
        assert second._zygote is not None and second._zygote.process is not process


def test_two_children_at_once_do_not_share_the_zygote(folder):
    with IsolatedSubmission(folder, ["mod"]) as first, IsolatedSubmission(folder, ["mod"]) as second:
        assert first.call("mod", "total", np.ones(2)).value == 2.0
        assert second.call("mod", "total", np.ones(4)).value == 4.0
        assert first._zygote is not None and second._zygote is None
