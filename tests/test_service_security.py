"""The service against hostile browsers and bursts (loopback only): the hourly limit under
concurrent uploads, cross-site forms, bodies refused before they are read, malformed cookies,
sessions that end with their account or a sign-out, and the security headers."""

from __future__ import annotations

import http.client
import re
import socket
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

pytest.importorskip("fastapi", reason="needs the service's packages: pip install -e '.[dev]'")
pytest.importorskip("dask.distributed", reason="needs Dask: pip install -e '.[dev]'")

from service_fixtures import Served, fresh_database, postgres_url, request, tar_of, upload  # noqa: E402

from grader.course.paths import assignment_dir  # noqa: E402

__all__ = ["postgres_url"]  # a fixture, used by name

STUB = tar_of({"tensors.py": (assignment_dir("tensors") / "tensors.py").read_bytes()})
PER_HOUR = 5


class Browser:
    """A browser's cookie jar over raw HTTP (no redirect followed), on one service."""

    def __init__(self, served: Served):
        self.served = served
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.served.port, timeout=60)
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection.request(method, path, body=body, headers={**({"Cookie": cookie} if cookie else {}), **(headers or {})})
        response = connection.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                content = rest.split(";", 1)[0].strip('"')
                if content and "max-age=0" not in value.lower():
                    self.cookies[name] = content
                else:
                    self.cookies.pop(name, None)
        headers_seen = {name.lower(): value for name, value in response.getheaders()}
        headers_seen["set-cookie"] = "\n".join(value for name, value in response.getheaders() if name.lower() == "set-cookie")
        text = response.read().decode("utf-8", "replace")
        connection.close()
        return response.status, headers_seen, text

    def form(self, path: str, fields: dict, origin: str | None = "same") -> tuple[int, dict, str]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if origin == "same":
            headers |= {"Origin": self.served.url, "Sec-Fetch-Site": "same-origin"}
        elif origin is not None:
            headers |= {"Origin": origin, "Sec-Fetch-Site": "cross-site"}
        return self.send("POST", path, urlencode(fields).encode(), headers)

    def csrf(self, path: str = "/login") -> str:
        status, _, page = self.send("GET", path)
        assert status == 200, page
        return re.search(r'name="csrf" value="([^"]+)"', page).group(1)

    def sign_in(self, token: str) -> int:
        status, headers, page = self.form("/login", {"token": token, "csrf": self.csrf()})
        assert status == 303, page
        assert "grader_session" in self.cookies
        return status


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("secure-service")
    policy = folder / "policy.toml"
    policy.write_text(f"[default]\nper_hour = {PER_HOUR}\n")
    served = Served(folder, str(folder / "grader.db"), policy=policy)
    served.tokens = {**served.accounts("alice", "bob", "carol"), **served.accounts("prof", role="instructor")}
    served.start()
    yield served
    served.stop()


def _concurrent_uploads(served: Served, token: str, count: int) -> list[int]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: upload(served, token, "tensors", STUB)[0], range(count)))


def test_twenty_concurrent_uploads_at_the_limit_accept_exactly_the_limit(served):
    statuses = _concurrent_uploads(served, served.tokens["carol"], 20)
    assert sorted(statuses) == [202] * PER_HOUR + [429] * (20 - PER_HOUR), statuses


def test_the_limit_holds_under_concurrency_on_postgresql(tmp_path, postgres_url):
    policy = tmp_path / "policy.toml"
    policy.write_text(f"[default]\nper_hour = {PER_HOUR}\n")
    served = Served(tmp_path, fresh_database(postgres_url, f"grader_rate_{abs(hash(str(tmp_path))) % 10**8}"), policy=policy)
    token = served.accounts("dora")["dora"]
    served.start()
    try:
        statuses = _concurrent_uploads(served, token, 20)
    finally:
        served.stop()
    assert sorted(statuses) == [202] * PER_HOUR + [429] * (20 - PER_HOUR), statuses


def test_a_cross_site_sign_in_is_refused_and_sets_no_session(served):
    attacker = Browser(served)
    attacker.csrf()  # the attacker's own page visit gives the attacker a token, never the victim's cookie
    victim = Browser(served)
    status, headers, page = victim.form("/login", {"token": served.tokens["alice"], "csrf": attacker.cookies["grader_csrf"]}, origin="https://evil.example")
    assert status == 403 and "grader_session" not in headers["set-cookie"], (status, headers["set-cookie"])
    assert "did not come from this service" in page
    status, headers, _ = victim.form("/login", {"token": served.tokens["alice"]})  # same origin, but no token: not one of our forms
    assert status == 403 and "grader_session" not in headers["set-cookie"]
    assert victim.sign_in(served.tokens["alice"]) == 303


def test_a_cross_site_upload_form_is_refused(served):
    alice = Browser(served)
    alice.sign_in(served.tokens["alice"])
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="lesson"\r\n\r\ntensors\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="archive"; filename="a.tar.gz"\r\n\r\n'
    ).encode() + STUB + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    status, _, page = alice.send("POST", "/me/submit", body, headers)
    assert status == 403 and "did not come from this service" in page
    status, _, _ = request(served.url + "/api/submissions", token=served.tokens["alice"])
    assert status == 200


def _raw_upload_head(served: Served, length: int, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (
        f"POST /api/submissions HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n{auth}"
        f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def _answer_after_sending(served: Served, head: bytes, sent_bytes: int) -> tuple[int, float]:
    """Send ``head`` and ``sent_bytes`` of body (of a larger promised one); the answer's status
    and how long it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as connection:
        connection.sendall(head)
        try:
            connection.sendall(b"x" * sent_bytes)
        except OSError:
            pass  # the server may close the connection as soon as it has answered
        answer = b""
        while b"\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1]), time.monotonic() - started


def test_a_60_mb_body_without_a_token_is_refused_before_it_is_read(served):
    status, seconds = _answer_after_sending(served, _raw_upload_head(served, 60 << 20, None), 1 << 20)
    assert status == 401 and seconds < 20  # answered with 59 of its 60 MB never sent
    status, _ = _answer_after_sending(served, _raw_upload_head(served, 60 << 20, served.tokens["bob"]), 1 << 20)
    assert status == 413  # too large for the policy's 20 MB: refused from its Content-Length


def test_a_chunked_body_is_cut_off_at_the_limit(served):
    chunk = b"y" * (1 << 20)
    with socket.create_connection(("127.0.0.1", served.port), timeout=60) as connection:
        connection.sendall(
            f"POST /api/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {served.tokens['bob']}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        answer = b""
        opening = b'--x\r\nContent-Disposition: form-data; name="archive"; filename="big.tar.gz"\r\n\r\n'
        connection.sendall(f"{len(opening):x}\r\n".encode() + opening + b"\r\n")
        try:
            for _ in range(60):
                connection.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except OSError:
            pass
        connection.settimeout(30)
        while b"\r\n" not in answer:
            piece = connection.recv(4096)
            if not piece:
                break
            answer += piece
    assert answer.split(b" ", 2)[1] == b"413", answer[:200]


@pytest.mark.parametrize("cookie", ["1.1.\xe9", "1.0.99999999999.\xe9\xff", "x" * 5000, "1.0.1e9.abc", "\u00b2.0.9999999999.a", "99999999999999999999999.0.9999999999.a", ""])
def test_a_malformed_session_cookie_is_no_session_never_a_500(served, cookie):
    browser = Browser(served)
    browser.cookies["grader_session"] = cookie
    status, headers, _ = browser.send("GET", "/me")
    assert status == 303 and headers["location"] == "/login"


def test_malformed_headers_are_refused_never_a_500(served):
    for headers in ({"Authorization": "Bearer \xe9\xff"}, {"Authorization": "Basic"}, {"Idempotency-Key": "k" * 500}):
        status, _, _ = request(served.url + "/api/submissions", token=None, headers=headers)
        assert status in (400, 401, 422), (headers, status)
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as connection:
        connection.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n")
        assert connection.recv(100).split(b" ", 2)[1] == b"400"


def test_a_session_ends_with_its_account_even_when_another_takes_its_id(tmp_path):
    served = Served(tmp_path, str(tmp_path / "grader.db"))
    eve = served.accounts("eve")["eve"]
    served.start()
    try:
        browser = Browser(served)
        browser.sign_in(eve)
        assert browser.send("GET", "/me")[0] == 200
        with sqlite3.connect(tmp_path / "grader.db") as database:
            (eve_id,) = database.execute("SELECT id FROM accounts WHERE name = 'eve'").fetchone()
            database.execute("DELETE FROM accounts WHERE name = 'eve'")
        served.accounts("prof2", role="instructor")
        with sqlite3.connect(tmp_path / "grader.db") as database:
            assert database.execute("SELECT id FROM accounts WHERE name = 'prof2'").fetchone() == (eve_id,)
        status, headers, _ = browser.send("GET", "/dashboard")
        assert status == 303 and headers["location"] == "/login"
    finally:
        served.stop()


def test_sign_out_is_a_form_post_that_ends_the_session_everywhere_and_a_restart_keeps_sessions(tmp_path):
    served = Served(tmp_path, str(tmp_path / "grader.db"))
    token = served.accounts("fay")["fay"]
    served.start()
    try:
        laptop, phone = Browser(served), Browser(served)
        laptop.sign_in(token)
        phone.sign_in(token)
        served.stop()
        served.start()
        assert phone.send("GET", "/me")[0] == 200  # the key is the database's: a restart signs nobody out
        assert laptop.send("GET", "/logout")[0] == 200  # a page with the sign-out form, not a sign-out
        assert phone.send("GET", "/me")[0] == 200
        stolen = dict(laptop.cookies)
        status, _, _ = laptop.form("/logout", {"csrf": laptop.cookies["grader_csrf"]})
        assert status == 303
        assert phone.send("GET", "/me")[0] == 303  # every session of the account ended
        replay = Browser(served)
        replay.cookies = stolen
        assert replay.send("GET", "/me")[0] == 303
    finally:
        served.stop()


def test_every_answer_carries_the_security_headers(served):
    browser = Browser(served)
    browser.sign_in(served.tokens["prof"])
    for path in ("/", "/login", "/dashboard", "/dashboard/tensors", "/api/submissions", "/static/htmx.min.js", "/nowhere", "/docs"):
        status, headers, _ = browser.send("GET", path)
        assert "script-src 'self'" in headers["content-security-policy"] and "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "same-origin", path
        if path.startswith("/static/"):
            assert "max-age" in headers["cache-control"]
        else:
            assert headers["cache-control"] == "no-store", path
    cookie_line = Browser(served).send("GET", "/login")[1]["set-cookie"]
    assert "HttpOnly" in cookie_line and "SameSite=strict" in cookie_line and "Secure" not in cookie_line
    status, headers, _ = Browser(served).send("GET", "/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in headers["set-cookie"] and "max-age" in headers["strict-transport-security"]


def test_front_page_links_come_from_the_service_not_the_host_header(served):
    status, _, page = Browser(served).send("GET", "/", headers={"Host": "evil.example"})
    assert status == 200 and "evil.example" not in page and f"grade login {served.url}" in page


def test_unknown_lessons_are_404_on_every_route(served):
    prof = Browser(served)
    prof.sign_in(served.tokens["prof"])
    for path in ("/dashboard/nosuch", "/dashboard/nosuch/scores.csv", "/dashboard/nosuch/gradescope.json", "/dashboard/..%2F..%2Fetc/scores.csv"):
        assert prof.send("GET", path)[0] == 404, path


def test_an_instructor_lists_accounts_resets_a_token_and_disables_an_account(tmp_path):
    served = Served(tmp_path, str(tmp_path / "grader.db"))
    tokens = {**served.accounts("gil", "hal"), **served.accounts("prof", role="instructor")}
    served.start()
    try:
        browser = Browser(served)
        browser.sign_in(tokens["gil"])
        listing = served.grade("service", "list", "--db", served.db).stdout
        assert listing.index("prof") < listing.index("gil") and "instructor" in listing and "active" in listing
        name, new = served.grade("service", "reset-token", "gil", "--db", served.db).stdout.split()
        assert name == "gil" and new != tokens["gil"]
        assert request(served.url + "/api/submissions", token=tokens["gil"])[0] == 401
        assert request(served.url + "/api/submissions", token=new)[0] == 200
        assert browser.send("GET", "/me")[0] == 303, "a reset ends the sessions of the old token"
        served.grade("service", "disable", "hal", "--db", served.db)
        assert request(served.url + "/api/submissions", token=tokens["hal"])[0] == 401
        assert "disabled" in served.grade("service", "list", "--db", served.db).stdout
        served.grade("service", "disable", "hal", "--enable", "--db", served.db)
        assert request(served.url + "/api/submissions", token=tokens["hal"])[0] == 200
        unknown = served.grade("service", "reset-token", "nobody", "--db", served.db, check=False)
        assert unknown.returncode == 2 and "no account named 'nobody'" in unknown.stderr
    finally:
        served.stop()


def test_a_student_opening_an_instructor_page_reads_an_html_page_and_the_api_stays_json(served):
    alice = Browser(served)
    alice.sign_in(served.tokens["alice"])
    status, headers, page = alice.send("GET", "/dashboard")
    assert status == 403 and headers["content-type"].startswith("text/html") and "the class dashboard is for instructors" in page and "<h1>" in page
    status, data, _ = request(served.url + "/api/submissions/nope", token=served.tokens["alice"])
    assert status == 404 and data == {"detail": "no submission nope of yours"}
    front = Browser(served).send("GET", "/")[2]
    assert '<nav' not in front and "<style>" in front and "grade login" in front, "the front page has the other pages' look"


def test_the_api_page_works_offline_from_the_services_own_swagger_ui(served):
    status, headers, page = Browser(served).send("GET", "/docs")
    assert status == 200 and "/static/swagger-ui-bundle.js" in page and "/static/swagger-ui.css" in page
    assert "cdn.jsdelivr" not in page and "https://" not in headers["content-security-policy"]
    status, headers, script = Browser(served).send("GET", "/static/swagger-ui-bundle.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript") and "SwaggerUIBundle" in script
    assert Browser(served).send("GET", "/static/../grader.db")[0] == 404 and Browser(served).send("GET", "/static/nope.js")[0] == 404
