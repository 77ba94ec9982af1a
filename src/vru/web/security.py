"""Authentication, the one authorisation check, CSRF, security headers and the audit trail.

- ``AuthAuditMiddleware`` (ASGI) runs for *every* request, static files included: it resolves the
  session cookie to a user, sets security headers, and after the response appends one ``request``
  record (plus any ``access`` records the handler noted) to the audit log.
- ``authorize`` is a dependency installed on the application itself, so it runs before every
  route handler: it looks the matched route up in ``ROUTE_PERMISSIONS`` (routes missing from the
  table are refused), refuses anonymous users (401 for the API, redirect to the sign-in page
  otherwise), asks the one access question (``vru.privacy.access.allowed``) and, for
  state-changing methods, checks the CSRF token.
"""

from __future__ import annotations

import hmac
import re
import time
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vru.errors import VruError
from vru.privacy.access import Actor, Resource, why_not
from vru.privacy.audit import Entry
from vru.privacy.roles import Permission
from vru.web.permissions import ROUTE_PERMISSIONS

SESSION_COOKIE = "vru_session"
LOGIN_CSRF_COOKIE = "vru_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

def security_headers(tile_url: str = "") -> list[tuple[bytes, bytes]]:
    """The headers every response carries. A configured map tile server (settings
    ``map.tile_url``) is the one other origin images may come from."""
    img = "'self' data: blob:"
    m = re.match(r"(https?://[^/\s]+)", tile_url or "")
    if m:
        img += " " + m.group(1).replace("{s}", "*")
    return [
        (b"content-security-policy",
         f"default-src 'self'; img-src {img}; style-src 'self'; script-src 'self'; "
         "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
         "form-action 'self'".encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cache-control", b"no-store"),
    ]


SECURITY_HEADERS = security_headers()


class NeedLogin(VruError):
    """Raised for an anonymous page request; handled as a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def _cookie(scope: Scope, name: str) -> str | None:
    for k, v in scope.get("headers", []):
        if k == b"cookie":
            for part in v.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == name:
                    return val
    return None


class AuthAuditMiddleware:
    def __init__(self, app: ASGIApp, ctx: Any) -> None:
        self.app = app
        self.ctx = ctx
        settings = getattr(getattr(ctx, "ws", None), "settings", None)
        self.headers = security_headers(settings.map.tile_url if settings is not None else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        state = scope.setdefault("state", {})
        token = _cookie(scope, SESSION_COOKIE)
        session = await anyio.to_thread.run_sync(self.ctx.sessions.get, token) if token else None
        state["session"] = session
        state["accesses"] = []
        status = {"code": 500}
        is_static = scope["path"].startswith("/static/")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                names = {h[0].lower() for h in headers}
                for k, v in self.headers:
                    if k not in names and not (is_static and k == b"cache-control"):
                        headers.append((k, v))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            user = state.get("audit_user") or (session.user if session else None)
            qs = scope.get("query_string", b"").decode("latin-1")
            detail = {
                "status": status["code"],
                "query": qs[:500] or None,
                "client": (scope.get("client") or ("?",))[0],
                "ms": round((time.perf_counter() - t0) * 1000, 1),
            }
            route = scope.get("route")
            if route is not None:
                detail["route"] = getattr(route, "path", None)
            entries = [Entry("request", user.username if user else None,
                             f"{scope['method']} {scope['path']}",
                             user.role.value if user else None, detail)]
            for acc in state.get("accesses", []):
                entries.append(Entry("access", user.username if user else None, acc["dataset"],
                                     user.role.value if user else None, acc["detail"]))
            for extra in state.get("audit_events", []):
                entries.append(extra)
            self.ctx.audit_writer.put(*entries)


def record_access(request: Request, dataset: str, **detail: Any) -> None:
    """Note a data access for the audit log (written with the request's record)."""
    request.state.accesses.append({"dataset": dataset, "detail": detail})


def record_event(request: Request, entry: Entry) -> None:
    if not hasattr(request.state, "audit_events"):
        request.state.audit_events = []
    request.state.audit_events.append(entry)


def route_permission(request: Request) -> Permission | None:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return ROUTE_PERMISSIONS.get((request.method, path)) if path else None


async def authorize(request: Request) -> None:
    perm = route_permission(request)
    if perm is None:  # fail closed: a route nobody classified is not served
        raise HTTPException(403, "route not in the permission table")
    if perm is Permission.PUBLIC:
        return
    if perm is Permission.LOCAL:
        local_caller(request)
        return
    session = request.state.session
    if session is None:
        if request.url.path.startswith("/api/"):
            raise HTTPException(401, "sign in first", headers={"WWW-Authenticate": "Cookie"})
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NeedLogin(nxt)
    path = getattr(request.scope.get("route"), "path", "")
    reason = why_not(perm.value, Resource("route", f"{request.method} {path}"), Actor.of(session.user))
    if reason is not None:
        raise HTTPException(403, reason)
    if request.method in UNSAFE:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            sent = form.get(CSRF_FIELD)
        if not sent or not hmac.compare_digest(str(sent), session.csrf_token):
            raise HTTPException(403, "missing or wrong CSRF token")


LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def local_caller(request: Request) -> None:
    """The local channel: a loopback caller holding the token of this server's handle file
    (mode 0600, so only the account running the server can read it)."""
    handle = request.app.state.ctx.extras.get("handle")
    if handle is None:
        raise HTTPException(403, "this server takes no handed-over commands")
    client = request.client.host if request.client else ""
    if client not in LOOPBACK:
        raise HTTPException(403, "handed-over commands are taken from this machine only")
    sent = request.headers.get("x-vru-token", "")
    if not hmac.compare_digest(sent.encode(), handle.token.encode()):
        raise HTTPException(403, "wrong or missing token (see server.json in the workspace)")


def safe_next(url: str) -> str:
    """A same-site path to go to after sign-in; anything else (//host, /\\host, URLs) -> '/'."""
    if not url.startswith("/") or url[1:2] in ("/", "\\") or any(c < " " for c in url):
        return "/"
    return url


def login_redirect(next_url: str) -> str:
    return "/login?next=" + quote(safe_next(next_url), safe="")
