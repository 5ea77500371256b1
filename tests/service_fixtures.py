"""A real grading service on loopback for the tests: ``grade serve`` in a subprocess, its
accounts, raw HTTP helpers, and a PostgreSQL server when Debian's ``postgresql`` is installed."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """One ``grade serve`` process and what it needs: its database, port, policy, accounts."""

    def __init__(self, folder: Path, db: str, policy: Path | None = None, workers: int = 1, scheduler: str | None = None):
        self.folder, self.db, self.policy, self.workers, self.scheduler = folder, db, policy, workers, scheduler
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def grade(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        run = subprocess.run([str(BIN / "grade"), *args], capture_output=True, text=True, cwd=self.folder, timeout=300)
        if check and run.returncode != 0:
            raise AssertionError(f"grade {' '.join(args)} failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
        return run

    def accounts(self, *names: str, role: str = "student") -> dict[str, str]:
        command = ["service", "add-student", *names] if role == "student" else ["service", "add-instructor", names[0]]
        lines = self.grade(*command, "--db", self.db).stdout.split("\n")
        return dict(line.split(" ", 1) for line in lines if line.strip())

    def start(self) -> Served:
        command = [str(BIN / "grade"), "serve", "--port", str(self.port), "--db", self.db]
        command += ["--scheduler", self.scheduler] if self.scheduler else ["--workers", str(self.workers)]
        if self.policy:
            command += ["--policy", str(self.policy)]
        self.log = open(self.folder / f"serve-{self.port}-{time.monotonic_ns()}.log", "w")
        self.process = subprocess.Popen(command, cwd=self.folder, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"grade serve exited {self.process.returncode}:\n{Path(self.log.name).read_text()}")
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        raise AssertionError(f"grade serve did not answer within 90 s:\n{Path(self.log.name).read_text()}")

    def kill(self) -> None:
        """kill -9 of the service and everything it started (its Dask cluster)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None
        self.log.close()


def request(url: str, method: str = "GET", token: str | None = None, body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict | list, dict]:
    """``(status, JSON body, headers)`` of one HTTP request (errors included)."""
    headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers, method=method), timeout=60) as response:
            return response.status, json.loads(response.read() or b"null"), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), {k.lower(): v for k, v in error.headers.items()}


def upload(served: Served, token: str | None, lesson: str, archive: bytes, filename: str = "work.tar.gz", key: str | None = None):
    """``POST /api/submissions`` as multipart, the way any HTTP client would send it."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="lesson"\r\n\r\n{lesson}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="archive"; filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode(),
        archive,
        f"\r\n--{boundary}--\r\n".encode(),
    ]
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **({"Idempotency-Key": key} if key else {})}
    return request(served.url + "/api/submissions", "POST", token, b"".join(parts), headers)


def tar_of(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    """A ``.tar.gz`` with ``files`` (and symbolic ``links``: name -> target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buffer.getvalue()


def wait_graded(served: Served, token: str, submission_id: str, timeout_s: float = 180) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, data, _ = request(f"{served.url}/api/submissions/{submission_id}", token=token)
        assert status == 200, data
        if data["status"] in ("graded", "grader-error"):
            return data
        time.sleep(0.2)
    raise AssertionError(f"{submission_id} not graded within {timeout_s} s: {data}")


# -- PostgreSQL ---------------------------------------------------------------------------------
def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server of its own on loopback (Debian's ``postgresql``), its URL."""
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("needs PostgreSQL: apt-get install postgresql (.ci/run installs it)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("needs psycopg: pip install -e '.[dev]'")
    import tempfile

    # Outside pytest's own temporary folder, which is its owner's alone: PostgreSQL's user must reach it.
    folder = Path(tempfile.mkdtemp(prefix="grader-postgres-"))
    data = folder / "data"
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: its own user runs it
        if shutil.which("runuser") is None:
            pytest.skip("running as root needs runuser to start PostgreSQL as its own user")
        shutil.chown(folder, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run([*as_postgres, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "grader"], check=True, capture_output=True)
    server = subprocess.Popen(
        [*as_postgres, str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"postgresql+psycopg://grader@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + 60
    import psycopg

    while True:
        try:
            psycopg.connect(f"host=127.0.0.1 port={port} user=grader dbname=postgres").close()
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise AssertionError("PostgreSQL did not start") from None
            time.sleep(0.2)
    yield url, port
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)


def fresh_database(postgres, name: str) -> str:
    """A new, empty database on the test server; its URL."""
    import psycopg

    _, port = postgres
    with psycopg.connect(f"host=127.0.0.1 port={port} user=grader dbname=postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://grader@127.0.0.1:{port}/{name}"
