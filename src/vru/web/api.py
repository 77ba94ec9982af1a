"""The JSON API: everything the pages show. Role checks happen in ``security.authorize``."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from vru.privacy import audit as audit_mod
from vru.privacy import users as users_mod
from vru.privacy.audit import Entry
from vru.privacy.roles import ROLES
from vru.reports import FORMATS as REPORT_FORMATS
from vru.web import optional, patrol_view, profiles_store, views
from vru.web import queries as q
from vru.web.cache import JSONBytes
from vru.web.exit import Exit
from vru.web.filters import filters, period
from vru.web.hotspot_view import hotspots
from vru.web.security import record_access, record_event

router = APIRouter(prefix="/api")


def ctx(request: Request):
    return request.app.state.ctx


def exit_for(request: Request) -> Exit:
    return Exit(request.state.session.user, ctx(request).ws.settings.disclosure)


# --------------------------------------------------------------------------- meta
@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request) -> JSONResponse:
    app = request.app
    if not app.openapi_schema:
        app.openapi_schema = get_openapi(title=app.title, version=app.version,
                                         description=app.description, routes=app.routes)
    return JSONResponse(app.openapi_schema)


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    return ctx(request).templates.TemplateResponse(request, "api_docs.html", {
        "user": request.state.session.user, "csrf": request.state.session.csrf_token,
        "nav": [], "routes": [r for r in request.app.routes
                              if getattr(r, "include_in_schema", False)
                              and str(getattr(r, "path", "")).startswith("/api/")],
    })


@router.get("/me", summary="The signed-in user, their access and the CSRF token for POSTs")
def me(request: Request) -> dict[str, Any]:
    s = request.state.session
    return {"user": s.user.as_dict(), "csrf_token": s.csrf_token,
            "access": exit_for(request).describe()}


@router.get("/meta", summary="Areas, crime types, month span and optional capabilities")
def meta(request: Request) -> JSONBytes:
    return ctx(request).cache.json(("meta",), lambda: _meta(ctx(request).ws), request)


def _meta(ws) -> dict[str, Any]:
    first, last = q.month_span(ws)
    return {
        "area_name": ws.settings.area_name,
        "areas": q.area_names(ws),
        "crime_types": q.crime_types(ws),
        "serious_violence": ws.settings.serious_violence.description,
        "months": {"first": first.isoformat()[:7] if first else None,
                   "last": last.isoformat()[:7] if last else None},
        "grid_cell_size_m": ws.settings.grid.cell_size_m,
        "features": optional.features(ws),
    }


# --------------------------------------------------------------------------- aggregates
@router.get("/overview", summary="Headline serious-violence indicators per area, for a period "
            "(default: the last 12 months) against the period of the same length before")
def overview(request: Request, p: tuple = Depends(period)) -> JSONBytes:
    ex = exit_for(request)
    record_access(request, "crimes.aggregate", view="overview", exact=ex.exact,
                  month_from=p[0] and p[0].isoformat()[:7], month_to=p[1] and p[1].isoformat()[:7])
    return ctx(request).cache.json(("overview", ex.exact, p),
                                   lambda: views.overview(ctx(request).ws, ex, *p), request)


@router.get("/trends", summary="Monthly counts by crime type or by area")
def trends(request: Request, f: q.Filters = Depends(filters),
           by: Literal["crime_type", "area"] = Query("crime_type"),
           measure: Literal["count", "rate"] = Query(
               "count", description="count, or rate per 1,000 residents")) -> JSONBytes:
    ex = exit_for(request)
    record_access(request, "crimes.aggregate", view="trends", by=by, measure=measure,
                  exact=ex.exact, **f.as_dict())
    return ctx(request).cache.json(("trends", f, by, measure, ex.exact),
                                   lambda: views.trends(ctx(request).ws, ex, f, by, measure),
                                   request)


@router.get("/map/grid", summary="Grid-cell counts as GeoJSON polygons")
def map_grid(request: Request, f: q.Filters = Depends(filters)) -> JSONBytes:
    return _map_layer(request, f, "grid", views.grid_layer)


@router.get("/map/lsoa", summary="LSOA counts (and rates per 1,000 residents) as GeoJSON "
            "(boundaries, or centroids if absent)")
def map_lsoa(request: Request, f: q.Filters = Depends(filters)) -> JSONBytes:
    return _map_layer(request, f, "lsoa", views.lsoa_layer)


def _map_layer(request: Request, f: q.Filters, view: str, build) -> JSONBytes:
    """A map layer for the filters: access recorded, built through the exit, cached."""
    ex = exit_for(request)
    record_access(request, "crimes.aggregate", view=view, exact=ex.exact, **f.as_dict())
    return ctx(request).cache.json((view, f, ex.exact),
                                   lambda: build(ctx(request).ws, ex, f), request)


@router.get("/map/basemap", summary="The basemap from the geography pack: force and local "
            "authority outlines, LSOA boundaries and place labels (no counts)")
def map_basemap(request: Request) -> JSONBytes:
    return ctx(request).cache.json(("basemap",),
                                   lambda: views.basemap(ctx(request).ws), request)


@router.get("/map/hotspots", summary="Gi* hot and cold spots, or emerging hot-spot categories")
def map_hotspots(request: Request, f: q.Filters = Depends(filters),
                 method: Literal["gi_star", "emerging"] = Query("gi_star")) -> JSONBytes:
    record_access(request, "crimes.hotspots", method=method, **f.as_dict())
    ex = exit_for(request)
    return ctx(request).cache.json(("hotspots", f, method, ex.exact),
                                   lambda: hotspots(ctx(request).ws, f, method, ex), request)


@router.get("/map/points", summary="Record-level crimes (partners: their own agency only)")
def map_points(request: Request, f: q.Filters = Depends(filters)) -> JSONBytes:
    ex = exit_for(request)
    resp = ctx(request).cache.json(("points", f, ex.records_agency),
                                   lambda: views.points_layer(ctx(request).ws, ex, f), request)
    record_access(request, "crimes.records", scope=ex.scope, agency=ex.user.agency
                  if ex.scope == "own_agency" else None, rows=int(resp.headers.get("x-rows", 0)),
                  **f.as_dict())
    return resp


# --------------------------------------------------------------------------- data hub
@router.get("/data-hub/sources", summary="Imports and loaded source files")
def hub_sources(request: Request) -> dict[str, Any]:
    ws, ex = ctx(request).ws, exit_for(request)
    files = q.sources_summary(ws)
    for r in files:
        for k in ("rows_read", "rows_loaded", "rows_rejected"):
            r[k] = ex.count(r[k])
    record_access(request, "datahub.sources")
    return {"sources": files, "imports": q.imports(ws) if ex.exact else []}


@router.get("/data-hub/coverage", summary="Which source serves each force and month (the "
            "canonical crime view), what each source holds, and where they disagree")
def hub_coverage(request: Request) -> dict[str, Any]:
    ws, ex = ctx(request).ws, exit_for(request)
    rows = q.coverage(ws)
    for r in rows:
        for k in ("police_uk_rows", "police_rms_rows", "police_uk_sv", "police_rms_sv",
                  "police_rms_sv_ho"):
            r[k] = ex.count(r[k])
    record_access(request, "datahub.coverage")
    return {"coverage": rows}


@router.get("/data-hub/agreements", summary="Data-sharing agreements (when the data hub has them)")
def hub_agreements(request: Request) -> dict[str, Any]:
    ws = ctx(request).ws
    table = optional.first_table(ws, optional.AGREEMENT_TABLES)
    record_access(request, "datahub.agreements", table=table)
    return {"available": table is not None, "table": table,
            "agreements": q.any_table(ws, table) if table else []}


@router.get("/data-hub/linkage", summary="Record linkage quality (aggregates only)")
def hub_linkage(request: Request) -> dict[str, Any]:
    from vru.web.linkage_view import linkage_quality

    data = linkage_quality(ctx(request).ws, exit_for(request))
    record_access(request, "datahub.linkage")
    return data


@router.get("/data-hub/rejects", summary="Rejected rows: reasons and a sample as read")
def hub_rejects(request: Request, limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
    ws = ctx(request).ws
    sample = q.rejects_sample(ws, limit)
    record_access(request, "datahub.rejects", rows=len(sample))
    return {"summary": q.rejects_summary(ws), "sample": sample}


# --------------------------------------------------------------------------- profiles
class ProfileRequest(BaseModel):
    area: str | None = Field(None, max_length=200, description="Local authority; omit for all.")
    period: str | None = Field(None, max_length=40, description="e.g. 2024-25 or 2023-05..2024-04")
    formats: list[Literal["html", "pdf", "docx"]] = Field(default_factory=lambda: ["html"],
                                                          min_length=1, max_length=3)
    exact: bool = Field(False, description="Exact counts (privileged users only, on request); "
                                           "the default is disclosure-controlled.")


@router.get("/profiles", summary="Generated profiles this user may download")
def profiles_list(request: Request) -> dict[str, Any]:
    ex = exit_for(request)
    return {"available": optional.profiles_available(), "formats": list(REPORT_FORMATS),
            "profiles": profiles_store.listing(ctx(request).ws, ex.exact)}


@router.post("/profiles", summary="Generate a problem profile")
def profiles_make(request: Request, body: ProfileRequest = Body(...)) -> dict[str, Any]:
    ex = exit_for(request)
    if not optional.profiles_available():
        raise HTTPException(501, "profiles are not available in this build")
    exact = body.exact and ex.exact
    try:
        made = profiles_store.generate(ctx(request).ws, body.area, body.period, exact,
                                       list(body.formats))
    except (ValueError, KeyError, LookupError) as exc:
        raise HTTPException(422, f"cannot build that profile: {exc}") from exc
    record_access(request, "profiles.generate", area=body.area, period=body.period, exact=exact,
                  files=[m["name"] for m in made])
    return {"profiles": made}


@router.get("/profiles/{name}", summary="Download a generated profile")
def profiles_get(request: Request, name: str) -> FileResponse:
    ex = exit_for(request)
    path = profiles_store.resolve(ctx(request).ws, name, ex.exact)
    if path is None:
        raise HTTPException(404, "no such profile")
    record_access(request, "profiles.download", name=name)
    return FileResponse(path, media_type=profiles_store.MEDIA[path.suffix], filename=path.name)


# --------------------------------------------------------------------------- patrol
@router.get("/patrol-plans", summary="Patrol plans made by `vru hotspots plan`")
def patrol_plans(request: Request) -> dict[str, Any]:
    ws = ctx(request).ws
    found = patrol_view.plans(ws)
    record_access(request, "patrol.plans", plans=len(found))
    return {"available": patrol_view.available(ws), "plans": found}


@router.get("/patrol-plans/{run_id}", summary="One patrol plan's spots as GeoJSON")
def patrol_plan(request: Request, run_id: int) -> dict[str, Any]:
    fc = patrol_view.plan_geojson(ctx(request).ws, run_id)
    if fc is None:
        raise HTTPException(404, "no such patrol plan (or its GeoJSON output is gone)")
    record_access(request, "patrol.plan", run_id=run_id, spots=len(fc.get("features", [])))
    return fc


# --------------------------------------------------------------------------- admin
class NewUser(BaseModel):
    username: str = Field(..., min_length=2, max_length=63)
    password: str = Field(..., min_length=users_mod.MIN_PASSWORD_LENGTH, max_length=500)
    role: Literal[tuple(ROLES)]  # type: ignore[valid-type]
    agency: str | None = Field(None, max_length=200)
    full_name: str | None = Field(None, max_length=200)


class ActiveFlag(BaseModel):
    active: bool


@router.get("/admin/users", summary="All user accounts")
def admin_users(request: Request) -> dict[str, Any]:
    return {"users": [u.as_dict() for u in users_mod.list_users(ctx(request).ws)]}


@router.post("/admin/users", summary="Create a user account", status_code=201)
def admin_users_add(request: Request, body: NewUser = Body(...)) -> dict[str, Any]:
    try:
        u = users_mod.add_user(ctx(request).ws, body.username, body.password, body.role,
                               agency=body.agency, full_name=body.full_name)
    except users_mod.UserError as exc:
        raise HTTPException(422, str(exc)) from exc
    record_event(request, Entry("user_admin", request.state.session.user.username,
                                "users.add", "admin", {"username": u.username, "role": u.role}))
    return {"user": u.as_dict()}


@router.post("/admin/users/{username}/active", summary="Enable or disable a user")
def admin_users_active(request: Request, username: str,
                       body: ActiveFlag = Body(...)) -> dict[str, Any]:
    c = ctx(request)
    try:
        u = users_mod.set_active(c.ws, username, body.active)
    except users_mod.LastAdminError as exc:
        raise HTTPException(409, str(exc)) from exc
    except users_mod.UserError as exc:
        raise HTTPException(404, str(exc)) from exc
    c.sessions.forget_all()
    record_event(request, Entry("user_admin", request.state.session.user.username,
                                "users.enable" if body.active else "users.disable", "admin",
                                {"username": u.username}))
    return {"user": u.as_dict()}


@router.get("/audit", summary="Latest audit records (newest first)")
def audit_tail(request: Request, limit: int = Query(100, ge=1, le=5000),
               actor: str | None = Query(None, max_length=100),
               kind: str | None = Query(None, max_length=40)) -> dict[str, Any]:
    ctx(request).audit_writer.drain()
    return {"records": audit_mod.tail(ctx(request).audit.dir, limit, actor, kind)}


@router.get("/audit/verify", summary="Verify the audit log's hash chain and head anchor")
def audit_verify(request: Request) -> dict[str, Any]:
    ctx(request).audit_writer.drain()
    r = audit_mod.verify(ctx(request).audit.dir)
    return {"ok": r.ok, "records": r.records, "head_seq": r.head_seq, "head_hash": r.head_hash,
            "problems": r.problems}
