"""Sessions expire; cached answers follow the data (no stale figures after an import)."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, fill_crimes, login
from vru.privacy import users
from vru.web.app import create_app
from vru.workspace import Workspace


def test_session_expires_and_cache_follows_new_data(tmp_path):
    ws = Workspace.init(tmp_path / "ws", area_name="Expiry")
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
            con.execute("INSERT INTO crimes (source, month, crime_type, file_id, row_number, "
                        "import_id, lsoa_name) SELECT 'police_uk', ?, 'Burglary', 1, "
                        "1000 + i, 2, 'Bedford 001A' FROM range(7) t(i)", [last])
            con.execute("INSERT INTO imports (import_id, source, started_at) "
                        "VALUES (2, 'police_uk', now())")
        after = c.get("/api/overview")
        assert after.headers["x-cache"] == "miss"
        assert after.json()["areas"][0]["all_crime_12m"] == before + 7
        short.close()
        c.close()
    finally:
        ws.close()
