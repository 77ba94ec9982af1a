"""Referrals: pseudonymised at the door, the status workflow (illegal moves refused), attendance,
optimistic concurrency, provider scope; reach counts distinct people, not referrals."""

from __future__ import annotations

from datetime import date

import pytest

from vru.programme import stats, workflow
from vru.programme.model import ProgrammeError, intervention_by_code
from vru.programme.people import PersonIds
from vru.programme.workflow import (
    IllegalTransition,
    NewReferral,
    NotFound,
    StaleEdit,
    create_referral,
    move,
)

TODAY = date(2025, 3, 1)


def _new(ws, code="MENT", **ids):
    kw = ids or {"pnc_id": "24/123456A"}
    return NewReferral(intervention_by_code(ws, code), "Youth Justice Service",
                       date(2024, 5, 1), ["carrying a knife"], PersonIds(**kw), age=15, sex="M",
                       ethnicity="BLACK", area="Northside")


def _walk(ws, rid, path, start=date(2024, 5, 2)):
    v = workflow.get_referral(ws, rid)["version"]
    for i, st in enumerate(path):
        reason = "moved away" if st in ("declined", "disengaged") else None
        v = move(ws, rid, st, date.fromordinal(start.toordinal() + 7 * i), "cw", v, reason,
                 today=TODAY)
    return v


def test_identifiers_never_stored(prog_ws):
    rid = create_referral(prog_ws, _new(prog_ws, nhs_number="943 476 5919", forename="Amélie",
                                        surname="O'Brien", date_of_birth="2009-02-03"),
                          "cw", today=TODAY)
    rows = prog_ws.sql("SELECT * FROM prog_referrals")
    text = repr(rows) + repr(prog_ws.sql("SELECT * FROM prog_referral_ids"))
    for raw in ("9434765919", "943 476 5919", "Brien", "Amélie", "2009-02-03"):
        assert raw not in text
    kinds = dict(prog_ws.sql("SELECT pid_kind, pid FROM prog_referral_ids WHERE referral_id = ?",
                             [rid]))
    assert set(kinds) == {"nhs_number", "name_dob"}
    assert workflow.get_referral(prog_ws, rid)["pid_kind"] == "nhs_number"


def test_bad_identifier_is_refused_without_echoing_it(prog_ws):
    with pytest.raises(ProgrammeError) as exc:
        create_referral(prog_ws, _new(prog_ws, nhs_number="1234567890"), "cw", today=TODAY)
    assert "NHS number" in str(exc.value) and "1234567890" not in str(exc.value)
    with pytest.raises(ProgrammeError, match="no identifier"):
        create_referral(prog_ws, _new(prog_ws, upn=""), "cw", today=TODAY)


def test_the_whole_workflow_with_dates_and_history(prog_ws):
    rid = create_referral(prog_ws, _new(prog_ws), "cw", today=TODAY)
    v = _walk(prog_ws, rid, ["assessed", "accepted", "engaged", "completed"])
    ref = workflow.get_referral(prog_ws, rid)
    assert (ref["status"], ref["version"], v) == ("completed", 5, 5)
    assert ref["engaged_date"] == date(2024, 5, 16) and ref["ended_date"] == date(2024, 5, 23)
    assert [h["to_status"] for h in workflow.history(prog_ws, rid)] == [
        "received", "assessed", "accepted", "engaged", "completed"]


@pytest.mark.parametrize("path,bad", [
    ([], "accepted"), ([], "engaged"), ([], "completed"), (["assessed"], "engaged"),
    (["assessed", "declined"], "accepted"), (["assessed", "accepted"], "completed"),
    (["assessed", "accepted", "engaged", "completed"], "disengaged"),
    (["assessed", "accepted", "engaged"], "received"), ([], "lost")])
def test_illegal_transitions_are_refused(prog_ws, path, bad):
    rid = create_referral(prog_ws, _new(prog_ws), "cw", today=TODAY)
    v = _walk(prog_ws, rid, path)
    with pytest.raises(IllegalTransition):
        move(prog_ws, rid, bad, date(2024, 12, 1), "cw", v, "why", today=TODAY)
    assert workflow.get_referral(prog_ws, rid)["version"] == v


def test_reasons_and_dates_are_required(prog_ws):
    rid = create_referral(prog_ws, _new(prog_ws), "cw", today=TODAY)
    v = _walk(prog_ws, rid, ["assessed"])
    with pytest.raises(ProgrammeError, match="reason is required"):
        move(prog_ws, rid, "declined", date(2024, 6, 1), "cw", v, "", today=TODAY)
    with pytest.raises(ProgrammeError, match="before the referral's last status date"):
        move(prog_ws, rid, "accepted", date(2024, 4, 1), "cw", v, today=TODAY)
    with pytest.raises(ProgrammeError, match="in the future"):
        move(prog_ws, rid, "accepted", date(2025, 4, 1), "cw", v, today=TODAY)


def test_stale_edit_is_refused_with_a_clear_message(prog_ws):
    rid = create_referral(prog_ws, _new(prog_ws), "cw", today=TODAY)
    v = workflow.get_referral(prog_ws, rid)["version"]
    move(prog_ws, rid, "assessed", date(2024, 5, 3), "alice", v, today=TODAY)
    with pytest.raises(StaleEdit) as exc:
        move(prog_ws, rid, "assessed", date(2024, 5, 3), "bob", v, today=TODAY)
    msg = str(exc.value)
    assert "changed by alice" in msg and "Nothing was saved" in msg and "version 2" in msg
    assert len(workflow.history(prog_ws, rid)) == 2


def test_attendance_only_while_engaged(prog_ws):
    rid = create_referral(prog_ws, _new(prog_ws), "cw", today=TODAY)
    v = _walk(prog_ws, rid, ["assessed", "accepted"])
    with pytest.raises(ProgrammeError, match="only once it is engaged"):
        workflow.record_attendance(prog_ws, rid, date(2024, 6, 1), True, "cw", v, today=TODAY)
    v = move(prog_ws, rid, "engaged", date(2024, 6, 1), "cw", v, today=TODAY)
    v = workflow.record_attendance(prog_ws, rid, date(2024, 6, 8), True, "cw", v, 60,
                                   today=TODAY)
    with pytest.raises(ProgrammeError, match="outside the engagement"):
        workflow.record_attendance(prog_ws, rid, date(2024, 5, 8), True, "cw", v, today=TODAY)
    with pytest.raises(StaleEdit):
        workflow.record_attendance(prog_ws, rid, date(2024, 6, 9), True, "cw", v - 1,
                                   today=TODAY)
    assert [a["minutes"] for a in workflow.attendance(prog_ws, rid)] == [60]


def test_provider_sees_and_edits_only_its_own(prog_ws):
    mine = create_referral(prog_ws, _new(prog_ws, "MENT"), "cw", today=TODAY)
    theirs = create_referral(prog_ws, _new(prog_ws, "SPORT"), "cw", today=TODAY)
    own = "Northside Youth Trust"
    assert [r["referral_id"] for r in workflow.list_referrals(prog_ws, provider=own)] == [mine]
    with pytest.raises(NotFound):
        workflow.get_referral(prog_ws, theirs, provider=own)
    with pytest.raises(NotFound):
        move(prog_ws, theirs, "assessed", date(2024, 5, 2), "cw", 1, provider=own, today=TODAY)
    with pytest.raises(NotFound):
        create_referral(prog_ws, _new(prog_ws, "SPORT"), "cw", provider=own, today=TODAY)
    assert workflow.get_referral(prog_ws, theirs)["status"] == "received"


def test_reach_counts_distinct_people_not_referrals(prog_ws):
    # One person (same PNC ID) referred to two interventions, and twice to one; another person.
    a1 = create_referral(prog_ws, _new(prog_ws, "MENT"), "cw", today=TODAY)
    a2 = create_referral(prog_ws, _new(prog_ws, "SPORT"), "cw", today=TODAY)
    a3 = create_referral(prog_ws, _new(prog_ws, "MENT"), "cw", today=TODAY)
    b1 = create_referral(prog_ws, _new(prog_ws, "MENT", pnc_id="24/765432B"), "cw", today=TODAY)
    c1 = create_referral(prog_ws, _new(prog_ws, "MENT", pnc_id="24/111111C"), "cw", today=TODAY)
    for rid in (a1, a2, a3, b1):
        _walk(prog_ws, rid, ["assessed", "accepted", "engaged"])
    _walk(prog_ws, c1, ["assessed", "declined"])  # never engaged: not reached
    total = stats.reach(prog_ws)
    assert total == [{"people": 2, "referrals": 4}]
    by_iv = {r["intervention"]: (r["people"], r["referrals"])
             for r in stats.reach(prog_ws, ("intervention",))}
    assert by_iv == {"MENT": (2, 3), "SPORT": (1, 1)}
    # Before anyone engaged (FY 2023-24): nobody reached.
    assert stats.reach(prog_ws, fy="2023-24") == [{"people": 0, "referrals": 0}]


def test_person_links_hook_merges_people(prog_ws):
    """With record linkage's person_links, two identifiers of one person count once."""
    a = create_referral(prog_ws, _new(prog_ws, "MENT"), "cw", today=TODAY)
    b = create_referral(prog_ws, _new(prog_ws, "MENT", upn="A99012345678B"), "cw", today=TODAY)
    for rid in (a, b):
        _walk(prog_ws, rid, ["assessed", "accepted", "engaged"])
    assert stats.reach(prog_ws)[0]["people"] == 2
    with prog_ws.transaction() as con:  # record linkage's table (#15, migration m0600)
        con.execute("INSERT INTO person_links (record_key, source, file_id, row_number, pid, "
                    "person_id, model_version, run_id) SELECT row_number() OVER (), 'programme', "
                    "0, row_number() OVER (), pid, 'V1', 1, 1 FROM prog_referral_ids")
    assert stats.reach(prog_ws)[0]["people"] == 1


def test_funnel(prog_ws):
    for path in (["assessed", "accepted", "engaged", "completed"],
                 ["assessed", "accepted", "engaged", "disengaged"],
                 ["assessed", "declined"], ["assessed", "accepted", "disengaged"], []):
        rid = create_referral(prog_ws, _new(prog_ws), "cw", today=TODAY)
        _walk(prog_ws, rid, path)
    f = stats.funnel(prog_ws)
    assert [s["referrals"] for s in f["stages"]] == [5, 4, 3, 2, 1]
    assert [s["conversion_pct"] for s in f["stages"]] == [None, 80.0, 75.0, 66.7, 50.0]
    assert f["completion_pct"] == 50.0  # 1 completed, 1 dropped out after engaging
    assert f["median_days"]["to_assessed"] == 1.0


def test_referral_actions_are_in_the_one_access_gate():
    from vru.privacy.access import ACTIONS, Actor, Resource, allowed
    from vru.privacy.roles import Role

    assert {"programme.referral.view", "programme.referral.edit"} <= set(ACTIONS)
    mine = Resource("referral", "1", agency="Northside Youth Trust")
    nyt = Actor("nyt", Role.PARTNER, "Northside Youth Trust")
    es = Actor("es", Role.PARTNER, "Eastfield Sports")
    assert allowed(workflow.REFERRAL_EDIT, mine, nyt)
    assert not allowed(workflow.REFERRAL_EDIT, mine, es)
    assert not allowed(workflow.REFERRAL_VIEW, mine, Actor("v", Role.VIEWER, None))
    assert allowed(workflow.REFERRAL_VIEW, mine, Actor("a", Role.ANALYST, None))
