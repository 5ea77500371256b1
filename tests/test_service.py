"""The grading service for real: ``grade serve`` on loopback, a real database (SQLite, and
PostgreSQL where Debian's ``postgresql`` is installed), grading on a Dask LocalCluster."""

from __future__ import annotations

import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("fastapi", reason="needs the service's packages: pip install -e '.[dev]'")
pytest.importorskip("dask.distributed", reason="needs Dask: pip install -e '.[dev]'")

from service_fixtures import BIN, Served, fresh_database, postgres_url, request, tar_of, upload, wait_graded  # noqa: E402

from grader.course.paths import assignment_dir, course_root  # noqa: E402
from grader.course.references import reference_file

__all__ = ["postgres_url"]  # a fixture, used by name

CORRECT = tar_of({"tensors.py": reference_file("tensors", "tensors").read_bytes()})
STUB = tar_of({"tensors.py": (assignment_dir("tensors") / "tensors.py").read_bytes()})


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """The service's database: a SQLite file, or a fresh database on a PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "service" / "grader.db")
    postgres = request.getfixturevalue("postgres_url")
    return fresh_database(postgres, f"grader_{abs(hash(str(tmp_path))) % 10**8}")


@pytest.fixture
def service(tmp_path, database):
    served = Served(tmp_path, database)
    served.tokens = {**served.accounts("alice", "bob"), **served.accounts("prof", role="instructor")}
    served.start()
    yield served
    served.stop()


def _all(served: Served) -> list[dict]:
    status, data, _ = request(served.url + "/api/submissions", token=served.tokens["prof"])
    assert status == 200, data
    return data


def test_a_submission_is_accepted_then_graded_with_the_course_result(service):
    status, receipt, _ = upload(service, service.tokens["alice"], "tensors", CORRECT)
    assert status == 202, receipt
    assert set(receipt) == {"id", "sha256", "status", "position"} and receipt["status"] in ("queued", "grading")
    done = wait_graded(service, service.tokens["alice"], receipt["id"])
    result = done["result"]
    assert done["status"] == "graded" and result["status"] == "graded" and result["score"] == result["max_score"] == 14
    assert result["lesson"] == "tensors" and result["student"] == "alice" and result["tests"]
    stub = wait_graded(service, service.tokens["bob"], upload(service, service.tokens["bob"], "tensors", STUB)[1]["id"])
    assert stub["result"]["score"] == 0 and "not implemented yet" in stub["result"]["tests"][0]["message"]


def test_each_student_sees_only_their_own_and_an_instructor_sees_all(service):
    alice = upload(service, service.tokens["alice"], "tensors", CORRECT)[1]["id"]
    bob = upload(service, service.tokens["bob"], "tensors", STUB)[1]["id"]
    status, mine, _ = request(service.url + "/api/submissions", token=service.tokens["alice"])
    assert status == 200 and [record["id"] for record in mine] == [alice]
    status, data, _ = request(f"{service.url}/api/submissions/{bob}", token=service.tokens["alice"])
    assert status == 404 and data["detail"] == f"no submission {bob} of yours"
    assert {record["id"] for record in _all(service)} == {alice, bob}
    status, only_bob, _ = request(service.url + "/api/submissions?student=bob", token=service.tokens["prof"])
    assert [record["id"] for record in only_bob] == [bob]


def test_a_retried_upload_with_the_same_key_makes_one_submission(service):
    first = upload(service, service.tokens["alice"], "tensors", CORRECT, key="k-1")
    again = upload(service, service.tokens["alice"], "tensors", CORRECT, key="k-1")
    assert first[0] == again[0] == 202 and first[1]["id"] == again[1]["id"]
    assert len(_all(service)) == 1


@pytest.mark.parametrize(
    "case, status, detail",
    [
        ("no token", 401, "no valid token"),
        ("wrong token", 401, "no valid token"),
        ("unknown lesson", 400, "unknown lesson 'tensor'; did you mean 'tensors'?"),
        ("not an archive", 400, "the archive was refused: the submission work.tar.gz is not a readable tar archive"),
        ("a link", 400, "the archive was refused: notes is a symbolic link"),
        ("a parent path", 400, "the archive was refused:"),
        ("no lesson file", 400, "the archive has no tensors.py"),
        ("an instructor", 403, "instructors do not submit"),
    ],
)
def test_bad_requests_are_refused_in_one_line_and_store_nothing(service, case, status, detail):
    token = {"no token": None, "wrong token": "not-a-token", "an instructor": service.tokens["prof"]}.get(case, service.tokens["alice"])
    lesson = "tensor" if case == "unknown lesson" else "tensors"
    archive = {
        "not an archive": b"this is not a tar file at all",
        "a link": tar_of({"tensors.py": b"x = 1\n"}, links={"notes": "/etc/passwd"}),
        "a parent path": tar_of({"tensors.py": b"x = 1\n", "../evil.py": b"x = 2\n"}),
        "no lesson file": tar_of({"other.py": b"x = 1\n"}),
    }.get(case, CORRECT)
    got, data, _ = upload(service, token, lesson, archive)
    assert got == status and set(data) == {"detail"} and detail in data["detail"] and "\n" not in data["detail"], data
    assert _all(service) == []


def test_the_hourly_limit_says_how_long_to_wait_and_a_large_upload_is_refused(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("[default]\nper_hour = 2\nmax_upload_mb = 0.01\n")
    served = Served(tmp_path, str(tmp_path / "grader.db"), policy=policy)
    tokens = served.accounts("alice")
    served.start()
    try:
        assert upload(served, tokens["alice"], "tensors", CORRECT)[0] == 202
        assert upload(served, tokens["alice"], "tensors", STUB)[0] == 202
        status, data, headers = upload(served, tokens["alice"], "tensors", CORRECT)
        assert status == 429 and "2 submissions of tensors per hour at most: try again in" in data["detail"]
        assert 3000 < int(headers["retry-after"]) <= 3601
        status, data, _ = upload(served, tokens["alice"], "tensors", tar_of({"tensors.py": b"x = 1\n", "blob.bin": os.urandom(20_000)}))
        assert status == 413 and data["detail"] == "the upload is larger than 0 MB"
    finally:
        served.stop()


def test_before_the_deadline_students_see_only_task_scores_and_late_receipts_are_marked(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[lessons.tensors]\ndeadline = 2099-01-01T00:00:00Z\nbefore_deadline = "scores"\n[lessons.activations]\ndeadline = 2000-01-01T00:00:00Z\n')
    served = Served(tmp_path, str(tmp_path / "grader.db"), policy=policy)
    tokens = {**served.accounts("alice"), **served.accounts("prof", role="instructor")}
    served.start()
    try:
        receipt = upload(served, tokens["alice"], "tensors", CORRECT)[1]
        seen = wait_graded(served, tokens["alice"], receipt["id"])
        assert seen["late"] is False
        assert {test["name"] for test in seen["result"]["tests"]} == {test["task"] for test in seen["result"]["tests"]}
        assert all(test["message"] == "" for test in seen["result"]["tests"]) and seen["result"]["score"] == 14
        assert seen["withheld"] == "Until the deadline, 2099-01-01 00:00 UTC, you see your points per task; the checks and their messages are shown after it."
        stub = wait_graded(served, tokens["alice"], upload(served, tokens["alice"], "tensors", STUB)[1]["id"])
        lost = [test for test in stub["result"]["tests"] if test["score"] < test["max_score"]]
        assert lost and all(test["message"] == "points lost; the checks' details are shown after the deadline, 2099-01-01 00:00 UTC" for test in lost)
        from grader.core.results import GradingResult
        from grader.reports.pages.compose import submission_page

        page = submission_page(GradingResult.from_dict(stub["result"]), withheld=stub["withheld"])
        assert stub["withheld"] in page
        status, full, _ = request(f"{served.url}/api/submissions/{receipt['id']}", token=tokens["prof"])
        assert len(full["result"]["tests"]) > len(seen["result"]["tests"]), "the instructor sees every check"
        late = upload(served, tokens["alice"], "activations", tar_of({"activations.py": b"x = 1\n"}))[1]
        status, data, _ = request(f"{served.url}/api/submissions/{late['id']}", token=tokens["alice"])
        assert data["late"] is True
    finally:
        served.stop()


def test_kill_9_while_submissions_wait_loses_none_and_grades_each_once(tmp_path):
    served = Served(tmp_path, str(tmp_path / "grader.db"))
    tokens = served.accounts(*[f"s{i:02d}" for i in range(20)])
    served.start()
    with ThreadPoolExecutor(max_workers=10) as pool:
        receipts = list(pool.map(lambda name: upload(served, tokens[name], "tensors", CORRECT if int(name[1:]) % 2 else STUB), sorted(tokens)))
    assert all(status == 202 for status, _, _ in receipts)
    served.kill()
    served.start()
    try:
        for (_, receipt, _), name in zip(receipts, sorted(tokens)):
            done = wait_graded(served, tokens[name], receipt["id"], timeout_s=300)
            assert done["status"] == "graded" and done["result"]["score"] == (14 if int(name[1:]) % 2 else 0)
    finally:
        served.stop()
    from grader.service.tables import Job, Submission, open_database

    with open_database(served.db)() as session:
        assert session.query(Submission).count() == 20 and session.query(Job).filter(Job.status == "graded").count() == 20


def test_grade_submit_and_status_against_the_service(service, tmp_path):
    folder = tmp_path / "tensors"
    folder.mkdir()
    (folder / "tensors.py").write_bytes(reference_file("tensors", "tensors").read_bytes())
    (folder / "notes").symlink_to("/etc/passwd")
    out = tmp_path / "result.json"
    run = service.grade("submit", "tensors", str(folder), "--server", service.url, "--token", service.tokens["alice"], "--json", str(out))
    assert "left out: notes is a symbolic link" in run.stdout and "score 14 / 14" in run.stdout
    assert json.loads(out.read_text())["score"] == 14
    env_home = tmp_path / "home"
    login = subprocess.run(
        ["grade", "login", service.url, "--token", service.tokens["alice"]], capture_output=True, text=True, env={"PATH": str(BIN), "HOME": str(env_home)}
    )
    assert login.returncode == 0, login.stderr
    saved = env_home / ".config" / "nn-grader" / "tokens.json"
    assert json.loads(saved.read_text()) == {service.url: service.tokens["alice"]} and saved.stat().st_mode & 0o777 == 0o600
    status = subprocess.run(["grade", "status"], capture_output=True, text=True, env={"PATH": str(BIN), "HOME": str(env_home)})  # the login's server
    assert status.returncode == 0 and "tensors" in status.stdout and "14 / 14" in status.stdout, status.stdout + status.stderr
    bad = subprocess.run(["grade", "login", service.url], input="not-a-token\n", capture_output=True, text=True, env={"PATH": str(BIN), "HOME": str(tmp_path / "home2")})
    assert bad.returncode == 2 and f"this token is not valid for {service.url}: check it with your instructor" in bad.stderr, bad.stderr
    assert "Warning" not in bad.stderr and not (tmp_path / "home2" / ".config" / "nn-grader" / "tokens.json").exists()
    wrong = service.grade("submit", "tensors", str(folder), "--server", service.url, "--token", "nope", check=False)
    assert wrong.returncode == 2 and "the server refused (401): no valid token" in wrong.stderr


def test_the_front_page_and_the_openapi_page_are_served(service):
    import urllib.request

    page = urllib.request.urlopen(service.url + "/").read().decode()
    assert f"grade login {service.url}" in page and "<h1>" in page
    install = f"pip install {service.url}/dist/"
    deadline = time.monotonic() + 180
    while ".whl" not in page and time.monotonic() < deadline:  # the zip at once, the wheel once built
        assert install + "nn-grader-student-" in page or install + "nn_grader-" in page, page
        time.sleep(1)
        page = urllib.request.urlopen(service.url + "/").read().decode()
    name = page.split(install)[1].split("<")[0]
    assert name.startswith("nn_grader-") and name.endswith("-py3-none-any.whl"), name
    assert urllib.request.urlopen(f"{service.url}/dist/{name}").read()[:2] == b"PK"
    assert request(f"{service.url}/dist/..%2Fgrader.db")[0] == 404
    schema = json.loads(urllib.request.urlopen(service.url + "/openapi.json").read())
    assert {"/api/submissions", "/api/submissions/{submission_id}"} <= set(schema["paths"])
    assert urllib.request.urlopen(service.url + "/docs").status == 200


def test_a_result_is_recorded_once_whatever_arrives_later(tmp_path):
    from grader.service.dispatcher import Dispatcher
    from grader.service.tables import Job, open_database

    sessions = open_database(str(tmp_path / "grader.db"))
    with sessions() as session:
        job_id = _stored_job(session, "grading", attempts=1).id
    dispatcher = Dispatcher(sessions, client=None)
    first = {"lesson": "tensors", "status": "graded", "score": 14.0, "max_score": 14.0, "tests": []}
    assert dispatcher.record(job_id, first) is True
    assert dispatcher.record(job_id, {**first, "score": 0.0}) is False
    with sessions() as session:
        job = session.get(Job, job_id)
        assert (job.status, job.score, json.loads(job.result)["submission"]) == ("graded", 14.0, "s1")


def _mutant_archives() -> dict[str, bytes]:
    """Four kinds of tensors submissions: correct, stubs, and two typical bugs."""
    from grader.authoring.mutants import course_mutants
    from grader.course.catalogue import LESSONS

    source = reference_file("tensors", "tensors").read_text()
    bugs = [mutant for mutant in course_mutants(course_root() / "reference", LESSONS.values()) if mutant.lesson == "tensors"][:2]
    archives = {"correct": CORRECT, "stub": STUB}
    for mutant in bugs:
        archives[mutant.id] = tar_of({"tensors.py": source.replace(mutant.old, mutant.new).encode()})
    return archives


def _graded_view(result: dict) -> list[tuple]:
    return sorted((test["name"], test["status"], test["score"]) for test in result["tests"])


def test_ten_times_the_load_loses_nothing_and_grades_as_an_idle_grader_does(tmp_path):
    """200 submissions from 50 concurrent clients within 10 s: no 5xx, none lost, each graded
    as the grader grades the same files alone."""
    from grader.api import GradeRequest, grade
    from grader.service.dispatcher import files_of

    archives = _mutant_archives()
    unloaded = {kind: _graded_view(grade(GradeRequest("tensors", files_of(archive, "a.tar.gz", "tensors"))).to_dict()) for kind, archive in archives.items()}
    served = Served(tmp_path, str(tmp_path / "grader.db"), workers=2)
    tokens = served.accounts(*[f"c{i:02d}" for i in range(50)])
    served.start()
    kinds = sorted(archives)
    plan = [(name, kinds[(index + round_) % len(kinds)]) for round_ in range(4) for index, name in enumerate(sorted(tokens))]
    try:
        with ThreadPoolExecutor(max_workers=50) as pool:  # as fast as 50 clients go
            answers = list(pool.map(lambda item: (item, upload(served, tokens[item[0]], "tensors", archives[item[1]])), plan))
        assert [status for _, (status, _, _) in answers] == [202] * 200, [data for _, (status, data, _) in answers if status != 202][:3]
        for (name, kind), (_, receipt, _) in answers:
            done = wait_graded(served, tokens[name], receipt["id"], timeout_s=600)
            assert done["status"] == "graded" and _graded_view(done["result"]) == unloaded[kind], (name, kind)
    finally:
        served.stop()
    from grader.service.tables import Job, open_database

    with open_database(served.db)() as session:
        assert session.query(Job).count() == 200 and session.query(Job).filter(Job.status == "graded").count() == 200


def test_a_dask_worker_killed_mid_grading_is_replaced_and_the_job_graded_once(tmp_path):
    import signal

    from service_fixtures import free_port

    port = free_port()
    command = [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]
    scheduler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def worker():
        command = [str(BIN / "dask"), "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1", "--nworkers", "1", "--no-dashboard"]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    first = worker()
    served = Served(tmp_path, str(tmp_path / "grader.db"), scheduler=f"tcp://127.0.0.1:{port}")
    tokens = served.accounts("alice")
    slow = tar_of({"tensors.py": b"import time\ntime.sleep(6)\n" + reference_file("tensors", "tensors").read_bytes()})
    second = None
    try:
        served.start()
        receipt = upload(served, tokens["alice"], "tensors", slow)[1]
        deadline = time.monotonic() + 60
        while request(f"{served.url}/api/submissions/{receipt['id']}", token=tokens["alice"])[1]["status"] != "grading":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(3)  # inside the grading: the child sleeps in its import
        os.killpg(first.pid, signal.SIGKILL)
        second = worker()
        done = wait_graded(served, tokens["alice"], receipt["id"], timeout_s=240)
        assert done["status"] == "graded" and done["result"]["score"] == 14
    finally:
        served.stop()
        for process in (first, second, scheduler):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
    from grader.service.tables import Job, open_database

    with open_database(served.db)() as session:
        (job,) = session.query(Job).all()
        assert job.status == "graded" and job.finished_at is not None


def test_export_writes_each_students_counted_score_to_the_gradebook_and_a_csv(tmp_path):
    pytest.importorskip("nbgrader", reason="needs nbgrader: pip install -e '.[instructor]'")
    from conftest import gradebook_scores, make_course, make_submission

    course = make_course(tmp_path, "tensors", {name: make_submission(tmp_path, "tensors", name=name) for name in ("alice", "bob")})
    served = Served(tmp_path, str(tmp_path / "grader.db"))
    tokens = served.accounts("alice", "bob")
    served.start()
    try:
        for name, archive in (("alice", CORRECT), ("alice", STUB), ("bob", CORRECT)):
            wait_graded(served, tokens[name], upload(served, tokens[name], "tensors", archive)[1]["id"])
    finally:
        served.stop()
    csv_file = tmp_path / "scores.csv"
    run = served.grade("service", "export", "tensors", "--course", str(course), "--csv", str(csv_file), "--db", served.db)
    assert "tensors: 2 student(s) exported (latest submission each)" in run.stdout
    assert gradebook_scores(course, "tensors") == {"alice": 0.0, "bob": 14.0}, "alice's latest counts"
    rows = csv_file.read_text().splitlines()
    assert len(rows) == 3 and rows[1].split(",")[1] == "alice"
    policy = tmp_path / "best.toml"
    policy.write_text('[default]\nexport = "best"\n')
    served.grade("service", "export", "tensors", "--course", str(course), "--policy", str(policy), "--db", served.db)
    assert gradebook_scores(course, "tensors") == {"alice": 14.0, "bob": 14.0}


def test_a_lost_answer_is_retried_without_a_second_submission(service, tmp_path):
    """The first upload reaches the service but its answer is lost on the way back (the
    connection drops): the client retries with the same idempotency key, and the service keeps
    one submission."""
    import socket
    import threading

    from service_fixtures import free_port

    from grader.platforms.service_client import Client

    port, dropped = free_port(), []
    listener = socket.create_server(("127.0.0.1", port))

    def relay(client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", service.port))
        data = b""
        client.settimeout(5)
        while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + _length(data):
            chunk = client.recv(65536)
            if not chunk:
                break
            data += chunk
        upstream.sendall(data)
        answer = b""
        while chunk := upstream.recv(65536):  # the service closes after its answer (Connection: close)
            answer += chunk
        if not dropped:  # the first answer is lost
            dropped.append(answer)
        else:
            client.sendall(answer)
        upstream.close()
        client.close()

    def serve_forever() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=relay, args=(connection,), daemon=True).start()

    threading.Thread(target=serve_forever, daemon=True).start()
    try:
        receipt = Client(f"http://127.0.0.1:{port}", service.tokens["alice"]).upload("tensors", CORRECT)
    finally:
        listener.close()
    assert dropped and b"202" in dropped[0].split(b"\r\n")[0], "the first attempt was accepted, its answer dropped"
    assert [record["id"] for record in _all(service)] == [receipt["id"]]


def _length(request: bytes) -> int:
    head = request.split(b"\r\n\r\n")[0].decode("latin-1").lower()
    return next((int(line.split(":")[1]) for line in head.split("\r\n") if line.startswith("content-length:")), 0)


def test_a_roster_makes_one_account_per_student(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,id,email\nAlice A,alice,a@x\nBob B,bob,b@x\n,,\n")
    served = Served(tmp_path, str(tmp_path / "grader.db"))
    lines = served.grade("service", "import-roster", str(roster), "--db", served.db).stdout.split()
    assert lines[0::2] == ["alice", "bob"] and all(len(token) >= 40 for token in lines[1::2])
    again = served.grade("service", "add-student", "alice", "--db", served.db, check=False)
    assert again.returncode == 2 and "an account named 'alice' already exists" in again.stderr


def test_a_stale_sweep_never_grades_a_final_job_again(tmp_path):
    """The sweeper's rows may predate a result just recorded: dispatching such a job again must
    neither reopen it nor send it to Dask."""
    from grader.service.dispatcher import Dispatcher
    from grader.service.tables import Job, open_database

    class Recording:
        sent: list = []

        def submit(self, *args, **kwargs):
            self.sent.append(args)
            raise AssertionError("a final job was sent to Dask")

    sessions = open_database(str(tmp_path / "grader.db"))
    with sessions() as session:
        stale = _stored_job(session, "queued")  # as the sweeper loaded it: queued
        dispatcher = Dispatcher(sessions, client=Recording())
        assert dispatcher.record(stale.id, {"status": "graded", "score": 14.0, "max_score": 14.0, "tests": []})
        dispatcher._dispatch(session, stale)
    with sessions() as session:
        job = session.get(Job, stale.id)
        assert (job.status, job.attempts, Recording.sent) == ("graded", 0, [])


def _stored_job(session, status: str, attempts: int = 0):
    """A correct tensors submission of alice's, stored with its job in ``status``; the job."""
    from grader.service.tables import Job, Submission

    submission = Submission(id="s1", student="alice", lesson="tensors", sha256="0" * 64, filename="a.tar.gz", archive=CORRECT, size=len(CORRECT))
    submission.job = Job(status=status, attempts=attempts)
    session.add(submission)
    session.commit()
    return submission.job
