"""Programme pages and referral forms through the real app: disclosure control, provider scope,
CSRF, audit, optimistic concurrency."""

from __future__ import annotations

import re

import pytest

from tests.programme import webapp


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    saved = webapp.set_key()
    ws = webapp.build(tmp_path_factory.mktemp("progweb") / "ws")
    app = webapp.app_for(ws)
    clients = {u: webapp.client(app, u) for u in webapp.USERS}
    yield ws, app, clients
    for c in clients.values():
        c.close()
    ws.close()
    webapp.restore_key(saved)


def _ids(ws, code):
    return [r[0] for r in ws.sql("SELECT referral_id FROM prog_referrals JOIN prog_interventions "
                                 "USING (intervention_id) WHERE code = ? ORDER BY 1", [code])]


def test_programme_page_disclosure(web):
    _ws, _app, c = web
    exact = c["analyst"].get("/programme?fy=2024-25")
    assert exact.status_code == 200
    assert re.search(r'id="people">15<', exact.text)
    shown = c["viewer"].get("/programme?fy=2024-25")
    assert shown.status_code == 200
    # 15 people -> rounded to 15; SPORT's 3 people -> suppressed for the viewer.
    assert re.search(r'id="people">15<', shown.text)
    row = re.search(r"Midnight football</a>.*?</tr>", shown.text, re.S).group(0)
    assert "<td class=\"num\">*</td>" in row and ">3<" not in row
    assert ">3<" in re.search(r"Midnight football</a>.*?</tr>", exact.text, re.S).group(0)
    iv = c["viewer"].get("/programme/interventions/SPORT")
    assert iv.status_code == 200 and 'id="people">*<' in iv.text
    assert c["viewer"].get("/programme/interventions/NOPE").status_code == 404


def test_funding_page(web):
    _ws, _app, c = web
    r = c["viewer"].get("/funding?fy=2024-25")
    assert r.status_code == 200
    assert "£1,000,000.00" in r.text and "£24,000.50" in r.text  # received; spent to date
    assert "N-NYT-24" in r.text


def test_records_need_the_records_permission(web):
    _ws, _app, c = web
    assert c["viewer"].get("/referrals").status_code == 403
    assert c["viewer"].get("/referrals/1").status_code == 403


def test_provider_sees_and_edits_only_its_own(web):
    ws, _app, c = web
    ment, sport = _ids(ws, "MENT"), _ids(ws, "SPORT")
    listing = c["nyt"].get("/referrals").text
    shown = {int(x) for x in re.findall(r'href="/referrals/(\d+)"', listing)}
    assert shown == set(ment)
    assert c["nyt"].get(f"/referrals/{sport[0]}").status_code == 404
    r = c["nyt"].post(f"/referrals/{sport[0]}/move", data={
        "to_status": "completed", "event_date": "2024-06-01", "version": 4})
    assert r.status_code == 404
    assert ws.scalar("SELECT status FROM prog_referrals WHERE referral_id = ?",
                     [sport[0]]) == "engaged"
    # Its own referral form offers only its own interventions.
    form = c["nyt"].get("/referrals/new").text
    assert "MENT:" in form and "SPORT:" not in form


def test_csrf_is_required(web):
    ws, app, _c = web
    c = webapp.client(app, "analyst")
    del c.headers["X-CSRF-Token"]
    rid = _ids(ws, "MENT")[0]
    r = c.post(f"/referrals/{rid}/move", data={"to_status": "completed",
                                                "event_date": "2024-06-01", "version": 4})
    assert r.status_code == 403 and "CSRF" in r.text
    c.close()


def test_create_move_and_stale_edit(web):
    ws, app, c = web
    iid = ws.scalar("SELECT intervention_id FROM prog_interventions WHERE code = 'MENT'")
    r = c["nyt"].post("/referrals", data={
        "intervention_id": iid, "referring_agency": "School", "referral_date": "2024-09-01",
        "reasons": "fights; exclusion", "pnc_id": "24/777777C", "age": "14", "sex": "F",
        "ethnicity": "MIXED", "area": "Northside"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    rid = int(r.headers["location"].split("/")[2].split("?")[0])
    assert "777777" not in repr(ws.sql("SELECT * FROM prog_referrals"))
    r = c["nyt"].post(f"/referrals/{rid}/move", data={
        "to_status": "assessed", "event_date": "2024-09-02", "version": 1},
        follow_redirects=False)
    assert r.status_code == 303
    # Someone still holding version 1 tries to save: refused, clear message, nothing saved.
    stale = c["analyst"].post(f"/referrals/{rid}/move", data={
        "to_status": "assessed", "event_date": "2024-09-03", "version": 1})
    assert stale.status_code == 409
    assert "changed by nyt" in stale.text and "Nothing was saved" in stale.text
    assert ws.scalar("SELECT version FROM prog_referrals WHERE referral_id = ?", [rid]) == 2
    bad = c["nyt"].post(f"/referrals/{rid}/move", data={
        "to_status": "completed", "event_date": "2024-09-03", "version": 2})
    assert bad.status_code == 422 and "cannot move to" in bad.text
    missing = c["nyt"].post("/referrals", data={
        "intervention_id": iid, "referring_agency": "School", "referral_date": "2024-09-01",
        "reasons": "x", "nhs_number": "1234567890"})
    assert missing.status_code == 422 and "NHS number" in missing.text
    assert "1234567890" not in missing.text
    app.state.ctx.audit_writer.drain()
    from vru.privacy import audit

    actions = [(r["actor"], r["action"]) for r in audit.tail(ws.log_dir(), 500, None)]
    assert ("nyt", "referral.create") in actions and ("nyt", "referral.move") in actions
    assert ("analyst", "referral.move.stale") in actions
    assert ("nyt", "programme.referral") in actions  # every view of a referral is audited


def test_form_referral_becomes_linkage_features_without_raw_values(web):
    """Record linkage (#15): a referral typed in the form is a match_features record (file 0,
    row = referral id) made before anything is written; the raw names, date of birth and
    postcode are stored nowhere (positive control: the features are there)."""
    ws, _app, c = web
    iid = ws.scalar("SELECT intervention_id FROM prog_interventions WHERE code = 'MENT'")
    planted = {"forename": "Philomenia", "surname": "Drusklebeck", "date_of_birth": "2010-03-17",
               "postcode": "QX4 7RT"}
    r = c["nyt"].post("/referrals", data={
        "intervention_id": iid, "referring_agency": "School", "referral_date": "2024-09-05",
        "reasons": "exclusion", **planted, "sex": "F"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    rid = int(r.headers["location"].split("/")[2].split("?")[0])
    row = ws.df("SELECT * FROM match_features WHERE file_id = 0 AND row_number = ?", [rid])
    assert len(row) == 1 and row["source"][0] == "programme" and row["sex"][0] == "F"
    assert row[["fn_h", "sn_h", "dob_h", "pc_sector_h", "pid"]].notna().all(axis=None)
    stored = repr(ws.sql("SELECT * FROM match_features")) + repr(ws.sql("SELECT * FROM "
                                                                        "prog_referrals"))
    for v in (*planted.values(), "philomenia", "drusklebeck", "17/03/2010", "QX47RT"):
        assert v.lower() not in stored.lower()
