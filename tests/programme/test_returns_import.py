"""Providers' monthly returns through the import engine: good returns load (a later return
moves referrals on), >= 10 malformed cases per contract each rejected with its reason, nothing
lost (read = loaded + rejected), re-import a no-op, identifiers never stored."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from vru.privacy import agreements
from vru.programme import reconcile
from vru.sources.contract import import_source
from vru.sources.registry import SOURCES

SRC = SOURCES["programme"]

REF = {"provider_ref": "NYT-001", "intervention_code": "MENT", "nhs_number": "",
       "pnc_id": "24/123456A", "upn": "", "forename": "", "surname": "", "date_of_birth": "",
       "referring_agency": "Youth Justice Service", "referral_date": "2024-05-01",
       "reasons": "knife possession; exclusion risk", "status": "ENGAGED",
       "assessed_date": "2024-05-03", "decision_date": "2024-05-10",
       "engaged_date": "2024-05-20", "ended_date": "", "status_reason": "", "age": "15",
       "sex": "M", "ethnicity": "BLACK", "area": "Northside", "lsoa_code": "E01000001"}
ATT = {"provider_ref": "NYT-001", "intervention_code": "MENT", "session_date": "2024-05-27",
       "attended": "Y", "minutes": "60"}
REACH = {"intervention_code": "KNIFE", "month": "2024-06-01", "age_band": "14-17", "sex": "F",
         "ethnicity": "WHITE", "area": "Eastfield", "people": "120"}
SPEND = {"grant_reference": "N-NYT-24", "fy": "2024-25", "quarter": "1", "category": "DELIVERY",
         "intervention_code": "MENT", "amount": "12,500.50", "over_allocation_reason": "",
         "description": "mentor salaries"}

CASES: dict[str, list[tuple[dict[str, str], str, str]]] = {
    "referrals": [
        ({"provider_ref": ""}, "provider_ref", "required value missing"),
        ({"intervention_code": "NOPE"}, "intervention_code", "unknown intervention code"),
        ({"pnc_id": ""}, "nhs_number", "no identifier"),
        ({"pnc_id": "NOTAPNC"}, "pnc_id", "not a valid PNC ID"),
        ({"nhs_number": "1234567890"}, "nhs_number", "not a valid NHS number"),
        ({"forename": "Ann", "surname": "Lee"}, "forename+surname+date_of_birth",
         "must be given together"),
        ({"referral_date": "2024-02-30"}, "referral_date", "not a date"),
        ({"referral_date": "2099-01-01"}, "referral_date", "in the future"),
        ({"status": "STARTED"}, "status", "not in the code list"),
        ({"assessed_date": "2024-04-01"}, "assessed_date", "before referral_date"),
        ({"engaged_date": "2024-05-05"}, "engaged_date", "before decision_date"),
        ({"status": "COMPLETED"}, "ended_date", "required when status is COMPLETED"),
        ({"status": "DISENGAGED", "ended_date": "2024-06-01"}, "status_reason",
         "required when status is DECLINED or DISENGAGED"),
        ({"status": "ACCEPTED"}, "engaged_date", "given but the status is before ENGAGED"),
        ({"provider_ref": "NYT-001", "status": "ASSESSED", "decision_date": "",
          "engaged_date": ""}, "status", "goes back from the status already recorded"),
        ({"age": "15.5"}, "age", "not a whole number"),
        ({"sex": "Male"}, "sex", "not in the code list"),
        ({"lsoa_code": "E02000001"}, "lsoa_code", "not an LSOA code"),
        ({"provider_ref": "NYT-002"}, "provider_ref", "duplicate of row"),
    ],
    "attendance": [
        ({"provider_ref": ""}, "provider_ref", "required value missing"),
        ({"intervention_code": "NOPE"}, "intervention_code", "unknown intervention code"),
        ({"provider_ref": "NYT-999"}, "provider_ref", "no such referral for this intervention"),
        ({"session_date": "2024-05-01"}, "session_date", "before the referral's engaged_date"),
        ({"session_date": "27/13/2024"}, "session_date", "not a date"),
        ({"session_date": "2099-05-01"}, "session_date", "in the future"),
        ({"attended": "maybe"}, "attended", "not a yes/no value"),
        ({"attended": "N"}, "minutes", "minutes given for a session not attended"),
        ({"minutes": "2000"}, "minutes", "above the maximum 1440"),
        ({"minutes": "-5"}, "minutes", "below the minimum 0"),
        ({"session_date": "2024-05-21"}, "session_date", "already recorded for this referral"),
        ({"session_date": "2024-06-03"}, "provider_ref", "duplicate of row"),
    ],
    "reach": [
        ({"intervention_code": ""}, "intervention_code", "required value missing"),
        ({"intervention_code": "NOPE"}, "intervention_code", "unknown intervention code"),
        ({"intervention_code": "MENT"}, "intervention_code", "a one-to-one intervention"),
        ({"month": "2024-06-15"}, "month", "must be the first day of a month"),
        ({"month": "2024-03-01"}, "month", "before the intervention started"),
        ({"month": "June 2024"}, "month", "not a date"),
        ({"age_band": "15"}, "age_band", "not in the code list"),
        ({"sex": ""}, "sex", "required value missing"),
        ({"ethnicity": "SCOTTISH"}, "ethnicity", "not in the code list"),
        ({"people": "-1"}, "people", "below the minimum 0"),
        ({"people": "lots"}, "people", "not a whole number"),
        ({"area": "Westbury", "month": "2024-07-01"}, "people",
         "already reported for this intervention, month and group"),
        ({"area": "Northside"}, "intervention_code", "duplicate of row"),
    ],
    "spend": [
        ({"grant_reference": ""}, "grant_reference", "required value missing"),
        ({"grant_reference": "NOPE-24"}, "grant_reference", "every pound of spend must trace"),
        ({"amount": "12.345"}, "amount", "not an amount in pounds"),
        ({"amount": "1e5"}, "amount", "not an amount in pounds"),
        ({"amount": "0"}, "amount", "must be more than zero"),
        ({"amount": "-20.00"}, "amount", "must be more than zero"),
        ({"fy": "2024-26"}, "fy", "not a financial year"),
        ({"fy": "2025-26"}, "fy", "outside the grant's financial year"),
        ({"quarter": "5"}, "quarter", "above the maximum 4"),
        ({"category": "CATERING"}, "category", "not in the code list"),
        ({"intervention_code": ""}, "intervention_code", "required for DELIVERY spend"),
        ({"intervention_code": "NOPE"}, "intervention_code", "unknown intervention code"),
        ({"amount": "250000.00"}, "amount", "over the grant's allocation"),
    ],
}
GOOD = {"referrals": REF, "attendance": ATT, "reach": REACH, "spend": SPEND}


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture
def ret_ws(prog_ws):
    with prog_ws.transaction() as con:
        agreements.add(con, "programme", "Northside Youth Trust", "Serious Violence Duty",
                       ["programme monitoring"], 84)
    return prog_ws


def _seed(ws, tmp_path):
    """A referral engaged on 2024-05-20 with one session on 2024-05-21 and reach for June."""
    import_source(ws, SRC, [write(tmp_path / "seed" / "referrals.csv", [REF])])
    import_source(ws, SRC, [write(tmp_path / "seed" / "attendance.csv",
                                  [{**ATT, "session_date": "2024-05-21"}])])
    import_source(ws, SRC, [write(tmp_path / "seed" / "reach.csv",
                                  [{**REACH, "area": "Westbury", "month": "2024-07-01"}])])


def test_every_contract_has_ten_malformed_cases():
    assert {c.kind for c in SRC.contracts} == set(CASES)
    assert all(len(v) >= 10 for v in CASES.values())


def _distinct(kind: str, i: int) -> dict[str, str]:
    """Make each case row's key its own, so that only the planted fault is found."""
    return {"referrals": {"provider_ref": f"C-{i}"},
            "attendance": {"session_date": f"2024-06-{10 + i:02d}"},
            "reach": {"area": f"Area {i}"}}.get(kind, {})


@pytest.mark.parametrize("kind", list(CASES))
def test_malformed_rows_rejected_with_reasons_nothing_lost(ret_ws, tmp_path, kind):
    _seed(ret_ws, tmp_path)
    good = GOOD[kind]
    rows = [dict(good)] if kind != "referrals" else [dict(good, provider_ref="NYT-002")]
    if kind == "attendance":
        rows = [dict(good, session_date="2024-06-03")]
    if kind == "reach":
        rows = [dict(good, area="Northside")]
    for i, (change, _f, _r) in enumerate(CASES[kind]):
        rows.append({**good, **_distinct(kind, i), **change})
    path = write(tmp_path / "in" / f"{kind}.csv", rows)
    s = import_source(ret_ws, SRC, [path])
    (f,) = s.files
    assert f.kind == kind
    assert (f.rows_read, f.rows_loaded, f.rows_rejected) == (len(rows), 1, len(rows) - 1)
    rejects = dict((r[0], (r[1], r[2])) for r in ret_ws.sql(
        "SELECT row_number, field, reason FROM rejects WHERE file_id = ?", [f.file_id]))
    for i, (_change, field, reason) in enumerate(CASES[kind], start=2):
        got = rejects.get(i)
        assert got is not None, f"row {i} ({_change}) was not rejected"
        assert got[0] == field and reason in got[1], (i, _change, got)


def test_good_returns_move_referrals_on_and_reimport_is_a_noop(ret_ws, tmp_path):
    may = write(tmp_path / "may" / "referrals.csv",
                [dict(REF, status="ASSESSED", decision_date="", engaged_date="")])
    s = import_source(ret_ws, SRC, [may])
    assert s.files[0].rows_loaded == 1
    june = write(tmp_path / "june" / "referrals.csv",
                 [dict(REF, status="COMPLETED", ended_date="2024-06-28")])
    import_source(ret_ws, SRC, [june])
    again = import_source(ret_ws, SRC, [june])
    assert [f.status for f in again.files] == ["skipped"]
    rows = ret_ws.sql("SELECT status, version, engaged_date, ended_date FROM prog_referrals")
    assert len(rows) == 1 and rows[0][0] == "completed" and rows[0][1] == 2
    events = [r[0] for r in ret_ws.sql("SELECT to_status FROM prog_referral_events "
                                       "ORDER BY seq")]
    assert events == ["received", "assessed", "accepted", "engaged", "completed"]
    text = repr(ret_ws.sql("SELECT * FROM prog_referrals")) + repr(ret_ws.sql(
        "SELECT * FROM rejects")) + repr(ret_ws.sql("SELECT * FROM prog_referral_ids"))
    assert "123456A" not in text


def test_spend_return_reconciles_to_the_ledger(ret_ws, tmp_path):
    rows = [dict(SPEND, quarter=str(q), amount=a) for q, a in
            ((1, "10000.00"), (2, "20000.25"), (3, "30000.50"))]
    rows.append(dict(SPEND, grant_reference="E-ES-24", intervention_code="SPORT",
                     amount="£5,000"))
    import_source(ret_ws, SRC, [write(tmp_path / "spend.csv", rows)])
    assert ret_ws.scalar("SELECT sum(amount_pence) FROM fund_spend") == 6_500_075
    assert ret_ws.scalar("SELECT typeof(amount_pence) FROM fund_spend LIMIT 1") == "BIGINT"
    assert [f for f in reconcile.check(ret_ws) if f.severity == "error"] == []


def test_retention_purges_ended_referrals_with_their_pseudonyms(ret_ws, tmp_path):
    from datetime import date

    from vru.sources.retention import apply_retention

    ended = dict(REF, provider_ref="NYT-END", status="COMPLETED", ended_date="2024-06-28")
    import_source(ret_ws, SRC, [write(tmp_path / "r.csv", [REF, ended])])
    import_source(ret_ws, SRC, [write(tmp_path / "a.csv", [ATT])])
    # 84 months after the end of NYT-END, but NYT-001 is still open.
    apply_retention(ret_ws, as_of=date(2031, 7, 1), only=["programme"])
    refs = [r[0] for r in ret_ws.sql("SELECT provider_ref FROM prog_referrals")]
    assert refs == ["NYT-001"]
    live = ret_ws.scalar("SELECT referral_id FROM prog_referrals")
    assert {r[0] for r in ret_ws.sql("SELECT referral_id FROM prog_referral_ids")} == {live}
    assert {r[0] for r in ret_ws.sql("SELECT referral_id FROM prog_referral_events")} == {live}
    assert ret_ws.scalar("SELECT count(*) FROM prog_attendance") == 1


def test_new_referrals_get_ids_in_a_repeatable_order(ret_ws, tmp_path):
    """The same returns give the same referral ids on every run: new referrals are numbered in
    (intervention, provider reference) order, after any referral already held (the demo gave
    different ids run to run when nextval() followed the threads' order)."""
    _seed(ret_ws, tmp_path)
    (before,) = ret_ws.sql("SELECT max(referral_id) FROM prog_referrals")[0]
    refs = [f"NYT-{n:03d}" for n in (907, 12, 450, 3, 88, 610, 254, 131, 999, 77, 500, 41)]
    rows = [dict(REF, provider_ref=r, intervention_code=code, pnc_id=f"24/{200000 + i}A")
            for i, (r, code) in enumerate(zip(refs * 2, ["MENT"] * 12 + ["KNIFE"] * 12,
                                              strict=True))]
    s = import_source(ret_ws, SRC, [write(tmp_path / "many" / "referrals.csv", rows)])
    assert s.files[0].rows_loaded == len(rows), s.files[0]
    got = ret_ws.sql("""SELECT r.referral_id, i.code, r.provider_ref FROM prog_referrals r
                        JOIN prog_interventions i USING (intervention_id)
                        WHERE r.referral_id > ? ORDER BY r.referral_id""", [before])
    order = ret_ws.sql("SELECT code FROM prog_interventions ORDER BY intervention_id")
    rank = {c: i for i, (c,) in enumerate(order)}
    expected = sorted(((c, r) for _, c, r in got), key=lambda k: (rank[k[0]], k[1]))
    assert [(c, r) for _, c, r in got] == expected
    assert [i for i, _, _ in got] == list(range(before + 1, before + 1 + len(rows)))
    (nxt,) = ret_ws.sql("SELECT nextval('prog_referral_seq')")[0]
    assert nxt == before + len(rows) + 1      # the sequence moved past the block


def test_universal_reach_comes_in_the_same_order_every_run(ret_ws, tmp_path):
    """The quarterly return lists universal reach by age band, sex and ethnicity in that order
    (the query had no ORDER BY, so the return's rows changed order from run to run)."""
    from vru.programme import stats

    cells = [("18-21", "F", "WHITE"), ("10-13", "M", "ASIAN"), ("14-17", "F", "UNKNOWN"),
             ("18-21", "M", "BLACK"), ("10-13", "F", "MIXED"), ("14-17", "M", "WHITE"),
             ("18-21", "F", "ASIAN"), ("10-13", "M", "OTHER"), ("14-17", "F", "BLACK")]
    rows = [dict(REACH, age_band=a, sex=s, ethnicity=e, area=f"Area {i}", people=str(20 + i))
            for i, (a, s, e) in enumerate(cells)]
    s = import_source(ret_ws, SRC, [write(tmp_path / "reach" / "reach.csv", rows)])
    assert s.files[0].rows_loaded == len(rows), s.files[0]
    got = stats.reach_universal(ret_ws, ("age_band", "sex", "ethnicity"), "2024-25")
    keys = [(r["age_band"], r["sex"], r["ethnicity"]) for r in got]
    assert sorted(keys) == sorted(cells)
    assert keys == sorted(keys)
    assert {k: r["people"] for k, r in zip(keys, got, strict=True)} == {
        c: 20 + i for i, c in enumerate(cells)}
