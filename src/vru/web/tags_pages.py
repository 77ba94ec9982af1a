"""GPS tagging pages and endpoints (docs/guide/tags.md): the alert list, matches for a crime,
a person's matches and episodes, a trail map.

Two gates: the route table (permission ``records``: admin, analyst, partner) and, inside every
handler, ``vru.privacy.em_access.decide`` (an em_gps agreement covering electronic monitoring,
and the user's agency is police or probation). Anyone else gets 403 and sees nothing. Every view
needs a reason (``?reason=``): without one the page asks for it and shows no data; with one the
view is audited with it (``record_access``). The alert form also carries the CSRF token.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from vru.analysis.tags import store
from vru.clock import to_local
from vru.geo.bng import to_lonlat
from vru.privacy import em_access
from vru.web.security import record_access, record_event

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/tags")


def _ws(request: Request):
    return request.app.state.ctx.ws


def em_allowed(request: Request, action: str = "tags.matches") -> em_access.Decision:
    user = request.state.session.user
    return em_access.decide(_ws(request).reader(), user.role, user.agency, action)


def _gate(request: Request, action: str) -> str | None:
    """403 unless allowed; returns the reason given (None: ask for one)."""
    d = em_allowed(request, action)
    if not d.allowed:
        raise HTTPException(403, d.reason)
    reason = (request.query_params.get("reason") or "").strip()
    return reason or None


def _render(request: Request, template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    from vru.web.pages import render

    return render(request, template, status_code, **data)


def _ask(request: Request, what: str) -> HTMLResponse:
    return _render(request, "tags_reason.html", what=what, action=request.url.path,
                   params=[(k, v) for k, v in request.query_params.items() if k != "reason"])


def local(ts: datetime | None) -> str:
    return "" if ts is None else to_local(ts).strftime("%Y-%m-%d %H:%M:%S %Z")


def _lonlat(e: float, n: float) -> list[float]:
    lon, lat = to_lonlat(e, n)
    return [round(float(lat), 6), round(float(lon), 6)]


# --------------------------------------------------------------------------- pages
@router.get("/tags", response_class=HTMLResponse)
def alerts_page(request: Request, state: str | None = None) -> HTMLResponse:
    reason = _gate(request, "tags.alerts")
    if reason is None:
        return _ask(request, "the alert list")
    rows = store.alerts(_ws(request), state or None)
    record_access(request, "tags.alerts", reason=reason, state=state, rows=len(rows))
    return _render(request, "tags_alerts.html", alerts=rows, state=state, reason=reason,
                   local=local, states=store.ALERT_STATES, transitions=store.TRANSITIONS)


@router.post("/tags/alerts/{alert_id}")
def alert_update(request: Request, alert_id: int, to: str = Form(""), note: str = Form(""),
                 reason: str = Form("")) -> RedirectResponse:
    # Parameters are optional in the signature so that the access gate answers first (FastAPI
    # would otherwise answer 422 to a malformed request before anyone is checked).
    d = em_allowed(request, "tags.alert_update")
    if not d.allowed:
        raise HTTPException(403, d.reason)
    if not reason.strip():
        raise HTTPException(422, "give a reason")
    user = request.state.session.user
    try:
        done = store.update_alert(_ws(request), alert_id, to, user.username, note)
    except store.TagError as exc:
        raise HTTPException(422, str(exc)) from exc
    from vru.privacy.audit import Entry

    record_event(request, Entry("access", user.username, "tags.alert_update", user.role.value,
                                {**done, "note": note, "reason": reason}))
    return RedirectResponse(f"/tags?reason={reason}", status_code=303)


@router.get("/tags/crime", response_class=HTMLResponse)
def crime_page(request: Request, ref: str = "") -> HTMLResponse:
    reason = _gate(request, "tags.matches")
    ref = _need(ref, "ref")
    if reason is None:
        return _ask(request, f"tag matches for crime {ref}")
    ws = _ws(request)
    matches = store.matches(ws, crime_id=ref)
    unknown = store.unknowns(ws, crime_id=ref)
    ev = store.evidence(ws, ref)
    record_access(request, "tags.matches", reason=reason, crime=ref, rows=len(matches),
                  unknown=len(unknown))
    return _render(request, "tags_crime.html", ref=ref, matches=matches, unknown=unknown,
                   evidence=ev, reason=reason, local=local)


@router.get("/tags/people/{person_pid}", response_class=HTMLResponse)
def person_page(request: Request, person_pid: str) -> HTMLResponse:
    reason = _gate(request, "tags.breaches")
    if reason is None:
        return _ask(request, "this person's matches and episodes")
    ws = _ws(request)
    matches = store.matches(ws, person_pid=person_pid)
    eps = store.episodes(ws, person_pid=person_pid)
    record_access(request, "tags.breaches", reason=reason, person=person_pid,
                  matches=len(matches), episodes=len(eps))
    return _render(request, "tags_person.html", pid=person_pid, matches=matches, episodes=eps,
                   reason=reason, local=local)


@router.get("/tags/people/{person_pid}/trail", response_class=HTMLResponse)
def trail_page(request: Request, person_pid: str, start: str = "", end: str = "") -> HTMLResponse:
    reason = _gate(request, "tags.trail")
    if reason is None:
        return _ask(request, "this person's trail")
    a, b = _period(start, end)
    record_access(request, "tags.trail", reason=reason, person=person_pid, start=start, end=end)
    return _render(request, "tags_trail.html", pid=person_pid, start=a, end=b, reason=reason)


def _need(value: str, name: str) -> str:
    if not value.strip():
        raise HTTPException(422, f"{name} is required")
    return value.strip()


def _period(start: str, end: str) -> tuple[datetime, datetime]:
    try:
        a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
    except ValueError as exc:
        raise HTTPException(422, "start and end are UK local date-times, YYYY-MM-DDTHH:MM") from exc
    if not a < b <= a + timedelta(days=7):
        raise HTTPException(422, "a trail is shown for up to 7 days (start before end)")
    return a, b


# --------------------------------------------------------------------------- JSON
@api.get("/trail/{person_pid}", summary="A tagged person's fixes and zones (GeoJSON)")
def trail_json(request: Request, person_pid: str, start: str = "", end: str = "",
               reason: str = "") -> JSONResponse:
    d = em_allowed(request, "tags.trail")
    if not d.allowed:
        raise HTTPException(403, d.reason)
    if not reason.strip():
        raise HTTPException(422, "give a reason (?reason=): every view is audited")
    a, b = _period(start, end)
    ws = _ws(request)
    fixes = store.trail(ws, person_pid, a, b)
    feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [f["longitude"],
                                                                               f["latitude"]]},
              "properties": {"time": f["local_at"].isoformat(sep=" "), "accuracy_m": f["accuracy_m"]}}
             for f in fixes]
    line = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [
        [f["longitude"], f["latitude"]] for f in fixes]}, "properties": {"kind": "trail"}}
    zones = store.zones_geojson(ws, person_pid)
    record_access(request, "tags.trail", reason=reason, person=person_pid, start=start, end=end,
                  fixes=len(fixes))
    return JSONResponse({"type": "FeatureCollection", "person_id": person_pid,
                         "start": a.isoformat(), "end": b.isoformat(),
                         "features": ([line] if len(fixes) > 1 else []) + feats + zones})


@api.get("/crime", summary="Tag matches for one crime, closest first, with evidence")
def crime_json(request: Request, ref: str = "", reason: str = "") -> JSONResponse:
    d = em_allowed(request, "tags.matches")
    if not d.allowed:
        raise HTTPException(403, d.reason)
    ref = _need(ref, "ref")
    if not reason.strip():
        raise HTTPException(422, "give a reason (?reason=): every view is audited")
    ws = _ws(request)
    matches = store.matches(ws, crime_id=ref)
    ev = store.evidence(ws, ref)
    record_access(request, "tags.matches", reason=reason, crime=ref, rows=len(matches))
    out = []
    for m in matches:
        out.append({
            "person_id": m["person_pid"], "closest_m": round(m["closest_m"], 1),
            "accuracy_m": m["accuracy_m"], "minutes_within": round(m["minutes_within"], 2),
            "first_seen": to_local(m["first_seen_utc"]).isoformat(timespec="seconds"),
            "last_seen": to_local(m["last_seen_utc"]).isoformat(timespec="seconds"),
            "scene": _lonlat(m["crime_easting"], m["crime_northing"]),
            "evidence": [{"fix0": to_local(e["fix0_utc"]).isoformat(timespec="seconds"),
                          "fix0_at": _lonlat(e["fix0_e"], e["fix0_n"]),
                          "fix1": to_local(e["fix1_utc"]).isoformat(timespec="seconds"),
                          "fix1_at": _lonlat(e["fix1_e"], e["fix1_n"]),
                          "interpolated": e["interpolated"],
                          "closest": to_local(e["closest_utc"]).isoformat(timespec="seconds"),
                          "closest_at": _lonlat(e["closest_e"], e["closest_n"]),
                          "closest_m": round(e["closest_m"], 1)}
                         for e in ev if e["person_pid"] == m["person_pid"]],
        })
    return JSONResponse({"crime": ref, "matches": out,
                         "unknown": [{"person_id": u["person_pid"],
                                      "silence_from": to_local(u["gap_from_utc"]).isoformat(timespec="seconds"),
                                      "silence_to": to_local(u["gap_to_utc"]).isoformat(timespec="seconds"),
                                      "nearest_fix_m": round(u["nearest_fix_m"], 0)}
                                     for u in store.unknowns(ws, crime_id=ref)]})
