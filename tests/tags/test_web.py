"""GPS tagging pages and endpoints: who may see them (role x agency x route), a reason for
every view, an audit record for every view, nothing at all for anyone else."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient

from tests.tags.helpers import E0, N0, ORDER_ROW, PERSON, agree, put, square_wkt, walk
from tests.web.conftest import PASSWORD, login
from vru.analysis.tags import store
from vru.privacy import users
from vru.testing import new_workspace
from vru.web.app import create_app

# (role, agency) -> may see electronic-monitoring results. Police = the police_rms agreement's
# agency, probation = the em_gps agreement's (tests.tags.helpers.agree).
ACTORS = {
    "admin_plain": ("admin", None, False), "analyst_plain": ("analyst", None, False),
    "admin_police": ("admin", "Kingsmere Police", True),
    "analyst_police": ("analyst", "Kingsmere Police", True),
    "partner_police": ("partner", "Kingsmere Police", True),
    "partner_probation": ("partner", "Probation Service", True),
    "partner_nhs": ("partner", "Kingsmere NHS Trust", False),
    "viewer_police": ("viewer", "Kingsmere Police", False),
}
WHEN = datetime(2024, 6, 12, 9, 0)
TRAIL = "?start=2024-06-12T00:00&end=2024-06-12T23:59"
# Every new route, with a harmless concrete request.
ROUTES = [
    ("GET", "/tags", None), ("GET", "/tags/crime?ref=C1", None),
    ("GET", f"/tags/people/{PERSON}", None), ("GET", f"/tags/people/{PERSON}/trail{TRAIL}", None),
    ("GET", f"/api/tags/trail/{PERSON}{TRAIL}", None), ("GET", "/api/tags/crime?ref=C1", None),
    ("POST", "/tags/alerts/1", {"to": "closed", "note": "n", "reason": "r"}),
]


@pytest.fixture(scope="module")
def tag_app(tmp_path_factory):
    ws = new_workspace(tmp_path_factory.mktemp("tagweb") / "ws")
    agree(ws)
    from vru.privacy import agreements

    with ws.transaction() as con:  # a partner agency outside electronic monitoring
        agreements.add(con, "istv", "Kingsmere NHS Trust", "Serious Violence Duty",
                       ["problem profile"], 36)
    put(ws, people=[ORDER_ROW], pings=walk(PERSON, WHEN, 60, 5, E0, N0),
        crimes=[("C1", datetime(2024, 6, 12, 9, 30), None, E0 + 20, N0)],
        zones=[(PERSON, "Z1", "EXCLUSION", square_wkt(E0, N0, 200), date(2024, 1, 1), None, "ALL",
                None, None)])
    store.run_match(ws)
    store.run_breaches(ws)
    for name, (role, agency, _) in ACTORS.items():
        users.add_user(ws, name, PASSWORD, role, agency=agency)
    app = create_app(ws, audit_durable=False)
    yield app, ws
    ws.close()


def _client(app, name, raise_server_exceptions=True):
    c = TestClient(app, base_url="http://testserver",
                   raise_server_exceptions=raise_server_exceptions)
    assert login(c, name).status_code == 303
    c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
    return c


def _call(c, method, path, data, reason="test reason"):
    if method == "POST":
        return c.post(path, data=data, follow_redirects=False)
    sep = "&" if "?" in path else "?"
    return c.get(f"{path}{sep}reason={reason}" if reason else path, follow_redirects=False)


def _audit(app):
    app.state.ctx.audit_writer.drain()
    log = app.state.ctx.ws.path / "logs" / "audit.log"
    return [json.loads(x) for x in log.read_text().splitlines()]


@pytest.mark.parametrize("name", sorted(ACTORS))
def test_role_agency_route_matrix(tag_app, name):
    app, _ = tag_app
    c = _client(app, name)
    allowed = ACTORS[name][2]
    for method, path, data in ROUTES[:-1]:  # the POST changes state: tested on its own below
        r = _call(c, method, path, data)
        if allowed:
            assert r.status_code == 200, (name, path, r.status_code, r.text[:200])
        else:
            assert r.status_code == 403, (name, path, r.status_code)
            # Nothing about the person or the crime leaks, not even a count.
            assert PERSON not in r.text and "minutes" not in r.text.lower(), (name, path)
    # The navigation shows "GPS tags" only to those who may open it.
    home = c.get("/")
    assert ('href="/tags"' in home.text) is allowed
    c.close()


def test_anonymous_is_refused(tag_app):
    app, _ = tag_app
    anon = TestClient(app, base_url="http://testserver")
    for method, path, data in ROUTES:
        r = _call(anon, method, path, data)
        assert r.status_code in (401, 303, 403), (path, r.status_code)
        assert PERSON not in r.text


def test_outsiders_see_no_em_data_anywhere(tag_app):
    # Viewers and partners outside the purpose: no page or endpoint they can open mentions a
    # tagged person (no per-person counts either).
    from vru.web.permissions import ROUTE_PERMISSIONS

    app, _ = tag_app
    for name in ("viewer_police", "partner_nhs"):
        # (other areas' pages may fail on this tiny workspace: only what they show matters here)
        c = _client(app, name, raise_server_exceptions=False)
        for (method, path) in ROUTE_PERMISSIONS:
            if method != "GET" or "{" in path or path in ("/logout",):
                continue
            r = c.get(path, follow_redirects=False)
            assert PERSON not in r.text, (name, path)
        c.close()


def test_every_view_asks_for_a_reason_and_is_audited(tag_app):
    app, _ = tag_app
    c = _client(app, "partner_probation")
    before = len(_audit(app))
    # No reason: the page asks for one and shows no data; the API refuses.
    r = _call(c, "GET", "/tags/crime?ref=C1", None, reason=None)
    assert r.status_code == 200 and "Why are you looking" in r.text and PERSON not in r.text
    assert _call(c, "GET", "/api/tags/crime?ref=C1", None, reason=None).status_code == 422
    assert not [e for e in _audit(app)[before:] if e["kind"] == "access"]
    # With a reason: the data, and one access record per view carrying the reason.
    for i, (method, path, data) in enumerate(ROUTES[:-1]):
        r = _call(c, method, path, data, reason=f"case {i}")
        assert r.status_code == 200 and PERSON in r.text, (path, r.text[:300])
    acc = [e for e in _audit(app)[before:] if e["kind"] == "access"]
    assert [(e["action"], e["detail"]["reason"]) for e in acc] == [
        ("tags.alerts", "case 0"), ("tags.matches", "case 1"), ("tags.breaches", "case 2"),
        ("tags.trail", "case 3"), ("tags.trail", "case 4"), ("tags.matches", "case 5")]
    assert all(e["actor"] == "partner_probation" for e in acc)
    c.close()


def test_crime_page_evidence_and_map_data(tag_app):
    app, _ = tag_app
    c = _client(app, "partner_police")
    page = _call(c, "GET", "/tags/crime?ref=C1", None).text
    assert "20.0" in page and 'id="tag-map"' in page and "interpolated" in page
    d = _call(c, "GET", "/api/tags/crime?ref=C1", None).json()
    (m,) = d["matches"]
    assert m["person_id"] == PERSON and m["closest_m"] == 20.0
    assert m["first_seen"].endswith("+01:00")  # June: BST
    # 12 stretches between the 13 fixes in 09:00-10:00 BST, and the last fix on its own.
    assert [e["interpolated"] for e in m["evidence"]] == [True] * 12 + [False]
    trail = _call(c, "GET", f"/api/tags/trail/{PERSON}{TRAIL}", None).json()
    kinds = [f["geometry"]["type"] for f in trail["features"]]
    assert kinds.count("Point") == 13 and "LineString" in kinds and "Polygon" in kinds
    c.close()


def test_alert_form_changes_state_with_csrf_and_audit(tag_app):
    app, ws = tag_app
    (a,) = store.alerts(ws)
    c = _client(app, "partner_probation")
    url = f"/tags/alerts/{a['alert_id']}"
    token = c.headers.pop("X-CSRF-Token")
    r = c.post(url, data={"to": "acknowledged", "note": "seen", "reason": "triage"},
               follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
    r = c.post(url, data={"to": "acknowledged", "note": "seen", "reason": "triage",
                          "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert store.alerts(ws)[0]["state"] == "acknowledged"
    assert store.alerts(ws)[0]["updated_by"] == "partner_probation"
    upd = [e for e in _audit(app) if e["action"] == "tags.alert_update"]
    assert upd[-1]["detail"]["note"] == "seen" and upd[-1]["detail"]["reason"] == "triage"
    # Outsiders cannot change it either.
    o = _client(app, "partner_nhs")
    r = o.post(url, data={"to": "closed", "note": "x", "reason": "y"}, follow_redirects=False)
    assert r.status_code == 403 and store.alerts(ws)[0]["state"] == "acknowledged"
    page = _call(c, "GET", "/tags", None).text
    assert re.search(r"acknowledged", page)
    c.close()
    o.close()


def test_no_em_purpose_no_access(tmp_path):
    ws = new_workspace(tmp_path / "ws")
    agree(ws, em_purposes=("problem profile",))
    users.add_user(ws, "pp", PASSWORD, "partner", agency="Probation Service")
    app = create_app(ws, audit_durable=False)
    c = _client(app, "pp")
    r = c.get("/tags?reason=x")
    assert r.status_code == 403 and "electronic monitoring" in r.text
    c.close()
    ws.close()
