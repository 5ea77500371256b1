"""Batch grading: a local pool and a real Dask cluster give the same results as grading one by one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from grader.api import GradeRequest, grade, grade_batch
from grader.cli import main
from grader.core.batch import outcome
from grader.course.paths import assignment_dir, reference_dir


def _comparable(result):
    # messages of speed checks carry measured times; everything else must be identical
    return result.score, [(t.name, t.task, t.score, t.status) for t in result.tests]


@pytest.fixture
def folders(submission_factory):
    broken = submission_factory("tensors", lambda s: s.replace("return c * a", "return c + a"), name="broken")
    return [reference_dir("tensors"), assignment_dir("tensors"), broken, reference_dir("tensors")]


def test_local_pool_matches_one_by_one(folders):
    expected = [_comparable(grade(GradeRequest("tensors", folder))) for folder in folders]
    seen = []
    results = grade_batch([GradeRequest("tensors", folder) for folder in folders], workers=2, on_result=lambda index, result: seen.append(index))
    assert [_comparable(result) for result in results] == expected
    assert sorted(seen) == [0, 1, 2, 3]
    assert [outcome(result) for result in results] == ["passed", "errored", "failed", "passed"]


def test_dask_cluster_matches_the_local_pool(folders):
    distributed = pytest.importorskip("dask.distributed", reason="needs Dask: pip install -e '.[instructor]'")
    local = [_comparable(result) for result in grade_batch([GradeRequest("tensors", folder) for folder in folders], workers=1)]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        results = grade_batch([GradeRequest("tensors", folder) for folder in folders], scheduler=cluster.scheduler_address)
    assert [_comparable(result) for result in results] == local


def test_cli_batch_with_workers(folders, tmp_path):
    output = tmp_path / "batch.json"
    run = CliRunner().invoke(main, ["autograde", "tensors", *map(str, folders), "--workers", "2", "--json", str(output)])
    assert run.exit_code == 0, run.output
    assert [r["score"] for r in json.loads(output.read_text())][1] == 0


def test_a_pool_worker_runs_its_math_on_one_thread_as_the_child_does():
    """A batch worker sets the math libraries' threads before it imports numpy: the reference
    is timed on one thread, as the student's code runs in the child, and no thread pool spins
    beside the grading."""
    probe = (
        "import os, sys\n"
        "from grader.core import batch\n"
        "from grader.runner.sandbox import Protections\n"
        "assert 'numpy' not in sys.modules\n"
        "batch._init_worker(Protections(root=False, bubblewrap=False, namespaces=False))\n"
        "import numpy\n"
        "print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'])\n"
    )
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "8", "OMP_NUM_THREADS": "8"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=environment, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]
