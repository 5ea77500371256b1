"""The student's side of the grading service: pack, upload, wait, read (standard library only).

``grade submit LESSON --server URL`` packs the folder by the intake's rules (the same
:func:`grader.platforms.exchange.files_to_submit` as the exchange path: the lesson's files present, no
links, Python that compiles), uploads it with an idempotency key, so that a retried upload
after a network error never makes a second submission, then polls until the result is in.
Tokens: ``--token``, else ``$GRADER_TOKEN``, else the one ``grade login URL`` saved for that
server in ``~/.config/nn-grader/tokens.json`` (readable by its owner only). The server: ``--server``,
else ``$GRADER_SERVER``, else the one of the last ``grade login`` (``~/.config/nn-grader/server``).
"""

from __future__ import annotations

import http.client
import io
import json
import os
import tarfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from grader.errors import RequestError

#: Attempts of one request when the network or the server fails, and the first pause between them.
ATTEMPTS, BACKOFF_S = 5, 0.5
FINAL = ("graded", "grader-error")


class ServiceError(RequestError):
    """The service refused or could not be reached; the message is one line for the student."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def tokens_file() -> Path:
    """Where ``grade login`` keeps its tokens."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "nn-grader" / "tokens.json"


def save_token(server: str, token: str) -> Path:
    """Remember ``token`` for ``server`` (the file is the owner's alone)."""
    path = tokens_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = json.loads(path.read_text()) if path.is_file() else {}
    saved[server.rstrip("/")] = token
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(saved, handle, indent=2)
    os.chmod(path, 0o600)
    return path


def server_file() -> Path:
    """Where ``grade login`` keeps the server that ``grade submit`` and ``grade status`` use by default."""
    return tokens_file().with_name("server")


def remember_server(server: str) -> None:
    """Make ``server`` the default of ``grade submit`` and ``grade status``."""
    server_file().write_text(server.rstrip("/") + "\n")


def sign_in(server: str, token: str) -> Path:
    """Check ``token`` with ``server`` (a :class:`ServiceError` with status 401 when it is not
    valid there), save it and make ``server`` the default: what ``grade login`` does; the
    tokens file."""
    Client(server, token).submissions()
    saved = save_token(server, token)
    remember_server(server)
    return saved


def default_server() -> str | None:
    """``$GRADER_SERVER``, else the server of the last ``grade login``, else None."""
    if os.environ.get("GRADER_SERVER"):
        return os.environ["GRADER_SERVER"]
    path = server_file()
    return (path.read_text().strip() or None) if path.is_file() else None


def find_token(server: str, token: str | None = None) -> str:
    """The token to use with ``server``: ``token``, ``$GRADER_TOKEN``, or the saved one."""
    if token:
        return token
    if os.environ.get("GRADER_TOKEN"):
        return os.environ["GRADER_TOKEN"]
    path = tokens_file()
    saved = json.loads(path.read_text()) if path.is_file() else {}
    if server.rstrip("/") in saved:
        return saved[server.rstrip("/")]
    raise ServiceError(f"no token for {server}: run `grade login {server}`, or pass --token / set GRADER_TOKEN")


def pack(files) -> bytes:
    """A ``.tar.gz`` of the intake's accepted files (:class:`grader.runner.intake.SubmissionFiles`)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in sorted(files.files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(content), 0o644, int(time.time())
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@dataclass
class Client:
    """One server, one token."""

    server: str
    token: str
    timeout_s: float = 30.0

    def _request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> dict | list:
        url = self.server.rstrip("/") + path
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json", **(headers or {})}
        pause = BACKOFF_S
        for attempt in range(ATTEMPTS):
            request = urllib.request.Request(url, data=body, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    return json.loads(response.read() or b"null")
            except urllib.error.HTTPError as error:
                if error.code < 500 or attempt == ATTEMPTS - 1:
                    raise ServiceError(_detail(error), error.code) from None
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, OSError) as error:  # a cut answer too
                if attempt == ATTEMPTS - 1:
                    reason = getattr(error, "reason", error)
                    raise ServiceError(f"cannot reach {self.server}: {reason}") from None
            time.sleep(pause)
            pause *= 2
        raise ServiceError(f"cannot reach {self.server}")

    def upload(self, lesson: str, archive: bytes, key: str | None = None) -> dict:
        """Upload ``archive`` for ``lesson``; the receipt ``{id, sha256, status, position}``.
        Retries reuse ``key`` (default: a fresh one), so the server keeps one submission."""
        boundary = uuid.uuid4().hex
        body = _multipart(boundary, {"lesson": lesson}, ("archive", f"{lesson}.tar.gz", archive))
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Idempotency-Key": key or uuid.uuid4().hex}
        return self._request("POST", "/api/submissions", body, headers)  # type: ignore[return-value]

    def submission(self, submission_id: str) -> dict:
        """One submission: status, position, and the result once graded."""
        return self._request("GET", f"/api/submissions/{submission_id}")  # type: ignore[return-value]

    def submissions(self, lesson: str | None = None) -> list[dict]:
        """The caller's submissions (an instructor's: all), oldest first."""
        return self._request("GET", "/api/submissions" + (f"?lesson={lesson}" if lesson else ""))  # type: ignore[return-value]

    def wait(self, submission_id: str, on_status=lambda data: None, poll_s: float = 0.2, timeout_s: float = 1800.0) -> dict:
        """Poll until the submission is graded (or the grader failed); its last state."""
        deadline = time.monotonic() + timeout_s
        while True:
            data = self.submission(submission_id)
            on_status(data)
            if data["status"] in FINAL:
                return data
            if time.monotonic() > deadline:
                raise ServiceError(f"submission {submission_id} is still {data['status']} after {timeout_s:.0f} s: see `grade status --server`")
            time.sleep(poll_s)


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        detail = json.loads(error.read()).get("detail")
    except (ValueError, AttributeError):
        detail = None
    return f"the server refused ({error.code}): {detail or error.reason}"


def _multipart(boundary: str, fields: dict[str, str], file: tuple[str, str, bytes]) -> bytes:
    lines: list[bytes] = []
    for name, value in fields.items():
        lines += [f"--{boundary}".encode(), f'Content-Disposition: form-data; name="{name}"'.encode(), b"", value.encode()]
    field, filename, content = file
    lines += [
        f"--{boundary}".encode(),
        f'Content-Disposition: form-data; name="{field}"; filename="{filename}"'.encode(),
        b"Content-Type: application/gzip",
        b"",
        content,
        f"--{boundary}--".encode(),
        b"",
    ]
    return b"\r\n".join(lines)
