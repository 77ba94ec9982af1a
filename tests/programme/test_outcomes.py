"""Participants' outcomes before and after starting, found through their pseudonyms in police
records, admissions and exclusions; windows outside the data are not counted."""

from __future__ import annotations

from datetime import date

from tests.programme.conftest import TEST_KEY
from vru.privacy.pseudonymise import Pseudonymiser
from vru.programme import outcomes
from vru.programme.model import intervention_by_code
from vru.programme.people import PersonIds
from vru.programme.workflow import NewReferral, create_referral, get_referral, move

TODAY = date(2025, 12, 1)


def _crime(con, pid, d, ctype="Violence and sexual offences"):
    con.execute("INSERT INTO crimes (source, crime_id, month, occurred_from, crime_type, "
                "suspect_pid, file_id, row_number, import_id) VALUES ('police_rms', 'x', ?, ?, "
                "?, ?, 0, 0, 0)", [d.replace(day=1), d, ctype, pid])


def test_before_and_after(prog_ws):
    iid = intervention_by_code(prog_ws, "MENT")
    rid = create_referral(prog_ws, NewReferral(iid, "Police", date(2024, 5, 1), ["robbery"],
                                               PersonIds(pnc_id="24/555555K")), "cw",
                          today=TODAY)
    v = get_referral(prog_ws, rid)["version"]
    for st in ("assessed", "accepted", "engaged"):
        v = move(prog_ws, rid, st, date(2024, 6, 1), "cw", v, today=TODAY)
    pid = Pseudonymiser(TEST_KEY.encode()).pseudonym("pnc_id", "24/555555K")
    other = Pseudonymiser(TEST_KEY.encode()).pseudonym("pnc_id", "24/999999Z")
    with prog_ws.transaction() as con:
        for d in (date(2023, 8, 1), date(2023, 12, 24), date(2024, 3, 3)):  # 3 before
            _crime(con, pid, d)
        _crime(con, pid, date(2024, 9, 1))                                  # 1 within 6 months
        _crime(con, pid, date(2025, 3, 1), "Burglary")                      # not violent, <12m
        _crime(con, other, date(2023, 1, 1))                                # data start
        _crime(con, other, date(2025, 7, 1))                                # data end
    rows = {(r["measure"], r["window"]): (r["participants"], r["events"])
            for r in outcomes.before_after(prog_ws, iid)}
    assert rows[("offences (as suspect)", "12 months before")] == (1, 3)
    assert rows[("offences (as suspect)", "6 months after")] == (1, 1)
    assert rows[("offences (as suspect)", "12 months after")] == (1, 2)
    assert rows[("violent offences (as suspect)", "12 months after")] == (1, 1)
    # No NHS number or pupil number known for the participant: nobody to count.
    assert rows[("hospital admissions for assault", "12 months before")] == (0, 0)
