"""What makes a batch worker fast without changing a grade: the allocator of the timed code,
values kept across runs, compact JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from conftest import make_submission

from grader.api import GradeRequest
from grader.core import grading, results, session
from grader.course.paths import CACHE_VARIABLE, reference_dir
from grader.kit import kept, numeric
from grader.runner import allocator
from grader.runner.proxy import IsolatedSubmission

FAULTS = """
import resource
import numpy as np

def faults_over_repeated_large_arrays(count):
    x = np.linspace(-5.0, 5.0, 300_000)
    np.tanh(np.exp(x) * 2.0 + 1.0)  # the heap grows once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(count):
        np.tanh(np.exp(x) * 2.0 + 1.0)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

def allocator_variables():
    import os
    return sorted(name for name in os.environ if name.startswith("MALLOC_"))
"""


def test_the_child_reuses_its_heap_for_large_arrays_so_a_speed_check_times_no_page_faults(tmp_path):
    (tmp_path / "probe.py").write_text(FAULTS)
    with IsolatedSubmission(tmp_path, ["probe"]) as child:
        assert child.call("probe", "allocator_variables").value == sorted(allocator.environment())
        faults = child.call("probe", "faults_over_repeated_large_arrays", 20).value
    # Each pass makes four 2.4 MB temporaries: about 2,400 page faults a pass when every one is
    # fresh memory from the kernel (glibc's default), none when the heap keeps them.
    assert faults < 200, f"{faults} page faults over 20 passes"


def test_the_grader_times_the_reference_with_the_same_allocator_settings():
    assert allocator.tune_this_process()  # (glibc: the grader's images are Debian's)
    x = np.linspace(-5.0, 5.0, 300_000)
    np.tanh(np.exp(x) * 2.0 + 1.0)
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        np.tanh(np.exp(x) * 2.0 + 1.0)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 200


needs_own_user = pytest.mark.skipif(os.geteuid() != 0, reason="values are kept on disk only where the child runs as a user of its own (the grader is root)")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder, and nothing kept in this process's memory."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_VARIABLE, str(folder))
    monkeypatch.setattr(kept, "_KEPT", {})
    monkeypatch.setattr(numeric, "_ONCE", {})
    return folder


def a_lesson(tmp_path):
    """A copy of a lesson folder (its files are what the kept values depend on)."""
    import shutil

    lesson = tmp_path / "course" / "activations"
    shutil.copytree(reference_dir("activations"), lesson)
    return lesson


def build_in(lesson, value):
    """A ``build`` function whose code lives in ``lesson``'s hidden folder (as a hidden suite's does)."""
    namespace: dict = {}
    source = f"def build():\n    CALLS.append(1)\n    return {value!r}\n"
    exec(compile(source, str(lesson / "hidden" / "test_x.py"), "exec"), {"CALLS": CALLS}, namespace)
    return namespace["build"]


CALLS: list = []


def kept_run(lesson, value, key=("suite", "values")):
    """One process's use of ``once``: forget memory, ask, save as after a grading."""
    kept._KEPT.clear()
    numeric._ONCE.clear()
    got = numeric.once(*key, build=build_in(lesson, value))
    from grader.core.suite import run_after_callbacks

    run_after_callbacks()
    return got


@needs_own_user
def test_values_computed_once_are_read_back_by_a_later_run_with_the_same_lesson_files(tmp_path, cache):
    lesson = a_lesson(tmp_path)
    CALLS.clear()
    assert kept_run(lesson, [1.5, 2.5]) == [1.5, 2.5]
    assert kept_run(lesson, "never built") == [1.5, 2.5] and len(CALLS) == 1, "the second run read the kept value"
    (written,) = cache.iterdir()
    assert written.name.startswith("activations-") and oct(cache.stat().st_mode & 0o777) == "0o700"
    kept.lesson_signature.cache_clear()
    (lesson / "hidden" / "test_activations_hidden.py").write_text("# changed\n", encoding="utf-8")
    assert kept_run(lesson, "built again") == "built again" and len(CALLS) == 2, "a changed lesson file is never read stale"
    kept.lesson_signature.cache_clear()


@needs_own_user
def test_a_cache_folder_others_may_write_to_is_neither_read_nor_written(tmp_path, cache):
    lesson = a_lesson(tmp_path)
    CALLS.clear()
    kept_run(lesson, "first")
    (written,) = cache.iterdir()
    os.chmod(cache, 0o777)
    assert kept_run(lesson, "second", key=("suite", "other")) == "second" and len(CALLS) == 2
    assert kept_run(lesson, "third") == "third" and len(CALLS) == 3, "a pickle someone else could have written is not loaded"
    assert list(cache.iterdir()) == [written] and b"second" not in written.read_bytes(), "nor written"
    os.chmod(cache, 0o700)
    os.chown(written, 12345, 12345)
    assert kept_run(lesson, "fourth") == "fourth" and len(CALLS) == 4, "a file of another user is not loaded"


def test_nothing_is_kept_on_disk_when_the_cache_is_off(tmp_path, cache, monkeypatch):
    monkeypatch.setenv(CACHE_VARIABLE, "off")
    lesson = a_lesson(tmp_path)
    kept_run(lesson, "in memory")
    assert not cache.exists()


@needs_own_user
def test_the_child_never_sees_the_cache(tmp_path, cache):
    cache.mkdir(mode=0o700)
    (cache / "activations-answers.pickle").write_bytes(b"answers")
    assert str(cache.resolve()) in session.answer_paths()
    (tmp_path / "peek.py").write_text(f"import os\ndef look():\n    return os.path.exists({str(cache)!r})\n")
    with IsolatedSubmission(tmp_path, ["peek"], secrets=session.answer_paths()) as child:
        assert child.call("peek", "look").value is False


def test_a_batch_of_results_is_compact_json_one_result_per_line(tmp_path):
    graded = [grading.run_hidden_checks(GradeRequest("tensors", make_submission(tmp_path, "tensors", name=name))) for name in ("a", "b")]
    text = results.dumps(graded)
    lines = text.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 4
    assert [json.loads(line.rstrip(",")) for line in lines[1:3]] == [result.to_dict() for result in graded]
    assert json.loads(text) == [result.to_dict() for result in graded] and json.loads(results.dumps([])) == []
    assert len(text) < len(json.dumps([result.to_dict() for result in graded], indent=2)) * 0.8


def test_child_cpu_time_counts_every_thread_and_is_unknown_once_the_process_is_gone():
    """Speed checks read the child's CPU time from its kernel clock: threads that have already
    ended count, and a process that has been reaped reads as unknown (None), never as zero."""
    from grader.runner import sandbox

    burn = (
        "import threading, time\n"
        "def spin():\n    end = time.thread_time() + 0.15\n    while time.thread_time() < end: pass\n"
        "threads = [threading.Thread(target=spin) for _ in range(2)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print('done', flush=True); time.sleep(30)"
    )
    process = subprocess.Popen([sys.executable, "-c", burn], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "done"
        used = sandbox.cpu_seconds(process.pid)
        assert used is not None and 0.29 <= used < 5.0
    finally:
        process.kill()
        process.wait()
    assert sandbox.cpu_seconds(process.pid) is None


def test_probes_started_ahead_are_used_once_and_never_outlive_their_block(monkeypatch):
    """A batch starts the sandbox probes before its imports: the first detect() in the block
    takes their result; a result nobody asked for is dropped, so a later detect() (after the
    environment changed) probes afresh instead of taking a stale answer."""
    from grader.runner import sandbox

    answers = iter([sandbox.Protections(True, True, True), sandbox.Protections(True, False, True), sandbox.Protections(False, False, False)])
    monkeypatch.setattr(sandbox, "_probe", lambda: next(answers))
    sandbox.detect.cache_clear()
    try:
        with sandbox.probing_ahead():
            assert sandbox.detect() == sandbox.Protections(True, True, True)
        sandbox.detect.cache_clear()
        with sandbox.probing_ahead():
            pass  # a command that stopped before it needed them (a usage error)
        assert sandbox._PROBING == []
        for thread in threading.enumerate():
            if thread.name.startswith("grader-probes"):
                thread.join(10)  # its answer taken, and dropped
        sandbox.detect.cache_clear()
        assert sandbox.detect() == sandbox.Protections(False, False, False)  # probed again, not the dropped answer
    finally:
        sandbox.detect.cache_clear()


def test_the_namespace_probe_runs_only_where_bubblewrap_does_not_confine(monkeypatch):
    """Where bubblewrap works the child's own namespaces are never used, so their probe (a
    process importing numpy) is left out; without bubblewrap they are probed."""
    from grader.runner import sandbox

    asked: list[str] = []
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0)
    monkeypatch.setattr(sandbox, "_bubblewrap_works", lambda: asked.append("bubblewrap") or True)
    monkeypatch.setattr(sandbox, "_namespaces_work", lambda: asked.append("namespaces") or True)
    monkeypatch.setenv("GRADER_SANDBOX", "auto")
    assert sandbox._probe() == sandbox.Protections(root=True, bubblewrap=True, namespaces=False)
    assert asked == ["bubblewrap"]
    monkeypatch.setattr(sandbox, "_bubblewrap_works", lambda: asked.append("bubblewrap") or False)
    assert sandbox._probe() == sandbox.Protections(root=True, bubblewrap=False, namespaces=True)
    monkeypatch.setenv("GRADER_SANDBOX", "no-bwrap")
    asked.clear()
    assert sandbox._probe().namespaces and asked == ["namespaces"]
