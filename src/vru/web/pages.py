"""Server-rendered pages. Role checks happen in ``security.authorize``; pages use the same view
models as the API (``vru.web.views``) so the numbers on screen and in JSON are one and the same."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse

from vru.privacy import audit as audit_mod
from vru.privacy import users as users_mod
from vru.privacy.access import Actor, Resource, allowed
from vru.privacy.audit import Entry
from vru.privacy.roles import ROLES
from vru.web import optional, patrol_view, profiles_store, views
from vru.web import queries as q
from vru.web.exit import Exit
from vru.web.filters import period
from vru.web.permissions import ROUTE_PERMISSIONS
from vru.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    _cookie,
    record_access,
    record_event,
    safe_next,
)

router = APIRouter(include_in_schema=False)

NAV = [("Overview", "/"), ("Map", "/map"), ("Trends", "/trends"), ("Profiles", "/profiles"),
       ("Data hub", "/data-hub"), ("Programme", "/programme"), ("Funding", "/funding"),
       ("Referrals", "/referrals"), ("GPS tags", "/tags"), ("Patrol plans", "/patrol"), ("Users", "/admin/users"),
       ("Audit", "/admin/audit")]


def _may(user, route: tuple[str, str]) -> bool:
    """May this user use that route? (the one access question, ``vru.privacy.access``)"""
    return allowed(ROUTE_PERMISSIONS[route].value, Resource("route", " ".join(route)), Actor.of(user))


def ctx(request: Request):
    return request.app.state.ctx


def _em_allowed(request: Request) -> bool:
    from vru.web.tags_pages import em_allowed

    return em_allowed(request).allowed


def render(request: Request, template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    s = request.state.session
    nav = []
    if s is not None:
        nav = [(label, href, request.url.path == href)
               for label, href in NAV if _may(s.user, ("GET", href))
               and (href != "/tags" or _em_allowed(request))]
    data.setdefault("area_name", ctx(request).ws.settings.area_name)
    env = ctx(request).templates.env
    if "num" not in env.filters:
        env.filters["num"] = fmt_num
    return ctx(request).templates.TemplateResponse(
        request, template,
        {"user": s.user if s else None, "csrf": s.csrf_token if s else None, "nav": nav, **data},
        status_code=status_code,
    )


def fmt_num(value: Any) -> str:
    """A count for a page: thousands separators; a suppressed count ('*') and gaps as they are."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


# --------------------------------------------------------------------------- sign-in
@router.get("/health")
def health(request: Request) -> PlainTextResponse:
    """Liveness: 'ok', or 'ok warming' while the server still pre-computes first answers."""
    return PlainTextResponse("ok warming" if ctx(request).extras.get("warming") else "ok")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", error: str | None = None) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", next=safe_next(next), error=error, login_csrf=token)
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                    secure=ctx(request).secure_cookies, max_age=3600)
    return resp


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


@router.post("/login")
def login(request: Request, username: str = Form("", max_length=200),
          password: str = Form("", max_length=500), csrf_token: str = Form(""),
          next: str = Form("/")):
    c = ctx(request)
    target = safe_next(next)
    cookie = _cookie(request.scope, LOGIN_CSRF_COOKIE)
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        return render(request, "login.html", 403, next=target, login_csrf=cookie or "",
                      error="The sign-in form expired; please try again.")
    client = _client(request)
    wait = c.throttle.retry_after(username, client)
    if wait > 0:
        record_event(request, Entry("login", username[:100], "login.throttled", None,
                                    {"client": client, "retry_after_s": round(wait)}))
        resp = render(request, "login.html", 429, next=target, login_csrf=cookie,
                      error=f"Too many failed attempts. Try again in {int(wait // 60) + 1} min.")
        resp.headers["Retry-After"] = str(int(wait) + 1)
        return resp
    user = users_mod.authenticate(c.ws, username, password)
    if user is None:
        c.throttle.failed(username, client)
        record_event(request, Entry("login", username[:100], "login.failed", None,
                                    {"client": client}))
        return render(request, "login.html", 401, next=target, login_csrf=cookie,
                      error="Wrong user name or password, or the account is disabled.")
    c.throttle.succeeded(username, client)
    token, session = c.sessions.create(user)
    request.state.audit_user = user
    record_event(request, Entry("login", user.username, "login.ok", user.role.value,
                                {"client": client}))
    resp = RedirectResponse(target if target != "/login" else "/", status_code=303)
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                    secure=c.secure_cookies, max_age=int(c.sessions.ttl.total_seconds()))
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    return resp


@router.post("/logout")
def logout(request: Request):
    token = _cookie(request.scope, SESSION_COOKIE)
    if token:
        ctx(request).sessions.revoke(token)
    record_event(request, Entry("logout", request.state.session.user.username, "logout",
                                request.state.session.user.role.value, {}))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


# --------------------------------------------------------------------------- pages
def _exit(request: Request) -> Exit:
    return Exit(request.state.session.user, ctx(request).ws.settings.disclosure)


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, p: tuple = Depends(period)) -> HTMLResponse:
    ex = _exit(request)
    data = ctx(request).cache.value(("overview", ex.exact, p),
                                    lambda: views.overview(ctx(request).ws, ex, *p))
    for a in data["areas"]:
        a["spark"] = views.sparkline_svg(a["monthly"])
    record_access(request, "crimes.aggregate", view="overview", exact=ex.exact)
    return render(request, "overview.html", data=data, access=ex.describe())


def _filter_choices(request: Request) -> dict[str, Any]:
    return ctx(request).cache.value(("choices",), lambda: _choices(ctx(request).ws))


def _choices(ws) -> dict[str, Any]:
    first, last = q.month_span(ws)
    return {"areas": q.area_names(ws), "crime_types": q.crime_types(ws),
            "first": first.isoformat()[:7] if first else "",
            "last": last.isoformat()[:7] if last else ""}


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request) -> HTMLResponse:
    ex = _exit(request)
    return render(request, "map.html", choices=_filter_choices(request), access=ex.describe(),
                  can_points=ex.may_see_records and _may(ex.user, ("GET", "/api/map/points")),
                  plans=patrol_view.plans(ctx(request).ws, 20)
                  if _may(ex.user, ("GET", "/api/patrol-plans/{run_id}")) else [],
                  hotspots=optional.hotspots_available())


@router.get("/trends", response_class=HTMLResponse)
def trends_page(request: Request) -> HTMLResponse:
    return render(request, "trends.html", choices=_filter_choices(request),
                  access=_exit(request).describe())


@router.get("/profiles", response_class=HTMLResponse)
def profiles_page(request: Request, made: str | None = None, job: int | None = None
                  ) -> HTMLResponse:
    ex = _exit(request)
    running = None
    if job is not None:  # a profile being generated in the background for this user
        j = ctx(request).jobs.get(job)
        if j is not None and j.kind == "profile" and j.actor == ex.user.username:
            running = j.as_dict()
            if j.status == "done":
                made = ",".join(m["name"] for m in j.result)
    return render(request, "profiles.html", available=optional.profiles_available(),
                  profiles=profiles_store.listing(ctx(request).ws, ex.exact),
                  can_make=_may(ex.user, ("POST", "/profiles")),
                  exact=ex.exact, areas=q.area_names(ctx(request).ws), made=made, job=running)


@router.post("/profiles")
def profiles_make(request: Request, area: str = Form(""), period: str = Form(""),
                  fmt: list[str] = Form(["html"]), exact: str = Form("")):
    """Generate a profile as a background job (seconds of work; nobody's request waits for
    it), then show it in the list; the page follows the job."""
    ex = _exit(request)
    if not optional.profiles_available():
        raise HTTPException(501, "profiles are not available in this build")
    formats = [f for f in fmt if f in ("html", "pdf", "docx")]
    if not formats or len(formats) != len(fmt):
        raise HTTPException(422, "formats must be among html, pdf, docx")
    use_exact = bool(exact) and ex.exact
    c = ctx(request)
    user = ex.user.username

    def work(job) -> list[dict[str, Any]]:
        job.report(f"building the profile for {area or '?'}")
        try:
            made = profiles_store.generate(c.ws, area or None, period or None, use_exact,
                                           formats)
        except (ValueError, KeyError, LookupError) as exc:
            raise RuntimeError(f"cannot build that profile: {exc}") from exc
        c.audit_writer.put(Entry("access", user, "profiles.generated", ex.user.role.value,
                                 {"job_id": job.job_id, "files": [m["name"] for m in made]}))
        return made

    j = c.jobs.submit(work, kind="profile", title=f"profile: {area} {period or ''}".strip(),
                      actor=user, writes=False)
    record_access(request, "profiles.generate", area=area or None, period=period or None,
                  exact=use_exact, job_id=j.job_id)
    return RedirectResponse(f"/profiles?job={j.job_id}", status_code=303)


@router.get("/profiles/{name}")
def profiles_download(request: Request, name: str) -> FileResponse:
    path = profiles_store.resolve(ctx(request).ws, name, _exit(request).exact)
    if path is None:
        raise HTTPException(404, "no such profile")
    record_access(request, "profiles.download", name=name)
    return FileResponse(path, media_type=profiles_store.MEDIA[path.suffix], filename=path.name)


@router.get("/data-hub", response_class=HTMLResponse)
def datahub_page(request: Request) -> HTMLResponse:
    ws, ex = ctx(request).ws, _exit(request)
    may_rejects = _may(ex.user, ("GET", "/data-hub/rejects"))
    data = ctx(request).cache.value(("datahub", ex.exact, may_rejects),
                                    lambda: _datahub(ws, ex, may_rejects))
    record_access(request, "datahub.overview")
    return render(request, "datahub.html", **data, can_upload=_may(
        ex.user, ("GET", "/data-hub/upload")))


def _datahub(ws, ex: Exit, may_rejects: bool) -> dict[str, Any]:
    sources = q.sources_summary(ws)
    for r in sources:
        for k in ("rows_read", "rows_loaded", "rows_rejected"):
            r[k] = ex.count(r[k])
    cov = q.coverage(ws)
    months = sorted({r["month"] for r in cov})
    grid: dict[str, dict] = {}
    disagree = []
    for r in cov:
        g = grid.setdefault(r["force_name"], {"force": r["force_name"], "served": {},
                                              "police_uk": {}, "police_rms": {}})
        g["served"][r["month"]] = r["source"]
        g["police_uk"][r["month"]] = ex.count(r["police_uk_rows"]) if r["police_uk_rows"] else None
        g["police_rms"][r["month"]] = (ex.count(r["police_rms_rows"]) if r["police_rms_rows"]
                                       else None)
        if r["police_uk_rows"] and r["police_rms_rows"]:
            uk, rms = ex.count(r["police_uk_sv"]), ex.count(r["police_rms_sv"])
            nu, nr = ex.numeric(uk), ex.numeric(rms)
            disagree.append({"force": r["force_name"], "month": r["month"],
                             "served": r["source"], "police_uk_sv": uk, "police_rms_sv": rms,
                             "difference": None if nu is None or nr is None else nr - nu,
                             "police_rms_sv_ho": ex.count(r["police_rms_sv_ho"])})
    table = optional.first_table(ws, optional.AGREEMENT_TABLES)
    imports = q.imports(ws, 20) if ex.exact else []
    return {"sources": sources, "imports": imports,
            "months": months, "coverage": list(grid.values()), "disagree": disagree,
            "source_labels": {**q.SOURCE_LABELS, **{s: q.source_label(s) for s in
                                                    {i["source"] for i in imports}}},
            "kind_labels": q.KIND_LABELS, "agreements_table": table,
            "agreements": q.any_table(ws, table) if table else [],
            "rejects": q.rejects_summary(ws) if may_rejects else None}


@router.get("/data-hub/linkage", response_class=HTMLResponse)
def linkage_page(request: Request) -> HTMLResponse:
    from vru.web.linkage_view import linkage_quality

    ws, ex = ctx(request).ws, _exit(request)
    data = linkage_quality(ws, ex)
    record_access(request, "datahub.linkage")
    return render(request, "linkage.html", q=data)


@router.get("/data-hub/rejects", response_class=HTMLResponse)
def rejects_page(request: Request) -> HTMLResponse:
    ws = ctx(request).ws
    sample = q.rejects_sample(ws, 200)
    record_access(request, "datahub.rejects", rows=len(sample))
    return render(request, "rejects.html", summary=q.rejects_summary(ws), sample=sample)


@router.get("/patrol", response_class=HTMLResponse)
def patrol_page(request: Request) -> HTMLResponse:
    ws = ctx(request).ws
    found = patrol_view.plans(ws)
    record_access(request, "patrol.plans", plans=len(found))
    return render(request, "patrol.html", available=patrol_view.available(ws), plans=found)


@router.get("/patrol/{run_id}/{file}")
def patrol_file(request: Request, run_id: int, file: str) -> FileResponse:
    path = patrol_view.output_file(ctx(request).ws, run_id, file)
    if path is None:
        raise HTTPException(404, "no such patrol plan file")
    record_access(request, "patrol.file", run_id=run_id, file=file)
    return FileResponse(path, media_type=patrol_view.MEDIA[path.suffix], filename=path.name)


# --------------------------------------------------------------------------- admin
@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, msg: str | None = None) -> HTMLResponse:
    ws = ctx(request).ws
    return render(request, "admin_users.html", users=users_mod.list_users(ws),
                  roles=ROLES, msg=msg, agencies=users_mod.known_agencies(ws))


@router.post("/admin/users")
def users_add(request: Request, username: str = Form(..., max_length=100),
              password: str = Form(..., max_length=500), role: str = Form(...),
              agency: str = Form(""), full_name: str = Form("")):
    try:
        u = users_mod.add_user(ctx(request).ws, username, password, role,
                               agency=agency or None, full_name=full_name or None)
    except users_mod.UserError as exc:
        return users_page(request, msg=f"Not added: {exc}")
    record_event(request, Entry("user_admin", request.state.session.user.username, "users.add",
                                "admin", {"username": u.username, "role": u.role.value}))
    return RedirectResponse(f"/admin/users?msg=Added+{u.username}", status_code=303)


@router.post("/admin/users/{username}/active")
def users_active(request: Request, username: str, active: str = Form(...)):
    c = ctx(request)
    on = active == "1"
    try:
        u = users_mod.set_active(c.ws, username, on)
    except users_mod.LastAdminError as exc:
        return users_page(request, msg=f"Not changed: {exc}")
    except users_mod.UserError as exc:
        raise HTTPException(404, str(exc)) from exc
    c.sessions.forget_all()
    record_event(request, Entry("user_admin", request.state.session.user.username,
                                "users.enable" if on else "users.disable", "admin",
                                {"username": u.username}))
    return RedirectResponse("/admin/users?msg=Updated+" + u.username, status_code=303)


@router.post("/admin/users/{username}/password")
def users_password(request: Request, username: str, password: str = Form(..., max_length=500)):
    c = ctx(request)
    try:
        u = users_mod.reset_password(c.ws, username, password)
    except users_mod.UserError as exc:
        return users_page(request, msg=f"Not reset: {exc}")
    c.sessions.forget_all()
    record_event(request, Entry("user_admin", request.state.session.user.username,
                                "users.reset", "admin", {"username": u.username}))
    return RedirectResponse("/admin/users?msg=Password+reset+for+" + u.username, status_code=303)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, actor: str | None = None) -> HTMLResponse:
    c = ctx(request)
    c.audit_writer.drain()
    return render(request, "admin_audit.html", records=audit_mod.tail(c.audit.dir, 200, actor),
                  check=audit_mod.verify(c.audit.dir), actor=actor or "")
