"""Nothing of a student's is left behind: the folders where children run are removed when
grading ends, and those of a grading process killed with SIGKILL at the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_submission

from grader.runner import scratch

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")


def test_folders_of_dead_processes_are_removed_and_others_kept(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine = tmp_path / f"grader-slot-{os.getpid()}-{scratch.start_time(os.getpid())}-abcd1234"
    reused = tmp_path / f"grader-sub-{os.getpid()}-1-abcd1234"  # this pid, but another start: its owner is gone
    gone = tmp_path / f"grader-sub-{dead.pid}-{scratch.start_time(os.getpid())}-abcd1234"
    old = tmp_path / "grader-slot-0a1b2c3d"
    fresh_old = tmp_path / "grader-slot-9z8y7x6w"
    unrelated = tmp_path / "grader-postgres-12345678"
    for folder in (mine, reused, gone, old, fresh_old, unrelated):
        (folder / "submission").mkdir(parents=True)
        (folder / "submission" / "work.py").write_text("x = 1\n")
    os.utime(old, (time.time() - 2 * scratch.OLD_NAME_AGE_S,) * 2)
    removed = scratch.remove_stale(tmp_path)
    assert sorted(removed) == sorted([reused, gone, old])
    assert mine.exists() and fresh_old.exists() and unrelated.exists()


def _grader_folders(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("grader-s*"))


@pytest.mark.skipif(os.geteuid() != 0, reason="warm children (zygotes) need root")
def test_a_grading_process_killed_mid_grading_leaves_folders_that_the_next_run_removes(tmp_path):
    scratch_dir = tmp_path / "tmp"
    scratch_dir.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch_dir)}
    looping = make_submission(tmp_path, "tensors", lambda source: source.replace("def tensor_sum(a, b):", "def tensor_sum(a, b):\n    while True:\n        pass"), name="loop")
    grade = "from grader.api import GradeRequest, grade; import sys; grade(GradeRequest('tensors', sys.argv[1], call_timeout_s=60))"
    killed = subprocess.Popen([sys.executable, "-c", grade, str(looping)], env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while not _grader_folders(scratch_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    left = _grader_folders(scratch_dir)
    assert left, "the killed process had made its folders"
    correct = make_submission(tmp_path, "tensors", name="correct")
    subprocess.run([sys.executable, "-c", grade, str(correct)], env=env, check=True, timeout=300)
    assert _grader_folders(scratch_dir) == [], "the next run removed the dead one's folders and its own"
