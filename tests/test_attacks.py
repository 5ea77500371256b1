"""Adversarial submissions: each attack must fail, cost exactly the attacked tasks, and leave
the grader, the answers and the rest of the batch unharmed; with and without bubblewrap.

Every attack lives in a copy of the tensors reference whose ``tensor_sum`` (or whole module)
attacks; ``tensor_sum`` returns the right answer only if the attack succeeded, so a working
protection shows up as 0 points on ``tensor_sum`` and full marks elsewhere.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import bubblewrap_available, make_submission

from grader.api import GradeRequest, grade
from grader.cli import main
from grader.course.catalogue import LESSONS
from grader.course.paths import reference_dir
from grader.runner import sandbox

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
pytestmark = pytest.mark.skipif(not ROOT, reason="the sandbox's user, namespace and process protections need root")

TASKS = set(LESSONS["tensors"].tasks)
REFERENCE_FILE = reference_dir("tensors") / "tensors.py"
HIDDEN_FILE = reference_dir("tensors") / "hidden" / "test_tensors_hidden.py"
SUM_BODY = '''    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    return a + b
'''


NEEDS_BWRAP = pytest.mark.skipif(not bubblewrap_available(), reason="needs bubblewrap (Debian package bubblewrap)")
MODES = [
    pytest.param("bwrap-warm", marks=NEEDS_BWRAP),
    pytest.param("bwrap-cold", marks=NEEDS_BWRAP),
    "no-bwrap-warm",
    "no-bwrap-cold",
]


@pytest.fixture(params=MODES)
def mode(request, monkeypatch):
    """Grade with bubblewrap, or with the grader's own namespaces and user switch only; each
    with children forked by a zygote (warm) or started afresh (cold)."""
    monkeypatch.setenv("GRADER_SANDBOX", "no-bwrap" if request.param.startswith("no-bwrap") else "auto")
    monkeypatch.setenv("GRADER_ZYGOTE", "1" if request.param.endswith("warm") else "0")
    sandbox.detect.cache_clear()
    yield request.param
    sandbox.detect.cache_clear()


def attack_in_sum(body: str, header: str = "") -> callable:
    """An edit of the reference: ``body`` runs in tensor_sum before its correct code, which it
    reaches only if the attack succeeded (``body`` raises otherwise)."""
    indented = "".join(f"    {line}\n" for line in body.strip("\n").splitlines())

    def edit(source: str) -> str:
        return header + source.replace(SUM_BODY, indented + SUM_BODY)

    return edit


def wrong_sum(body: str) -> callable:
    """An edit where tensor_sum runs ``body`` and then returns a wrong answer, whatever happens."""
    indented = "".join(f"    {line}\n" for line in body.strip("\n").splitlines())
    return lambda source: source.replace(SUM_BODY, indented + "    return a - b\n")


def at_import(code: str) -> callable:
    return lambda source: code + "\n" + source


def assert_lost_exactly(result, tasks: set) -> None:
    lost = {task for task, (score, max_score) in result.task_scores().items() if score < max_score}
    zero = {task for task, (score, _) in result.task_scores().items() if score == 0}
    assert lost == tasks and zero >= tasks, {t.task: t.message for t in result.tests if t.status != "passed"}


ATTACKS = {
    "read-reference-from-disk": (attack_in_sum(f"exec(open({str(REFERENCE_FILE)!r}).read())"), {"tensor_sum"}),
    "read-hidden-suite-from-disk": (attack_in_sum(f"open({str(HIDDEN_FILE)!r}).read()"), {"tensor_sum"}),
    "import-grader-internals": (
        attack_in_sum("from grader.course.references import load_reference\nreturn load_reference('tensors', 'tensors').tensor_sum(a, b)"),
        {"tensor_sum"},
    ),
    "monkeypatch-numpy-and-builtins": (
        lambda source: wrong_sum("")(at_import(
            "import builtins, numpy, numpy.testing\nnumpy.allclose = lambda *a, **k: True\n"
            "numpy.testing.assert_allclose = lambda *a, **k: None\nnumpy.array_equal = lambda *a, **k: True\n"
            "numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.shape(a), bool)\n"
            "builtins.abs = lambda x: 0\nbuiltins.max = lambda *a, **k: 0"
        )(source)),
        {"tensor_sum"},
    ),
    "lying-object": (
        lambda source: source.replace(SUM_BODY, "    class Liar:\n        __eq__ = lambda self, other: True\n"
                                      "        __array__ = lambda self, *a, **k: a + b\n        __float__ = lambda self: 0.0\n"
                                      "    return Liar()\n"),
        {"tensor_sum"},
    ),
    "lying-ndarray-subclass": (
        lambda source: source.replace(SUM_BODY, "    class Liar(np.ndarray):\n        __eq__ = lambda self, other: True\n"
                                      "        __ne__ = lambda self, other: False\n    return (a - b).view(Liar)\n"),
        {"tensor_sum"},
    ),
    "exit-at-import": (at_import("import sys\nsys.exit(0)"), TASKS),
    "os-exit-at-import": (at_import("import os\nos._exit(0)"), TASKS),
    "exit-in-function": (attack_in_sum("import sys\nsys.exit(0)"), {"tensor_sum"}),
    "os-exit-in-function": (attack_in_sum("import os\nos._exit(0)"), {"tensor_sum"}),
    "endless-loop": (attack_in_sum("while True:\n    pass"), {"tensor_sum"}),
    "allocate-20-gb": (attack_in_sum("big = np.ones(20 * 2**30 // 8)\nbig[::4096] = 2.0"), {"tensor_sum"}),
    "fork-bomb": (attack_in_sum("import os\nwhile True:\n    os.fork()"), {"tensor_sum"}),
    "kill-parent": (attack_in_sum("import os\nos.kill(os.getppid(), 9)\nos.kill(os.getpgid(os.getppid()), 9)"), {"tensor_sum"}),
    "print-100-mb": (at_import("import sys\nsys.stdout.write('x' * 100_000_000)\nsys.stderr.write('y' * 1000)"), set()),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_fails(name, mode, submission_factory):
    edit, lost = ATTACKS[name]
    folder = submission_factory("tensors", edit)
    result = grade(GradeRequest("tensors", folder, call_timeout_s=3.0))
    assert_lost_exactly(result, lost)


def test_a_copy_of_the_course_elsewhere_on_the_machine_is_out_of_reach(mode, submission_factory, tmp_path):
    """Another checkout, a backup in $HOME, a copy beside this one: nothing the grader does not
    list for the child exists for it (an allowlist, with or without bubblewrap)."""
    tag = uuid.uuid4().hex[:8]
    homes = [Path.home() / f"grader-leak-{tag}", REFERENCE_FILE.parents[3] / f"grader-leak-{tag}", Path(tempfile.gettempdir()) / f"grader-leak-{tag}"]
    copies = []
    try:
        for home in homes:
            copy = home / "course" / "reference" / "tensors" / "tensors.py"
            copy.parent.mkdir(parents=True)
            shutil.copy(REFERENCE_FILE, copy)
            copy.chmod(0o644)
            for folder in [home, *copy.parents][: len(copy.relative_to(home).parts) + 1]:
                folder.chmod(0o755)
            copies.append(copy)
        for number, copy in enumerate(copies):
            folder = submission_factory("tensors", attack_in_sum(f"exec(open({str(copy)!r}).read())"), name=f"leak{number}")
            result = grade(GradeRequest("tensors", folder, call_timeout_s=3.0))
            assert_lost_exactly(result, {"tensor_sum"})
            messages = {test.message for test in result.tests if test.task == "tensor_sum" and test.status != "passed"}
            assert messages and all("FileNotFoundError" in message for message in messages), messages
    finally:
        for home in homes:
            shutil.rmtree(home, ignore_errors=True)


def test_grading_unconfined_is_refused_where_confinement_is_required(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "_ADOPTED", [sandbox.Protections(root=True, bubblewrap=False, namespaces=False)])
    sandbox.detect.cache_clear()
    folder = make_submission(tmp_path, "tensors")
    run = CliRunner().invoke(main, ["autograde", "tensors", str(folder), "--require-confinement"])
    assert run.exit_code == 2
    assert "does not grade unconfined: no bubblewrap and no mount or network namespaces" in run.output
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    run = CliRunner().invoke(main, ["gradescope-run", "tensors", "--root", str(root)])
    assert run.exit_code == 0, run.output
    written = json.loads((root / "results" / "results.json").read_text())
    assert "score" not in written and written["extra_data"]["status"] == "grader-error"
    assert "cannot be confined" in written["extra_data"]["message"]


def test_forged_result_file_is_ignored(mode, submission_factory, tmp_path):
    output = tmp_path / "results.json"
    forged = json.dumps([{"lesson": "tensors", "score": 1000.0}])
    body = "".join(
        f"try:\n    open({str(path)!r}, 'w').write({forged!r})\nexcept OSError:\n    pass\n"
        for path in (output, tmp_path / "forged.json", "results.json", "/tmp/results.json")
    )
    folder = submission_factory("tensors", wrong_sum(body))
    run = CliRunner().invoke(main, ["autograde", "tensors", str(folder), "--json", str(output)])
    assert run.exit_code == 0, run.output
    (result,) = json.loads(output.read_text())
    assert result["score"] == result["max_score"] - LESSONS["tensors"].tasks["tensor_sum"]
    assert not (tmp_path / "forged.json").exists()


def test_files_outside_the_folder_stay_untouched(mode, submission_factory, tmp_path):
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("keep me")
    before = REFERENCE_FILE.read_text()
    body = (
        f"import os\nfor path in ({str(sentinel)!r}, {str(REFERENCE_FILE)!r}):\n"
        "    try:\n        open(path, 'a').write('pwned')\n    except OSError:\n        pass\n"
        f"os.remove({str(sentinel)!r})"
    )
    result = grade(GradeRequest("tensors", submission_factory("tensors", attack_in_sum(body))))
    assert_lost_exactly(result, {"tensor_sum"})
    assert sentinel.read_text() == "keep me"
    assert REFERENCE_FILE.read_text() == before


def test_network_connection_is_refused(mode, submission_factory):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted = []
    server.settimeout(10)

    def accept():
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    body = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2).close()"
    result = grade(GradeRequest("tensors", submission_factory("tensors", attack_in_sum(body))))
    server.close()
    thread.join(timeout=15)
    assert_lost_exactly(result, {"tensor_sum"})
    assert accepted == []


def test_background_process_does_not_outlive_grading(mode, submission_factory):
    marker = f"grader-attack-{os.getpid()}-{mode}"
    body = f"import subprocess\nsubprocess.Popen(['sh', '-c', 'exec -a {marker} sleep 300'], start_new_session=True)"
    result = grade(GradeRequest("tensors", submission_factory("tensors", wrong_sum(body))))
    assert_lost_exactly(result, {"tensor_sum"})
    survivors = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    assert survivors == []


LEAK_KEY = 0x6C65616B  # a System V shared-memory key


def test_nothing_passes_from_one_submission_to_the_next(mode, submission_factory):
    """Two submissions graded one after the other by one grading process (the same child user,
    and in warm mode the same zygote and folder): nothing the first leaves, in files, shared
    memory or a process still running, reaches the second."""
    places = ["/tmp/grader-leak", "/var/tmp/grader-leak", "/dev/shm/grader-leak", "leak.txt", "../leak.txt"]
    leave = (
        "import ctypes, os, subprocess\n"
        f"for path in {places!r}:\n"
        "    try:\n        open(path, 'w').write('answer')\n    except OSError:\n        pass\n"
        f"ctypes.CDLL(None).shmget({LEAK_KEY}, 4096, 0o1666)\n"
        "subprocess.Popen(['sh', '-c', 'sleep 1; echo answer > late.txt'], start_new_session=True)"
    )
    find = (
        "import ctypes, os\n"
        f"found = [p for p in {places + ['late.txt']!r} if os.path.exists(p)]\n"
        f"found += ['shm'] if ctypes.CDLL(None).shmget({LEAK_KEY}, 0, 0) >= 0 else []\n"
        "if not found:\n    raise RuntimeError('nothing found')"
    )
    first = grade(GradeRequest("tensors", submission_factory("tensors", wrong_sum(leave), name="first")))
    assert_lost_exactly(first, {"tensor_sum"})
    second = grade(GradeRequest("tensors", submission_factory("tensors", attack_in_sum(find), name="second")))
    assert_lost_exactly(second, {"tensor_sum"})
    assert "nothing found" in next(t.message for t in second.tests if t.task == "tensor_sum" and t.status != "passed")


def test_warm_children_come_from_the_zygote(mode, submission_factory, monkeypatch):
    """In warm mode the child is forked with the lesson's preloaded modules already imported;
    in cold mode it starts afresh without them (so the two modes above are really both tested)."""
    monkeypatch.setitem(LESSONS, "tensors", dataclasses.replace(LESSONS["tensors"], preload=("scipy.special",)))
    check = "import sys\nif 'scipy.special' not in sys.modules:\n    raise RuntimeError('a fresh process')"
    result = grade(GradeRequest("tensors", submission_factory("tensors", attack_in_sum(check))))
    assert_lost_exactly(result, set() if mode.endswith("warm") else {"tensor_sum"})


def test_batch_is_unaffected_by_attacks(mode, submission_factory, tmp_path):
    names = ["fork-bomb", "allocate-20-gb", "os-exit-in-function", "endless-loop", "exit-at-import"]
    folders = [submission_factory("tensors", ATTACKS[name][0], name=name) for name in names]
    good = submission_factory("tensors", name="good")
    output = tmp_path / "batch.json"
    run = CliRunner().invoke(main, ["autograde", "tensors", *map(str, folders), str(good), "--timeout", "2", "--json", str(output)])
    assert run.exit_code == 0, run.output
    results = json.loads(output.read_text())
    assert results[-1]["score"] == results[-1]["max_score"] == LESSONS["tensors"].max_score
    assert all(r["score"] < r["max_score"] for r in results[:-1])
