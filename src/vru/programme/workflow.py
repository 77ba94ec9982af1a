"""Referrals and their status workflow, attendance, with optimistic concurrency.

    received -> assessed -> accepted | declined
    accepted -> engaged | disengaged          (did not start)
    engaged  -> completed | disengaged

Every move has a date (not before the previous one, not in the future) and, for ``declined``
and ``disengaged``, a reason; anything else is refused with the allowed moves named. Each move
is kept in ``prog_referral_events``. An edit names the ``version`` of the referral it was based
on; if someone else saved the referral in between, the edit is refused (``StaleEdit``) and
nothing is lost. A provider's staff act only on referrals to their own provider's
interventions (``provider`` scope): others' referrals are "not found", so their existence does
not leak either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from vru.privacy.access import Permission, register_action
from vru.privacy.pseudonymise import Pseudonymiser, load_key
from vru.programme.model import ETHNICITIES, SEXES, ProgrammeError
from vru.programme.people import PersonIds, check_key, pseudonyms, store_form_features
from vru.workspace import Workspace

# The programme's actions in the one access gate (vru.privacy.access): person-level, so a
# provider's staff (role partner) may act only on rows whose agency is their provider.
REFERRAL_VIEW = register_action("programme.referral.view", Permission.RECORDS, person_level=True,
                                description="see a referral, its history and sessions")
REFERRAL_EDIT = register_action("programme.referral.edit", Permission.RECORDS, person_level=True,
                                description="create a referral, move it, record a session")

STATUSES = ("received", "assessed", "accepted", "declined", "engaged", "completed", "disengaged")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("assessed",),
    "assessed": ("accepted", "declined"),
    "accepted": ("engaged", "disengaged"),
    "engaged": ("completed", "disengaged"),
    "declined": (),
    "completed": (),
    "disengaged": (),
}
REASON_REQUIRED = ("declined", "disengaged")
FINAL = ("declined", "completed", "disengaged")


class IllegalTransition(ProgrammeError):
    """A status move the workflow does not allow."""


class StaleEdit(ProgrammeError):
    """The referral changed since the editor loaded it (optimistic concurrency)."""


class NotFound(ProgrammeError):
    """No such referral (or not one this user may see)."""


@dataclass
class NewReferral:
    intervention_id: int
    referring_agency: str
    referral_date: date
    reasons: list[str]
    ids: PersonIds = field(default_factory=PersonIds)
    age: int | None = None
    sex: str | None = None
    ethnicity: str | None = None
    area: str | None = None
    lsoa_code: str | None = None
    provider_ref: str | None = None


def _scope_clause(provider: str | None) -> tuple[str, list]:
    if provider is None:
        return "", []
    return (" AND r.intervention_id IN (SELECT i.intervention_id FROM prog_interventions i "
            "JOIN prog_providers p USING (provider_id) WHERE p.name = ?)", [provider])


def create_referral(ws: Workspace, new: NewReferral, actor: str, provider: str | None = None,
                    key: bytes | None = None, today: date | None = None) -> int:
    """Store a new referral (status ``received``); identifiers are pseudonymised first."""
    today = today or date.today()
    problems = []
    reasons = [r.strip() for r in new.reasons if r and r.strip()]
    if not new.referring_agency or not new.referring_agency.strip():
        problems.append("referring agency is required")
    if not reasons:
        problems.append("at least one reason for referral is required")
    if new.referral_date > today:
        problems.append("referral date is in the future")
    if new.age is not None and not 0 <= new.age <= 120:
        problems.append("age must be between 0 and 120")
    if new.sex is not None and new.sex not in SEXES:
        problems.append(f"sex must be one of {', '.join(SEXES)}")
    if new.ethnicity is not None and new.ethnicity not in ETHNICITIES:
        problems.append(f"ethnicity must be one of {', '.join(ETHNICITIES)}")
    if problems:
        raise ProgrammeError("; ".join(problems))
    key = key if key is not None else load_key(ws.path)
    pseudo = Pseudonymiser(key)
    pids = pseudonyms(pseudo, new.ids)
    with ws.transaction() as con:
        check_key(con, pseudo)
        clause, params = _scope_clause(provider)
        ok = con.execute("SELECT 1 FROM prog_interventions r WHERE r.intervention_id = ?"
                         + clause, [new.intervention_id, *params]).fetchone()
        if not ok:
            raise NotFound("no such intervention" + (" for your provider" if provider else ""))
        rid = int(con.execute("SELECT nextval('prog_referral_seq')").fetchone()[0])
        now = datetime.now()
        con.execute(
            "INSERT INTO prog_referrals VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, NULL, ?, ?, "
            "?, ?, ?, NULL, NULL, 1, 'form', ?, ?, ?, ?, NULL, NULL, NULL)",
            [rid, new.provider_ref, new.intervention_id, pids[0][1], pids[0][0],
             new.referring_agency.strip(), new.referral_date, reasons, new.referral_date,
             new.age, new.sex, new.ethnicity, new.area, new.lsoa_code, now, actor, now, actor])
        con.executemany("INSERT INTO prog_referral_ids VALUES (?, ?, ?, NULL)",
                        [(rid, k, p) for k, p in pids])
        con.execute("INSERT INTO prog_referral_events VALUES (?, 1, NULL, 'received', ?, NULL, ?, "
                    "?, NULL)", [rid, new.referral_date, actor, now])
        store_form_features(con, key, pseudo, rid, new.ids, new.sex, new.lsoa_code,
                            new.referral_date, pids[0][1])
    return rid


_REF_COLS = ("referral_id", "provider_ref", "intervention_id", "intervention", "provider",
             "referring_agency", "referral_date", "reasons", "status", "status_date",
             "status_reason", "age", "sex", "ethnicity", "area", "engaged_date", "ended_date",
             "version", "source", "created_by", "updated_at", "updated_by", "pid_kind")


def _select(where: str = "") -> str:
    return ("SELECT r.referral_id, r.provider_ref, r.intervention_id, i.name, p.name, "
            "r.referring_agency, r.referral_date, r.reasons, r.status, r.status_date, "
            "r.status_reason, r.age, r.sex, r.ethnicity, r.area, r.engaged_date, r.ended_date, "
            "r.version, r.source, r.created_by, r.updated_at, r.updated_by, r.pid_kind "
            "FROM prog_referrals r JOIN prog_interventions i USING (intervention_id) "
            "JOIN prog_providers p ON p.provider_id = i.provider_id WHERE TRUE " + where)


def get_referral(ws_or_con, referral_id: int, provider: str | None = None) -> dict[str, Any]:
    con = ws_or_con.reader() if isinstance(ws_or_con, Workspace) else ws_or_con
    clause, params = _scope_clause(provider)
    row = con.execute(_select(" AND r.referral_id = ?" + clause), [referral_id, *params]).fetchone()
    if row is None:
        raise NotFound(f"no referral {referral_id}" + (" for your provider" if provider else ""))
    return dict(zip(_REF_COLS, row, strict=True))


def list_referrals(ws: Workspace, provider: str | None = None, status: str | None = None,
                   intervention_id: int | None = None, limit: int = 200,
                   offset: int = 0) -> list[dict[str, Any]]:
    clause, params = _scope_clause(provider)
    if status:
        clause += " AND r.status = ?"
        params.append(status)
    if intervention_id:
        clause += " AND r.intervention_id = ?"
        params.append(intervention_id)
    # The newest ids first. Ids grow with insertion and DuckDB skips row groups by their
    # min/max, so look in a window of the newest ids, widened until it holds the page (a plain
    # ORDER BY ... LIMIT sorts the whole table).
    con = ws.reader()
    lo_id, hi_id = con.execute("SELECT min(referral_id), max(referral_id) FROM "
                               "prog_referrals").fetchone()
    if hi_id is None:
        return []
    window = max(4 * (offset + limit), 256)
    while True:
        floor = hi_id - window
        ids = [r[0] for r in con.execute(
            "SELECT r.referral_id FROM prog_referrals r WHERE r.referral_id > ?" + clause
            + " ORDER BY r.referral_id DESC LIMIT ? OFFSET ?",
            [floor, *params, limit, offset]).fetchall()]
        if len(ids) == limit or floor < lo_id:
            break
        window *= 4
    if not ids:
        return []
    # The id range lets DuckDB skip row groups by their min/max (ids grow with insertion).
    rows = ws.reader().execute(
        _select(" AND r.referral_id BETWEEN ? AND ? AND list_contains(?, r.referral_id)")
        + " ORDER BY r.referral_id DESC", [min(ids), max(ids), ids]).fetchall()
    return [dict(zip(_REF_COLS, r, strict=True)) for r in rows]


def history(ws: Workspace, referral_id: int) -> list[dict[str, Any]]:
    rows = ws.reader().execute(
        "SELECT seq, from_status, to_status, event_date, reason, actor, recorded_at "
        "FROM prog_referral_events WHERE referral_id = ? ORDER BY seq", [referral_id]).fetchall()
    keys = ("seq", "from_status", "to_status", "event_date", "reason", "actor", "recorded_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def _lock(con, referral_id: int, expected_version: int, provider: str | None) -> dict[str, Any]:
    ref = get_referral(con, referral_id, provider)
    if ref["version"] != expected_version:
        who = ref["updated_by"] or "someone else"
        raise StaleEdit(
            f"referral {referral_id} was changed by {who} at "
            f"{ref['updated_at']:%Y-%m-%d %H:%M:%S} after you opened it (you had version "
            f"{expected_version}, it is now version {ref['version']}, status "
            f"'{ref['status']}'). Nothing was saved: reload it and make your change again.")
    return ref


def move(ws: Workspace, referral_id: int, to_status: str, event_date: date, actor: str,
         expected_version: int, reason: str | None = None, provider: str | None = None,
         today: date | None = None) -> int:
    """Move a referral to ``to_status``; returns the new version."""
    today = today or date.today()
    reason = (reason or "").strip() or None
    if to_status not in STATUSES:
        raise IllegalTransition(f"unknown status {to_status!r}; statuses: {', '.join(STATUSES)}")
    with ws.transaction() as con:
        ref = _lock(con, referral_id, expected_version, provider)
        allowed = TRANSITIONS[ref["status"]]
        if to_status not in allowed:
            raise IllegalTransition(
                f"referral {referral_id} is '{ref['status']}': it cannot move to '{to_status}' "
                + (f"(allowed: {', '.join(allowed)})" if allowed else "(it is closed)"))
        if to_status in REASON_REQUIRED and not reason:
            raise ProgrammeError(f"a reason is required to mark a referral '{to_status}'")
        if event_date < ref["status_date"]:
            raise ProgrammeError(f"date {event_date} is before the referral's last status date "
                                 f"{ref['status_date']}")
        if event_date > today:
            raise ProgrammeError(f"date {event_date} is in the future")
        engaged = event_date if to_status == "engaged" else ref["engaged_date"]
        ended = event_date if to_status in FINAL else None
        seq = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM prog_referral_events "
                          "WHERE referral_id = ?", [referral_id]).fetchone()[0]
        now = datetime.now()
        con.execute("UPDATE prog_referrals SET status = ?, status_date = ?, status_reason = ?, "
                    "engaged_date = ?, ended_date = ?, version = version + 1, updated_at = ?, "
                    "updated_by = ? WHERE referral_id = ? AND version = ?",
                    [to_status, event_date, reason, engaged, ended, now, actor, referral_id,
                     expected_version])
        con.execute("INSERT INTO prog_referral_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                    [referral_id, seq, ref["status"], to_status, event_date, reason, actor, now])
    return expected_version + 1


def record_attendance(ws: Workspace, referral_id: int, session_date: date, attended: bool,
                      actor: str, expected_version: int, minutes: int | None = None,
                      provider: str | None = None, today: date | None = None) -> int:
    """Record one one-to-one session for an engaged referral; returns the new version."""
    today = today or date.today()
    if minutes is not None and not 0 <= minutes <= 24 * 60:
        raise ProgrammeError("minutes must be between 0 and 1440")
    if session_date > today:
        raise ProgrammeError(f"session date {session_date} is in the future")
    with ws.transaction() as con:
        ref = _lock(con, referral_id, expected_version, provider)
        if ref["engaged_date"] is None:
            raise ProgrammeError(f"referral {referral_id} is '{ref['status']}': attendance can "
                                 "be recorded only once it is engaged")
        if session_date < ref["engaged_date"] or (
                ref["ended_date"] is not None and session_date > ref["ended_date"]):
            raise ProgrammeError(f"session date {session_date} is outside the engagement "
                                 f"({ref['engaged_date']} to {ref['ended_date'] or 'now'})")
        con.execute("INSERT INTO prog_attendance VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL)",
                    [referral_id, session_date, attended, minutes, actor])
        con.execute("UPDATE prog_referrals SET version = version + 1, updated_at = ?, "
                    "updated_by = ? WHERE referral_id = ?", [datetime.now(), actor, referral_id])
    return expected_version + 1


def attendance(ws: Workspace, referral_id: int) -> list[dict[str, Any]]:
    rows = ws.reader().execute(
        "SELECT session_date, attended, minutes, recorded_by FROM prog_attendance "
        "WHERE referral_id = ? ORDER BY session_date", [referral_id]).fetchall()
    return [dict(zip(("session_date", "attended", "minutes", "recorded_by"), r, strict=True))
            for r in rows]
