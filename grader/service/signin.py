"""Signed-in browsers: session cookies that end with their account, and forms that only this
service's own pages can post.

A session cookie is ``ACCOUNT.GENERATION.EXPIRES.SIGNATURE``: an HMAC-SHA256, under the
service's key, of the account's id, its session generation, the expiry and the account's token
hash. So a cookie ends when it expires, when its account signs out (the generation goes up:
every session of the account ends, server-side), when the account is removed, and when another
account later takes the same row id (its token hash differs). The key is made once and kept in
the database (:class:`~grader.service.tables.ServiceSecret`): a restart or a second API
process reads the same key and keeps everyone signed in.

Forms (sign-in, upload, sign-out) carry a token that must equal the ``grader_csrf`` cookie
(SameSite=Strict, so another site's page never sends it), and the request's
``Sec-Fetch-Site``/``Origin`` must say the form came from this service. Both cookies are
HttpOnly, SameSite=Strict, and Secure when the service is reached over HTTPS.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from grader.service.tables import Account, ServiceSecret

COOKIE = "grader_session"
CSRF_COOKIE = "grader_csrf"
#: The form field that carries the CSRF token.
CSRF_FIELD = "csrf"
#: How long a sign-in lasts.
SESSION_S = 12 * 3600
#: The name of the session key among the service's secrets.
KEY_NAME = "session-key"
_CSRF_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
#: The most digits a cookie's numbers may have (a larger number is no account, no time).
_MAX_DIGITS = 18


def service_key(sessions: sessionmaker) -> bytes:
    """The key that signs session cookies: read from the database, made there on first use
    (two processes making it at once agree on the first one committed)."""
    with sessions() as session:
        row = session.get(ServiceSecret, KEY_NAME)
        if row is None:
            session.add(ServiceSecret(name=KEY_NAME, value=secrets.token_hex(32)))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
            row = session.get(ServiceSecret, KEY_NAME, populate_existing=True)
        if row is None:
            raise RuntimeError("the service's session key could not be stored in its database")
        return bytes.fromhex(row.value)


class SessionKey:
    """Signs and reads session cookies (see the module docstring)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _signature(self, account: Account, generation: int, expires: int) -> str:
        payload = f"{account.id}.{generation}.{expires}.{account.token_hash}"
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    def sign(self, account: Account, now: float | None = None) -> str:
        """A session cookie for ``account``, valid for :data:`SESSION_S`."""
        expires = int((now or time.time()) + SESSION_S)
        generation = account.session_generation or 0
        return f"{account.id}.{generation}.{expires}.{self._signature(account, generation, expires)}"

    def read(self, cookie: str | None, session: Session) -> Account | None:
        """The account of a valid, unexpired cookie whose account still signs it so; else None
        (whatever the cookie holds: any text at all is None, never an error)."""
        parts = (cookie or "").split(".")
        if len(parts) != 4 or not all(part.isascii() and part.isdigit() and len(part) <= _MAX_DIGITS for part in parts[:3]):
            return None
        account_id, generation, expires = (int(part) for part in parts[:3])
        if expires <= time.time():
            return None
        account = session.get(Account, account_id)
        if account is None or account.disabled or (account.session_generation or 0) != generation:
            return None
        expected = self._signature(account, generation, expires)
        return account if hmac.compare_digest(parts[3].encode("utf-8", "surrogateescape"), expected.encode()) else None


def end_sessions(session: Session, account: Account) -> None:
    """End every session of ``account`` (sign-out): its cookies no longer verify."""
    account.session_generation = (account.session_generation or 0) + 1
    session.commit()


def csrf_token(request: Request) -> str:
    """The browser's CSRF token: its ``grader_csrf`` cookie when well-formed, else a new one
    (which :func:`set_cookies` then sets)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if _CSRF_TOKEN.fullmatch(token) else secrets.token_urlsafe(32)


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None = None) -> None:
    """Set cookie ``name`` as every cookie of the service is: HttpOnly, SameSite=Strict, Secure
    over HTTPS."""
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")


def same_origin(request: Request, public_url: str | None = None) -> bool:
    """Whether a form post came from this service's own pages, by what the browser says of it:
    ``Sec-Fetch-Site`` (``same-origin``, or ``none`` for a user's own navigation) and ``Origin``
    (this service's, as reached or as configured). A client that sends neither (a script, not
    a browser) is not a cross-site page."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
    if public_url:
        scheme, _, rest = public_url.partition("://")
        own.add(f"{scheme}://{rest.split('/', 1)[0]}")
    return origin in own


def form_is_ours(request: Request, token: str, public_url: str | None = None) -> bool:
    """Whether a posted form is one of this service's own: same origin, and its CSRF ``token``
    equal to the browser's ``grader_csrf`` cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not (_CSRF_TOKEN.fullmatch(cookie) and same_origin(request, public_url)):
        return False
    return hmac.compare_digest(token.encode("utf-8", "surrogateescape"), cookie.encode())
