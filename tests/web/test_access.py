"""Who may call what: the role x route matrix, the route table's completeness, sessions, CSRF,
throttling, disclosure control at the exit and record scoping for partners."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from tests.web.conftest import PASSWORD, login
from vru.web.app import create_app
from vru.web.permissions import ROUTE_PERMISSIONS
from vru.web.throttle import LoginThrottle

ALL = {"admin", "analyst", "partner", "viewer"}
PUBLIC = "public"
LOCAL = "local"   # no session at all: the server's own account, by token over loopback
A, N, P, V = "admin", "analyst", "partner", "viewer"

# The access model written out by hand, route by route (the specification; deliberately not
# derived from ROUTE_PERMISSIONS or the role grants, so a wrong grant is caught).
EXPECTED: dict[tuple[str, str], set[str] | str] = {
    ("GET", "/login"): PUBLIC, ("POST", "/login"): PUBLIC, ("GET", "/health"): PUBLIC,
    ("POST", "/logout"): ALL, ("GET", "/api/me"): ALL, ("GET", "/api/openapi.json"): ALL,
    ("GET", "/api/docs"): ALL,
    ("GET", "/"): ALL, ("GET", "/map"): ALL, ("GET", "/trends"): ALL,
    ("GET", "/profiles"): ALL, ("POST", "/profiles"): {A, N}, ("GET", "/profiles/{name}"): ALL,
    ("GET", "/data-hub"): {A, N, P}, ("GET", "/data-hub/rejects"): {A, N},
    ("GET", "/data-hub/linkage"): {A, N, P}, ("GET", "/api/data-hub/linkage"): {A, N, P},
    ("GET", "/patrol"): {A, N, P}, ("GET", "/patrol/{run_id}/{file}"): {A, N, P},
    ("GET", "/admin/users"): {A}, ("POST", "/admin/users"): {A},
    ("POST", "/admin/users/{username}/active"): {A},
    ("POST", "/admin/users/{username}/password"): {A}, ("GET", "/admin/audit"): {A},
    ("GET", "/api/meta"): ALL, ("GET", "/api/overview"): ALL, ("GET", "/api/trends"): ALL,
    ("GET", "/api/map/grid"): ALL, ("GET", "/api/map/lsoa"): ALL, ("GET", "/api/map/basemap"): ALL,
    ("GET", "/api/map/hotspots"): ALL, ("GET", "/api/map/points"): {A, N, P},
    ("GET", "/api/data-hub/sources"): {A, N, P}, ("GET", "/api/data-hub/coverage"): {A, N, P},
    ("GET", "/api/data-hub/agreements"): {A, N, P}, ("GET", "/api/data-hub/rejects"): {A, N},
    ("GET", "/api/profiles"): ALL, ("POST", "/api/profiles"): {A, N},
    ("GET", "/api/profiles/{name}"): ALL, ("GET", "/api/patrol-plans"): {A, N, P},
    ("GET", "/api/patrol-plans/{run_id}"): {A, N, P},
    ("GET", "/api/admin/users"): {A}, ("POST", "/api/admin/users"): {A},
    ("POST", "/api/admin/users/{username}/active"): {A},
    ("GET", "/api/audit"): {A}, ("GET", "/api/audit/verify"): {A},
    ("GET", "/data-hub/upload"): {A, N, P}, ("POST", "/data-hub/upload"): {A, N, P},
    ("GET", "/data-hub/jobs/{job_id}"): ALL, ("GET", "/data-hub/jobs/{job_id}/rejects"): ALL,
    ("GET", "/api/jobs/{job_id}"): ALL,
    ("POST", "/local/jobs"): LOCAL, ("GET", "/local/jobs/{job_id}/events"): LOCAL,
    ("GET", "/programme"): ALL, ("GET", "/programme/interventions/{code}"): ALL,
    ("GET", "/funding"): ALL,
    # GPS tagging: this workspace has no electronic-monitoring agreement, so nobody may
    # (tests/tags/test_web.py has the matrix by role and agency with one)
    ("GET", "/tags"): set(), ("POST", "/tags/alerts/{alert_id}"): set(),
    ("GET", "/tags/crime"): set(), ("GET", "/tags/people/{person_pid}"): set(),
    ("GET", "/tags/people/{person_pid}/trail"): set(),
    ("GET", "/api/tags/trail/{person_pid}"): set(), ("GET", "/api/tags/crime"): set(),
    ("GET", "/referrals"): {A, N, P}, ("GET", "/referrals/new"): {A, N, P},
    ("POST", "/referrals"): {A, N, P}, ("GET", "/referrals/{referral_id}"): {A, N, P},
    ("POST", "/referrals/{referral_id}/move"): {A, N, P},
    ("POST", "/referrals/{referral_id}/attendance"): {A, N, P},
}

# Harmless concrete requests for each route (bad ids / bodies, so allowed calls change nothing).
PATH_VALUES = {"{name}": "controlled--no-such-profile.html", "{username}": "ghost", "{job_id}": "1",
               "{run_id}": "999", "{file}": "plan.csv", "{code}": "NO-SUCH-CODE",
               "{referral_id}": "999999", "{alert_id}": "999999", "{person_pid}": "nobody"}
BODIES = {
    ("POST", "/api/profiles"): {"json": {"formats": ["nope"]}},
    ("POST", "/api/admin/users"): {"json": {"username": "x"}},
    ("POST", "/api/admin/users/{username}/active"): {"json": {"active": True}},
    ("POST", "/admin/users"): {"data": {"username": ""}},
    ("POST", "/admin/users/{username}/active"): {"data": {"active": "1"}},
    ("POST", "/admin/users/{username}/password"): {"data": {"password": "x"}},
    ("POST", "/profiles"): {"data": {"fmt": "nope"}},
    ("POST", "/referrals"): {"data": {"intervention_id": "none"}},
    ("POST", "/referrals/{referral_id}/move"): {"data": {"to_status": "assessed"}},
    ("POST", "/referrals/{referral_id}/attendance"): {"data": {"session_date": "2024-01-01"}},
    ("POST", "/data-hub/upload"): {"data": {"source": "nope"}},
}


def _concrete(path: str) -> str:
    for k, v in PATH_VALUES.items():
        path = path.replace(k, v)
    return path


def _call(client: TestClient, method: str, path: str):
    kw = BODIES.get((method, path), {})
    return client.request(method, _concrete(path), follow_redirects=False, **kw)


def _flat_routes(app):
    """(route object, full path) for every route, through FastAPI's included-router wrappers
    (FastAPI >= 0.16x keeps included routers lazily; older versions list plain routes)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        return [(r, r.path) for r in app.routes]
    return [(c.original_route, c.path) for c in iter_route_contexts(app.routes)]


def test_every_route_is_in_the_permission_table(app):
    registered = set()
    for r, path in _flat_routes(app):
        if isinstance(r, APIRoute):
            for m in r.methods:
                registered.add((m, path))
        elif isinstance(r, Mount):
            assert r.path == "/static", f"unexpected mount {r.path} outside the permission table"
        else:
            pytest.fail(f"route {r!r} is not an APIRoute, so the role check would not run on it")
    assert registered == set(ROUTE_PERMISSIONS), (
        f"missing from table: {registered - set(ROUTE_PERMISSIONS)}; "
        f"table entries without a route: {set(ROUTE_PERMISSIONS) - registered}")
    assert set(EXPECTED) == registered, "the test's expected matrix must cover every route"


@pytest.mark.parametrize("role", sorted(ALL))
def test_role_route_matrix(clients, role):
    client = clients[role]
    wrong = []
    for (method, path), allowed in EXPECTED.items():
        if path == "/logout":
            continue  # signs the shared client out; covered in test_logout_revokes_session
        r = _call(client, method, path)
        if allowed == PUBLIC:  # (POST /login without its form token answers 403 itself)
            assert r.status_code != 401 and "location" not in r.headers or path == "/login"
            continue
        ok = allowed != LOCAL and role in allowed
        if ok and r.status_code in (401, 403):
            wrong.append(f"{method} {path}: {role} refused ({r.status_code}) {r.text[:80]}")
        if not ok and r.status_code != 403:
            wrong.append(f"{method} {path}: {role} got {r.status_code}, expected 403")
        assert r.status_code < 500, f"{method} {path} as {role}: {r.status_code} {r.text[:200]}"
    assert not wrong, "\n".join(wrong)


def test_unauthenticated_requests_are_refused(clients):
    anon = clients[None]
    for (method, path), allowed in EXPECTED.items():
        r = _call(anon, method, path)
        if allowed == PUBLIC:
            assert r.status_code < 500 and r.status_code != 401, (method, path, r.status_code)
            if method == "GET":
                assert r.status_code == 200, (method, path, r.status_code)
        elif allowed == LOCAL:
            assert r.status_code == 403, (method, path, r.status_code)
        elif path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code)
        else:
            assert r.status_code == 303, (method, path, r.status_code)
            assert r.headers["location"].startswith("/login?next=")
    assert anon.get("/api/openapi.json").status_code == 401
    # the default FastAPI documentation routes are not exposed at all
    assert anon.get("/openapi.json").status_code == 404
    assert anon.get("/docs").status_code == 404


def test_static_assets_are_served_locally(clients):
    anon = clients[None]
    for asset in ("/static/vendor/leaflet-1.9.4/leaflet.js", "/static/app.css",
                  "/static/vendor/uplot-1.6.32/uPlot.iife.min.js", "/static/js/map.js"):
        assert anon.get(asset).status_code == 200, asset
    page = clients["analyst"].get("/map").text
    assert not re.search(r'(src|href)="(https?:)?//', page), "page references an external asset"
    csp = clients["analyst"].get("/").headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp


def test_session_cookie_flags_and_csrf(app, web_ws):
    c = TestClient(app)
    r = login(c, "analyst")
    cookie = r.headers["set-cookie"]
    assert "vru_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert c.get("/api/me").status_code == 200
    # POST without the CSRF token is refused, with the right one it goes through to validation
    assert c.post("/api/profiles", json={"formats": ["nope"]}).status_code == 403
    token = c.get("/api/me").json()["csrf_token"]
    r = c.post("/api/profiles", json={"formats": ["nope"]}, headers={"X-CSRF-Token": token})
    assert r.status_code == 422
    r = c.post("/api/profiles", json={}, headers={"X-CSRF-Token": "x" + token})
    assert r.status_code == 403
    # the login form has its own CSRF check (double-submit cookie)
    c2 = TestClient(app)
    bad = c2.post("/login", data={"username": "analyst", "password": PASSWORD,
                                  "csrf_token": "forged"}, follow_redirects=False)
    assert bad.status_code == 403 and "vru_session" not in bad.headers.get("set-cookie", "")
    c.close()
    c2.close()


def test_logout_revokes_session(app):
    c = TestClient(app)
    login(c, "viewer")
    token = c.cookies.get("vru_session")
    csrf = c.get("/api/me").json()["csrf_token"]
    r = c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    c2 = TestClient(app)
    c2.cookies.set("vru_session", token)  # replaying the old cookie does not work
    assert c2.get("/api/me").status_code == 401
    c.close()
    c2.close()


def test_disabled_user_is_signed_out_at_once(app, web_ws, clients):
    from vru.privacy import users

    users.add_user(web_ws, "temp.user", PASSWORD, "viewer")
    c = TestClient(app)
    assert login(c, "temp.user").status_code == 303
    assert c.get("/api/me").status_code == 200
    admin = clients["admin"]
    r = admin.post("/api/admin/users/temp.user/active", json={"active": False})
    assert r.status_code == 200 and r.json()["user"]["active"] is False
    assert c.get("/api/me").status_code == 401
    assert login(c, "temp.user").status_code == 401
    c.close()


def test_login_throttling(web_ws):
    app = create_app(web_ws, audit_durable=False, throttle=LoginThrottle(max_failures=3))
    c = TestClient(app)
    codes = [login(c, "viewer", "wrong password!!").status_code for _ in range(3)]
    assert codes == [401, 401, 401]
    r = login(c, "viewer")  # right password, but locked out now
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "vru_session" not in r.headers.get("set-cookie", "")
    c.close()


def _reference_rule(c: int):
    """The NHS rule as published (independent of vru.privacy.disclosure): 1-7 -> '*',
    otherwise round to the nearest 5."""
    if c == 0:
        return 0
    if c <= 7:
        return "*"
    return max(10, 5 * int(c / 5 + 0.5))


def test_viewer_sees_disclosure_controlled_aggregates(clients):
    exact = clients["analyst"].get("/api/overview").json()
    ctrl = clients["viewer"].get("/api/overview").json()
    assert [a["area"] for a in exact["areas"]] == [a["area"] for a in ctrl["areas"]]
    suppressed = 0
    for ea, ca in zip(exact["areas"], ctrl["areas"], strict=True):
        assert ca["serious_violence_12m"] == _reference_rule(ea["serious_violence_12m"])
        assert ca["monthly"] == [_reference_rule(v) for v in ea["monthly"]]
        suppressed += ca["monthly"].count("*")
    grid_e = clients["analyst"].get("/api/map/grid?crime_type=Robbery").json()["features"]
    grid_c = clients["viewer"].get("/api/map/grid?crime_type=Robbery").json()["features"]
    by_id = {f["properties"]["id"]: f["properties"]["count"] for f in grid_e}
    assert len(grid_c) == len(by_id)
    for f in grid_c:
        assert f["properties"]["count"] == _reference_rule(by_id[f["properties"]["id"]])
        suppressed += f["properties"]["suppressed"]
    assert suppressed > 0, "the fixture should produce some small counts to suppress"
    # privileged users see exact counts: they add up to the rows in the workspace
    total = sum(by_id.values())
    assert total > 0 and all(isinstance(v, int) for v in by_id.values())


def test_viewer_trend_page_and_change_never_leak_exact_counts(clients):
    t = clients["viewer"].get("/api/trends?crime_type=Robbery&by=area").json()
    for s in t["series"]:
        for v in s["values"]:
            assert v == "*" or v == 0 or (isinstance(v, int) and v % 5 == 0 and v > 7)
    for a in clients["viewer"].get("/api/overview").json()["areas"]:
        b, r = a["serious_violence_prev_12m"], a["serious_violence_12m"]
        if a["change_pct"] is not None:  # derived from the published values only
            assert a["change_pct"] == round(100 * (r - b) / b, 1)


def test_partner_sees_only_own_agency_records(clients, web_ws):
    pts = clients["partner"].get("/api/map/points").json()
    agencies = {f["properties"]["agency"] for f in pts["features"]}
    assert agencies == {"Bedfordshire Police"}
    expected = web_ws.scalar("SELECT count(*) FROM crimes WHERE longitude IS NOT NULL AND "
                             "reported_by = 'Bedfordshire Police'")
    assert len(pts["features"]) == expected
    everything = clients["analyst"].get("/api/map/points").json()
    assert {f["properties"]["agency"] for f in everything["features"]} == {
        "Bedfordshire Police", "City of London Police"}
    # partners' aggregates are disclosure-controlled like a viewer's
    assert clients["partner"].get("/api/me").json()["access"]["exact_counts"] is False
    assert clients["viewer"].get("/api/map/points").status_code == 403


def test_pages_render_for_each_role(clients):
    for role in ALL:
        page = clients[role].get("/").text
        assert "Serious violence" in page and "<svg class=\"spark\"" in page
        nav = re.findall(r'<nav>(.*?)</nav>', page, re.S)[0]
        assert ("/admin/users" in nav) == (role == "admin")
        assert ("/patrol" in nav) == (role != "viewer")


def test_hotspot_layer_finds_the_planted_cluster(clients):
    from tests.web.conftest import HOT_LONLAT

    fc = clients["viewer"].get("/api/map/hotspots?crime_type=Violence and sexual offences").json()
    # vru.analysis.hotspots is part of vru: a renamed module fails here, never skips
    assert fc["meta"]["available"], "vru.analysis.hotspots not importable"
    hot = [f for f in fc["features"] if f["properties"]["bin"] == 3]
    assert hot, "no 99% hot spot found"
    lon, lat = HOT_LONLAT

    def holds(f):
        ring = f["geometry"]["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return min(xs) <= lon <= max(xs) and min(ys) <= lat <= max(ys)

    assert any(holds(f) for f in hot), "the planted centre is not in a 99% hot cell"
    # and nothing far from the planted cluster is a 99% hot spot (Luton is ~28 km away)
    assert all(abs(f["geometry"]["coordinates"][0][0][1] - lat) < 0.05 for f in hot)


def test_patrol_plan_from_hotspots_cli_is_listed_served_and_mapped(app, clients, web_ws):
    """A plan made by the hotspot engineer's `vru hotspots plan` shows on the patrol page."""
    from vru.web import patrol_view

    assert patrol_view.available(web_ws), "hotspot runs (vru.analysis.hotspots) not available"
    import json

    import numpy as np

    from vru.analysis.hotspots import patrol as pt
    from vru.analysis.hotspots.store import record_run
    from vru.analysis.hotspots.units import grid_units

    # The server holds the workspace's only writer, so the run is recorded the way
    # `vru hotspots plan` records it (its own patrol and store modules), in this process.
    e, n = np.array(web_ws.sql("SELECT easting, northing FROM crimes WHERE easting IS NOT NULL "
                               "AND crime_type = 'Violence and sexual offences'")).T
    units = grid_units(e, n, size=150)
    idx = units.assign(e, n)
    values = np.bincount(idx[idx >= 0], minlength=len(units)).astype(float)
    spots = pt.plan_spots(units, values, top=5)
    out = web_ws.path / "exports" / "hotspots" / "plan-test"
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.geojson").write_text(json.dumps(pt.to_geojson(spots, units, {})))
    spots.to_csv(out / "plan.csv", index=False)
    run_id = record_run(web_ws, "plan", {"period": ["2023-01", "2024-12"], "weighting": "count"},
                        {}, {"spots": 5, "share_pct": 12.5, "area_pct": 0.5, "windows": []},
                        [str(out / "plan.csv"), str(out / "plan.geojson")])
    page = clients["partner"].get("/patrol").text
    assert f"/patrol/{run_id}/plan.csv" in page and "12.5%" in page
    csv = clients["partner"].get(f"/patrol/{run_id}/plan.csv")
    assert csv.status_code == 200 and csv.text.startswith(spots.columns[0])
    assert clients["partner"].get(f"/patrol/{run_id}/..%2Fsecret.csv").status_code == 404
    fc = clients["analyst"].get(f"/api/patrol-plans/{run_id}").json()
    assert len(fc["features"]) == 5
    assert clients["viewer"].get(f"/api/patrol-plans/{run_id}").status_code == 403
    assert f"plan:{run_id}" in clients["analyst"].get("/map").text


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example"])
def test_sign_in_never_redirects_off_site(app, target):
    c = TestClient(app)
    page = c.get("/login", params={"next": target})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token,
                               "next": target}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    c.close()


def test_only_privileged_users_see_exact_profiles(clients, web_ws):
    root = web_ws.path / "exports" / "profiles"
    for kind in ("exact", "controlled"):
        (root / kind).mkdir(parents=True, exist_ok=True)
        (root / kind / f"bedford-{kind}.html").write_text(f"<html>{kind}</html>")
    names = {p["name"] for p in clients["analyst"].get("/api/profiles").json()["profiles"]}
    assert {"exact--bedford-exact.html", "controlled--bedford-controlled.html"} <= names
    for role in ("viewer", "partner"):
        listed = {p["name"] for p in clients[role].get("/api/profiles").json()["profiles"]}
        assert "controlled--bedford-controlled.html" in listed
        assert not any(n.startswith("exact--") for n in listed)
        assert clients[role].get("/profiles/exact--bedford-exact.html").status_code == 404
        r = clients[role].get("/api/profiles/controlled--bedford-controlled.html")
        assert r.status_code == 200 and r.text == "<html>controlled</html>"
    assert clients["analyst"].get("/profiles/exact--..%2F..%2Fsettings.toml").status_code == 404


def test_emerging_layer_marks_the_planted_cluster(clients):
    from tests.web.conftest import HOT_LONLAT

    fc = clients["viewer"].get(
        "/api/map/hotspots?method=emerging&crime_type=Violence and sexual offences").json()
    # vru.analysis.hotspots is part of vru: a renamed module fails here, never skips
    assert fc["meta"]["available"], "vru.analysis.hotspots not importable"
    cats = [f["properties"]["category"] for f in fc["features"]]
    assert cats and "no pattern" not in cats
    lon, lat = HOT_LONLAT
    at_centre = [f["properties"]["category"] for f in fc["features"]
                 if min(p[0] for p in f["geometry"]["coordinates"][0]) <= lon
                 <= max(p[0] for p in f["geometry"]["coordinates"][0])
                 and min(p[1] for p in f["geometry"]["coordinates"][0]) <= lat
                 <= max(p[1] for p in f["geometry"]["coordinates"][0])]
    # Ground truth of the fixture: a constant-rate cluster over all 24 months is hot in every
    # step with no trend, which is the definition of a persistent hot spot.
    assert at_centre == ["persistent hot spot"], at_centre


def test_local_channel_needs_loopback_and_the_token(app):
    """Sessions do not open the local channel; the token does, and only from this machine."""
    from vru.live.handle import ServerHandle

    ctx = app.state.ctx
    ctx.extras["handle"] = ServerHandle(1, "127.0.0.1", 1, "right-token", "", "x")
    body = {"argv": ["status"], "cwd": "/", "user": "x", "pid": 1}
    try:
        remote = TestClient(app, client=("10.1.2.3", 5000))
        local = TestClient(app, client=("127.0.0.1", 5000))
        assert remote.post("/local/jobs", json=body,
                           headers={"x-vru-token": "right-token"}).status_code == 403
        assert local.post("/local/jobs", json=body,
                          headers={"x-vru-token": "wrong"}).status_code == 403
        assert local.post("/local/jobs", json=body).status_code == 403
        # right token from loopback: accepted (no executor in a bare app, so 503, not 403)
        assert local.post("/local/jobs", json=body,
                          headers={"x-vru-token": "right-token"}).status_code == 503
    finally:
        ctx.extras.pop("handle")
