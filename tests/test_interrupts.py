"""Ctrl-C and SIGTERM sent to a real ``grade autograde`` of several submissions.

Two submissions are correct (graded in seconds), four hang in ``sigmoid`` (each of their checks
runs into the per-call time limit, so they grade for minutes). The batch is signalled once the
fast ones are graded: it must stop promptly, write every output for what it graded, say how
many of how many, leave no folder or process behind, and exit 128 + the signal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_submission

LESSON = "activations"
HANG = lambda source: source.replace("    return np.exp(-np.abs(x))", "    import time\n    time.sleep(60)\n    return np.exp(-np.abs(x))")  # noqa: E731
#: Seconds after the start by which the two fast submissions are graded, even on a busy machine.
FAST_GRADED_BY_S = 15
#: Seconds from the signal to the exit that count as "promptly".
PROMPT_S = 12


def start_batch(tmp_path: Path, workers: int = 2) -> tuple[subprocess.Popen, Path, dict]:
    submissions = [make_submission(tmp_path, LESSON, name=f"fast{i}") for i in range(2)]
    submissions += [make_submission(tmp_path, LESSON, HANG, name=f"slow{i}") for i in range(4)]
    scratch = tmp_path / "tmp"
    scratch.mkdir(mode=0o755)
    outputs = {"json": tmp_path / "out" / "results.json", "csv": tmp_path / "out" / "grades.csv", "feedback": tmp_path / "out" / "feedback"}
    outputs["json"].parent.mkdir()
    command = [sys.executable, "-m", "grader", "autograde", LESSON, *map(str, submissions), "--workers", str(workers)]
    command += ["--json", str(outputs["json"]), "--csv", str(outputs["csv"]), "--feedback", str(outputs["feedback"])]
    batch = subprocess.Popen(command, env={**os.environ, "TMPDIR": str(scratch)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    return batch, scratch, outputs


def processes_under(folder: Path) -> list[str]:
    """Live processes whose working directory or command line is inside ``folder``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cwd.startswith(str(folder)) or str(folder) in cmdline:
            found.append(f"{entry.name}: {cmdline[:120]}")
    return found


@pytest.mark.parametrize(
    "signum, workers",
    [(signal.SIGINT, 2), (signal.SIGTERM, 2), (signal.SIGINT, 1)],
    ids=["SIGINT-pool", "SIGTERM-pool", "SIGINT-in-process"],
)
def test_a_signal_stops_the_batch_promptly_and_keeps_what_was_graded(tmp_path, signum, workers):
    batch, scratch, outputs = start_batch(tmp_path, workers)
    time.sleep(FAST_GRADED_BY_S)
    assert batch.poll() is None, "the batch ended before it was signalled: " + batch.communicate()[1][-2000:]
    os.killpg(batch.pid, signum)  # as a terminal's Ctrl-C: to the whole process group
    signalled = time.monotonic()
    out, err = batch.communicate(timeout=120)
    took = time.monotonic() - signalled
    assert batch.returncode == 128 + signum, err
    assert took < PROMPT_S, f"it took {took:.1f} s to stop"
    name = signal.Signals(signum).name
    assert f"grade: stopped by {name} after 2 of 6 submission(s) were graded; its outputs were written for those" in err, err
    assert "Traceback" not in err + out and "Aborted" not in err
    results = json.loads(outputs["json"].read_text())
    assert [Path(r["submission"]).name for r in results] == ["fast0", "fast1"] and all(r["score"] == r["max_score"] for r in results)
    assert outputs["csv"].read_text().count("\n") == 3
    assert [p.name.rsplit("_", 1)[-1] for p in sorted(outputs["feedback"].iterdir())] == ["fast0", "fast1"]
    time.sleep(1)  # a killed child's process may take a moment to be reaped
    assert list(scratch.iterdir()) == [], "left behind in the temp folder: " + ", ".join(p.name for p in scratch.iterdir())
    assert processes_under(tmp_path) == []


def test_a_second_ctrl_c_exits_at_once_and_quietly(tmp_path):
    batch, scratch, outputs = start_batch(tmp_path)
    time.sleep(FAST_GRADED_BY_S)
    os.killpg(batch.pid, signal.SIGINT)
    time.sleep(0.05)
    os.killpg(batch.pid, signal.SIGINT)
    signalled = time.monotonic()
    out, err = batch.communicate(timeout=60)
    assert batch.returncode == 130 and time.monotonic() - signalled < 5, err
    assert "Traceback" not in err + out, err
    time.sleep(2)
    assert processes_under(tmp_path) == []
