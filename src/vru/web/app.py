"""The application factory: ``create_app(ws)`` builds the FastAPI app over one open Workspace."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from vru.live.jobs import JobRunner
from vru.privacy.audit import AuditLog
from vru.web.audit_writer import AuditWriter
from vru.web.cache import ResultCache
from vru.web.security import AuthAuditMiddleware, NeedLogin, authorize, login_redirect
from vru.web.sessions import SessionStore
from vru.web.throttle import LoginThrottle
from vru.workspace import Workspace

HERE = Path(__file__).parent


@dataclass
class WebContext:
    ws: Workspace
    sessions: SessionStore
    audit: AuditLog
    throttle: LoginThrottle
    templates: Jinja2Templates
    audit_writer: AuditWriter
    cache: ResultCache
    jobs: JobRunner
    secure_cookies: bool = False
    extras: dict = field(default_factory=dict)


def create_app(ws: Workspace, *, secure_cookies: bool = False, session_hours: float = 8.0,
               audit_durable: bool = True, throttle: LoginThrottle | None = None) -> FastAPI:
    """Build the web workbench over an open, writable workspace.

    ``secure_cookies``: mark cookies Secure (set it when served over HTTPS, e.g. behind a proxy).
    """
    if ws.read_only:
        raise ValueError("the web app needs the workspace open for writing (sessions, users)")
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    audit = AuditLog.for_workspace(ws, durable=audit_durable)
    ctx = WebContext(
        ws=ws,
        sessions=SessionStore(ws, timedelta(hours=session_hours)),
        audit=audit,
        throttle=throttle or LoginThrottle(),
        templates=templates,
        audit_writer=AuditWriter(audit),
        cache=ResultCache(ws),
        jobs=JobRunner(ws),
        secure_cookies=secure_cookies,
    )
    # What a job changes shows on the next request: answers and session look-ups are re-read.
    ctx.jobs.before_write.append(ctx.cache.pin)
    ctx.jobs.after_write += [ctx.cache.refresh_and_unpin, ctx.sessions.forget_all]
    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        ctx.jobs.shutdown()       # a running job is left to the process's end (rolled back)
        ctx.audit_writer.drain()  # nothing queued is lost on a clean shutdown

    app = FastAPI(
        lifespan=lifespan,
        title="vru web workbench API",
        version="1",
        description="JSON API behind the vru web workbench. Sign in at /login; send the session "
                    "cookie, and for POST requests the X-CSRF-Token header from /api/me.",
        dependencies=[Depends(authorize)],
        docs_url=None, redoc_url=None, openapi_url=None,  # served below, behind sign-in
    )
    app.state.ctx = ctx

    from vru.web import api, local_jobs, pages, programme_pages, tags_pages, upload

    app.include_router(pages.router)
    app.include_router(programme_pages.router)
    app.include_router(tags_pages.router)
    app.include_router(tags_pages.api)
    app.include_router(api.router)
    app.include_router(local_jobs.router)
    app.include_router(upload.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(NeedLogin)
    async def _need_login(request: Request, exc: NeedLogin):
        return RedirectResponse(login_redirect(exc.next_url), status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/") or request.method != "GET":
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=exc.headers)
        session = getattr(request.state, "session", None)
        return templates.TemplateResponse(
            request, "error.html",
            {"status": exc.status_code, "detail": exc.detail,
             "user": session.user if session else None, "csrf": None, "nav": []},
            status_code=exc.status_code,
        )

    app.add_middleware(AuthAuditMiddleware, ctx=ctx)

    return app


def ctx_of(request: Request) -> WebContext:
    return request.app.state.ctx
