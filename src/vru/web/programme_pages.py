"""Programme and funding pages, and the caseworkers' referral forms.

- ``/programme``, ``/programme/interventions/{code}``, ``/funding``: aggregates with disclosure
  control (permission ``aggregates``).
- ``/referrals...``: person-level records (permission ``records``). Admins and analysts see all;
  a provider's staff (role ``partner``, agency = the provider's name) see and edit only their
  own provider's referrals, everyone else's are "not found". Every view of a referral is
  audited (``record_access``), every change recorded (``record_event``). Forms carry the CSRF
  token (checked for every POST in ``security.authorize``) and the referral's ``version``: an
  edit based on an old version is refused (409) with who changed it and when, and nothing is
  saved.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from vru.privacy.access import Actor, Resource, why_not
from vru.privacy.audit import Entry
from vru.privacy.pseudonymise import PseudonymKeyError
from vru.programme import workflow
from vru.programme.model import ETHNICITIES, SEXES, ProgrammeError
from vru.programme.people import PersonIds
from vru.web import programme_view as pv
from vru.web.exit import Exit
from vru.web.security import record_access, record_event

router = APIRouter(include_in_schema=False)


def _ctx(request: Request):
    return request.app.state.ctx


def _exit(request: Request) -> Exit:
    return Exit(request.state.session.user, _ctx(request).ws.settings.disclosure)


def _render(request: Request, template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    from vru.web.pages import render

    return render(request, template, status_code, **data)


def _years(request: Request) -> list[str]:
    ws = _ctx(request).ws
    return _cached(request, ("years",), lambda: pv.years(ws))


def _fy(request: Request, fy: str | None) -> str | None:
    if fy:
        try:
            return pv.choose_fy(_ctx(request).ws, fy)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
    ys = _years(request)
    return ys[0] if ys else None


def _cached(request: Request, key: tuple, compute):
    ws = _ctx(request).ws
    return _ctx(request).cache.value(("programme", pv.data_version(ws), *key), compute)


@router.get("/programme", response_class=HTMLResponse)
def programme_page(request: Request, fy: str | None = None) -> HTMLResponse:
    ex, ws = _exit(request), _ctx(request).ws
    year = _fy(request, fy)
    data = _cached(request, ("overview", year, ex.exact), lambda: pv.overview(ws, ex, year))
    record_access(request, "programme.aggregate", view="overview", fy=year, exact=ex.exact)
    return _render(request, "programme.html", data=data, years=_years(request),
                   access=ex.describe())


@router.get("/programme/interventions/{code}", response_class=HTMLResponse)
def intervention_page(request: Request, code: str, fy: str | None = None) -> HTMLResponse:
    ex, ws = _exit(request), _ctx(request).ws
    year = _fy(request, fy) if fy else None
    data = _cached(request, ("intervention", code, year, ex.exact),
                   lambda: pv.intervention(ws, ex, code, year))
    if data is None:
        raise HTTPException(404, "no such intervention")
    record_access(request, "programme.aggregate", view="intervention", code=code, fy=year,
                  exact=ex.exact)
    return _render(request, "intervention.html", iv=data, access=ex.describe())


@router.get("/funding", response_class=HTMLResponse)
def funding_page(request: Request, fy: str | None = None) -> HTMLResponse:
    ws = _ctx(request).ws
    year = _fy(request, fy)
    data = _cached(request, ("funding", year), lambda: pv.funding(ws, year))
    record_access(request, "funding.ledger", fy=year)
    return _render(request, "funding.html", data=data, years=_years(request))


def warm(ctx) -> None:
    """Compute the programme and funding pages' first answers (called by the server's warm-up;
    the keys are those the pages use, so the first visitor is served from the cache)."""
    from vru.privacy.roles import Role
    from vru.privacy.users import User

    ws, cache = ctx.ws, ctx.cache
    years = pv.years(ws)
    if not years:
        return
    version = pv.data_version(ws)
    cache.value(("programme", version, "years"), lambda: years)
    year = years[0]
    cache.value(("programme", version, "funding", year), lambda: pv.funding(ws, year))
    codes = [r[0] for r in ws.sql("SELECT code FROM prog_interventions ORDER BY code")]
    for role in (Role.ANALYST, Role.VIEWER):
        ex = Exit(User(0, "(warm-up)", role, None, None, True), ws.settings.disclosure)
        cache.value(("programme", version, "overview", year, ex.exact),
                    lambda ex=ex: pv.overview(ws, ex, year))
        for code in codes:
            for y in (year, None):
                cache.value(("programme", version, "intervention", code, y, ex.exact),
                            lambda ex=ex, code=code, y=y: pv.intervention(ws, ex, code, y))


# ------------------------------------------------------------------------- referrals (records)
def _provider(request: Request) -> str | None:
    """None = all referrals; otherwise only this provider's (a partner's own agency)."""
    return _exit(request).records_agency


def _interventions(request: Request) -> list[dict[str, Any]]:
    provider = _provider(request)
    sql = ("SELECT i.intervention_id, i.code, i.name, p.name FROM prog_interventions i JOIN "
           "prog_providers p USING (provider_id)")
    params: list = []
    if provider is not None:
        sql += " WHERE p.name = ?"
        params.append(provider)
    return [{"id": r[0], "code": r[1], "name": r[2], "provider": r[3]}
            for r in _ctx(request).ws.sql(sql + " ORDER BY i.code", params)]


PAGE_SIZE = 50


@router.get("/referrals", response_class=HTMLResponse)
def referrals_page(request: Request, status: str | None = None, msg: str | None = None,
                   page: int = 1):
    ws = _ctx(request).ws
    if status and status not in workflow.STATUSES:
        raise HTTPException(422, f"unknown status {status!r}")
    page = max(1, min(page, 100_000))
    rows = workflow.list_referrals(ws, provider=_provider(request), status=status or None,
                                   limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    record_access(request, "programme.referrals", rows=len(rows), status=status, page=page,
                  provider=_provider(request))
    return _render(request, "referrals.html", referrals=rows, statuses=workflow.STATUSES,
                   status=status or "", msg=msg, page=page, more=more)


@router.get("/referrals/new", response_class=HTMLResponse)
def referral_new_page(request: Request) -> HTMLResponse:
    return _render(request, "referral_new.html", interventions=_interventions(request),
                   sexes=SEXES, ethnicities=ETHNICITIES, error=None, form={},
                   today=date.today().isoformat())


@router.post("/referrals")
def referral_create(request: Request, intervention_id: int = Form(...),
                    referring_agency: str = Form("", max_length=100),
                    referral_date: str = Form(""), reasons: str = Form("", max_length=500),
                    nhs_number: str = Form("", max_length=20), pnc_id: str = Form("", max_length=20),
                    upn: str = Form("", max_length=20), forename: str = Form("", max_length=100),
                    surname: str = Form("", max_length=100),
                    date_of_birth: str = Form("", max_length=20),
                    postcode: str = Form("", max_length=10), age: str = Form(""),
                    sex: str = Form(""), ethnicity: str = Form(""),
                    area: str = Form("", max_length=100)):
    user = request.state.session.user
    # Only the non-identifying fields go back into the form on an error.
    keep = {"intervention_id": intervention_id, "referring_agency": referring_agency,
            "referral_date": referral_date, "reasons": reasons, "age": age, "sex": sex,
            "ethnicity": ethnicity, "area": area}
    try:
        try:
            when = date.fromisoformat(referral_date)
        except ValueError:
            raise ProgrammeError("referral date: not a date (YYYY-MM-DD)") from None
        if age and not age.strip().isdigit():
            raise ProgrammeError("age must be a whole number")
        new = workflow.NewReferral(
            intervention_id, referring_agency, when, reasons.split(";"),
            PersonIds(nhs_number or None, pnc_id or None, upn or None, forename or None,
                      surname or None, date_of_birth or None, postcode or None),
            int(age) if age.strip() else None, sex or None, ethnicity or None, area or None)
        prov = _ctx(request).ws.scalar(
            "SELECT p.name FROM prog_interventions i JOIN prog_providers p USING (provider_id) "
            "WHERE i.intervention_id = ?", [intervention_id])
        if prov is not None:
            _gate(request, workflow.REFERRAL_EDIT, prov, f"intervention {intervention_id}")
        rid = workflow.create_referral(_ctx(request).ws, new, user.username,
                                       provider=_provider(request))
    except (ProgrammeError, PseudonymKeyError) as exc:
        return _render(request, "referral_new.html", 422, interventions=_interventions(request),
                       sexes=SEXES, ethnicities=ETHNICITIES, error=str(exc), form=keep,
                       today=date.today().isoformat())
    pv.bump(_ctx(request).ws)
    record_event(request, Entry("programme", user.username, "referral.create", user.role.value,
                                {"referral_id": rid, "intervention_id": intervention_id}))
    return RedirectResponse(f"/referrals/{rid}?msg=Referral+received", status_code=303)


def _gate(request: Request, action, provider: str, what: str) -> None:
    """The one access gate on a referral's rows (their agency is the provider): refused as
    "not found", so another provider's referral does not even show that it exists."""
    reason = why_not(action, Resource("referral", what, agency=provider),
                     Actor.of(request.state.session.user))
    if reason is not None:
        raise HTTPException(404, f"no such {what.split(' ')[0]} for you ({reason})")


def _detail(request: Request, referral_id: int, status_code: int = 200, error: str | None = None,
            msg: str | None = None) -> HTMLResponse:
    ws = _ctx(request).ws
    try:
        ref = workflow.get_referral(ws, referral_id, provider=_provider(request))
    except workflow.NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    _gate(request, workflow.REFERRAL_VIEW, ref["provider"], f"referral {referral_id}")
    record_access(request, "programme.referral", referral_id=referral_id)
    return _render(request, "referral.html", status_code, ref=ref,
                   history=workflow.history(ws, referral_id),
                   sessions=workflow.attendance(ws, referral_id),
                   moves=workflow.TRANSITIONS[ref["status"]],
                   reason_required=workflow.REASON_REQUIRED, error=error, msg=msg,
                   today=date.today().isoformat())


@router.get("/referrals/{referral_id}", response_class=HTMLResponse)
def referral_page(request: Request, referral_id: int, msg: str | None = None) -> HTMLResponse:
    return _detail(request, referral_id, msg=msg)


def _change(request: Request, referral_id: int, action: str, do) -> Any:
    user = request.state.session.user
    try:
        ref = workflow.get_referral(_ctx(request).ws, referral_id, provider=_provider(request))
    except workflow.NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    _gate(request, workflow.REFERRAL_EDIT, ref["provider"], f"referral {referral_id}")
    try:
        version = do()
    except workflow.NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except workflow.StaleEdit as exc:
        record_event(request, Entry("programme", user.username, f"referral.{action}.stale",
                                    user.role.value, {"referral_id": referral_id}))
        return _detail(request, referral_id, 409, error=str(exc))
    except ProgrammeError as exc:
        return _detail(request, referral_id, 422, error=str(exc))
    pv.bump(_ctx(request).ws)
    record_event(request, Entry("programme", user.username, f"referral.{action}",
                                user.role.value, {"referral_id": referral_id,
                                                  "version": version}))
    return RedirectResponse(f"/referrals/{referral_id}?msg=Saved+(version+{version})",
                            status_code=303)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ProgrammeError(f"not a date (YYYY-MM-DD): {text!r}") from None


@router.post("/referrals/{referral_id}/move")
def referral_move(request: Request, referral_id: int, to_status: str = Form(...),
                  event_date: str = Form(""), reason: str = Form("", max_length=300),
                  version: int = Form(...)):
    user = request.state.session.user
    return _change(request, referral_id, "move", lambda: workflow.move(
        _ctx(request).ws, referral_id, to_status, _day(event_date), user.username, version,
        reason, provider=_provider(request)))


@router.post("/referrals/{referral_id}/attendance")
def referral_attendance(request: Request, referral_id: int, session_date: str = Form(""),
                        attended: str = Form("Y"), minutes: str = Form(""),
                        version: int = Form(...)):
    user = request.state.session.user

    def do() -> int:
        if minutes and not minutes.strip().isdigit():
            raise ProgrammeError("minutes must be a whole number")
        return workflow.record_attendance(
            _ctx(request).ws, referral_id, _day(session_date), attended == "Y", user.username,
            version, int(minutes) if minutes.strip() else None, provider=_provider(request))
    return _change(request, referral_id, "attendance", do)
