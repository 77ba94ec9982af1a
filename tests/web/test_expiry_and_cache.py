"""Sessions expire; cached answers follow the data (no stale figures after an import)."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, fill_crimes, login
from vru.privacy import users
from vru.testing import new_workspace
from vru.testing.crimes import insert_crimes
from vru.web.app import create_app


def test_session_expires_and_cache_follows_new_data(tmp_path):
    ws = new_workspace(tmp_path / "ws", area_name="Expiry")
    try:
        fill_crimes(ws, n=200)
        users.add_user(ws, "ana", PASSWORD, "analyst")
        # sessions: 2 seconds long
        short = TestClient(create_app(ws, audit_durable=False, session_hours=2 / 3600))
        assert login(short, "ana").status_code == 303
        assert short.get("/api/me").status_code == 200
        time.sleep(2.5)
        assert short.get("/api/me").status_code == 401
        assert short.get("/", follow_redirects=False).status_code == 303

        app = create_app(ws, audit_durable=False)
        app.state.ctx.cache.check_s = 0.0  # re-check the data version on every request
        c = TestClient(app)
        login(c, "ana")
        first = c.get("/api/overview")
        assert first.headers["x-cache"] == "miss"
        again = c.get("/api/overview")
        assert again.headers["x-cache"] == "hit" and again.json() == first.json()
        before = first.json()["areas"][0]["all_crime_12m"]
        last = ws.scalar("SELECT max(month) FROM crimes")
        with ws.transaction() as con:  # an import lands: 7 more crimes in the latest month
            insert_crimes(con, [{"month": last, "crime_type": "Burglary", "row_number": 1000 + i,
                                 "lsoa_name": "Bedford 001A"} for i in range(7)],
                          source="police_uk", file_id=1, import_id=2)
            con.execute("INSERT INTO imports (import_id, source, started_at) "
                        "VALUES (2, 'police_uk', now())")
        after = c.get("/api/overview")
        assert after.headers["x-cache"] == "miss"
        assert after.json()["areas"][0]["all_crime_12m"] == before + 7
        short.close()
        c.close()
    finally:
        ws.close()


def test_overview_rates_match_byar_and_hide_with_suppression(tmp_path):
    """Rates per 1,000 with Byar's 95% limits (formula from the domain notes, computed here),
    from the published count; a suppressed count has no rate."""
    import math

    ws = new_workspace(tmp_path / "ws", area_name="Rates")
    try:
        fill_crimes(ws, n=1500)
        with ws.transaction() as con:
            con.execute("INSERT INTO geo_lad VALUES ('E06000055', 'Bedford', NULL, NULL, NULL, "
                        "NULL), ('E06000032', 'Luton', NULL, NULL, NULL, NULL)")
            con.execute("INSERT INTO geo_population VALUES ('E06000055', 'lad', 2024, 'all', "
                        "185000), ('E06000032', 'lad', 2024, 'all', 225000), ('E06000055', "
                        "'lad', 2020, 'all', 1)")
        users.add_user(ws, "ana", PASSWORD, "analyst")
        users.add_user(ws, "vic", PASSWORD, "viewer")
        app = create_app(ws, audit_durable=False)
        a, v = TestClient(app), TestClient(app)
        login(a, "ana")
        login(v, "vic")
        z = 1.959963984540054
        for client, exact in ((a, True), (v, False)):
            areas = {r["area"]: r for r in client.get("/api/overview").json()["areas"]}
            for name, pop in (("Bedford", 185000), ("Luton", 225000)):
                r = areas[name]
                o = r["serious_violence_12m"]
                assert isinstance(o, int) and o >= 10
                lo = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
                hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
                assert r["rate_per_1000"] == round(1000 * o / pop, 2)
                assert abs(r["rate_lower"] - 1000 * lo / pop) < 0.006
                assert abs(r["rate_upper"] - 1000 * hi / pop) < 0.006
                if not exact:
                    assert o % 5 == 0  # computed from the published, rounded count
        # the total has a rate because every area has a population (the 2024 figures, not 2020)
        total = {r["area"]: r for r in a.get("/api/overview").json()["areas"]}["All areas"]
        assert total["rate_per_1000"] == round(
            1000 * total["serious_violence_12m"] / (185000 + 225000), 2)
        # a suppressed count never gets a rate
        from vru.web.views import _rate

        assert _rate("*", 185000)["rate_per_1000"] is None
        assert _rate(None, 185000)["rate_per_1000"] is None
        a.close()
        v.close()
    finally:
        ws.close()
