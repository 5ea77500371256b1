"""What every request meets before the routes: bounded bodies, authentication before an upload
is read, and the security headers on every answer (an ASGI middleware around the app).

- **Bodies**: a body larger than its route's limit is refused with 413 from its
  ``Content-Length`` before a byte of it is read, and a body sent without one (chunked) is
  counted as it streams and cut off at the limit. An upload's limit is the policy's largest
  ``max_upload_mb`` plus room for the form around it; any other post's is 64 KiB.
- **Authentication first**: an upload (``POST /api/submissions``, the page's ``/me/submit``)
  from a caller who is not signed in is refused (401) before its body is read.
- **Headers**: a Content-Security-Policy (scripts from this service only, no framing),
  ``X-Content-Type-Options``, ``X-Frame-Options``, ``Referrer-Policy``, ``Cache-Control:
  no-store`` on everything but the static files and the student distribution, and
  ``Strict-Transport-Security`` over HTTPS.
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from grader.service.accounts import authenticate
from grader.service.signin import COOKIE

#: The body limit of a post that is not an upload.
FORM_LIMIT = 64 * 1024
#: Room for the multipart form around an uploaded archive.
MULTIPART_ROOM = 64 * 1024
#: The uploads: the API's and the web page's.
API_UPLOAD, PAGE_UPLOAD = "/api/submissions", "/me/submit"
#: The pages' policy: this service's scripts only (htmx), inline styles (the pages' own), no framing.
PAGES_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
#: The OpenAPI page: the service's own Swagger UI, started by FastAPI's inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "worker-src blob:; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "same-origin"}
#: Paths whose answers may be cached (public, unchanging files).
CACHEABLE = ("/static/", "/dist/")


class Guard:
    """The middleware (see the module docstring); ``service`` gives the database and the policy."""

    def __init__(self, app, service) -> None:
        self.app = app
        self.service = service
        self.upload_limit = service.policy.largest_upload_bytes() + MULTIPART_ROOM

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        state = {"responded": False, "received": 0}

        async def with_headers(message) -> None:
            if state["responded"]:
                return  # the guard has answered: the app's late answer is dropped
            if message["type"] == "http.response.start":
                message["headers"] = _secured(list(message.get("headers", [])), path, scope.get("scheme") == "https")
            await send(message)

        async def answer(response: Response) -> None:
            await response(scope, receive, with_headers)
            state["responded"] = True

        if scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            limit = self.upload_limit if path in (API_UPLOAD, PAGE_UPLOAD) else FORM_LIMIT
            refusal = None
            if path in (API_UPLOAD, PAGE_UPLOAD):
                refusal = await run_in_threadpool(self._unauthenticated, Request(scope))
            refusal = refusal or _length_refusal(scope, limit)
            if refusal is not None:
                await answer(refusal)
                return

            async def bounded_receive():
                message = await receive()
                if message["type"] == "http.request":
                    state["received"] += len(message.get("body", b""))
                    if state["received"] > limit:
                        if not state["responded"]:
                            await answer(_too_large(limit))
                        return {"type": "http.disconnect"}
                return message

            await self.app(scope, bounded_receive, with_headers)
            return
        await self.app(scope, receive, with_headers)

    def _unauthenticated(self, request: Request) -> Response | None:
        """401 (the API) or a redirect to sign in (the page) when the uploader is nobody."""
        with self.service.sessions() as session:
            if request.url.path == API_UPLOAD:
                scheme, _, token = request.headers.get("authorization", "").partition(" ")
                if scheme.lower() == "bearer" and authenticate(session, token.strip()) is not None:
                    return None
                detail = "no valid token: sign in with `grade login URL` (or pass --token)"
                return JSONResponse({"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
            if self.service.session_key.read(request.cookies.get(COOKIE), session) is not None:
                return None
            return RedirectResponse("/login", status_code=303)


def _length_refusal(scope, limit: int) -> Response | None:
    """400 for a ``Content-Length`` that is not a number, 413 for one over ``limit``."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            if not value.isdigit() or len(value) > 18:
                return JSONResponse({"detail": "Content-Length is not a number of bytes"}, status_code=400)
            if int(value) > limit:
                return _too_large(limit)
    return None


def _too_large(limit: int) -> Response:
    detail = {"detail": f"the request is larger than {limit // (1024 * 1024) or 1} MB"}
    return Response(json.dumps(detail), status_code=413, media_type="application/json", headers={"Connection": "close"})


def _secured(headers: list, path: str, https: bool) -> list:
    """``headers`` of an answer to ``path`` with the security headers added (kept where the
    route set its own)."""
    present = {name.lower() for name, _ in headers}
    added = dict(HEADERS)
    added["content-security-policy"] = DOCS_CSP if path == "/docs" else PAGES_CSP
    if not path.startswith(CACHEABLE):
        added["cache-control"] = "no-store"
    if https:
        added["strict-transport-security"] = "max-age=31536000"
    return headers + [(name.encode(), value.encode()) for name, value in added.items() if name.encode() not in present]
