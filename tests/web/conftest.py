"""A real workspace with synthetic crimes (inserted via ws.transaction) and one user per role."""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pytest
from fastapi.testclient import TestClient

from vru.geo.bng import to_bng
from vru.geo.grid import cell_sql
from vru.privacy import users
from vru.web.app import create_app
from vru.workspace import Workspace

PASSWORD = "a long test password"
ROLE_USERS = {"admin": None, "analyst": None, "partner": "Bedfordshire Police", "viewer": None}
HOT_LONLAT = (-0.466, 52.136)  # a planted concentration of violence in "Bedford"


def fill_crimes(ws: Workspace, n: int = 4000, seed: int = 7, months: int = 24) -> None:
    """Synthetic police.uk-like crimes in two areas, with a planted violent hot spot."""
    rng = np.random.default_rng(seed)
    types = ["Violence and sexual offences", "Anti-social behaviour", "Burglary", "Robbery",
             "Shoplifting", "Vehicle crime", "Possession of weapons", "Criminal damage and arson"]
    centres = {"Bedford": (-0.47, 52.135), "Luton": (-0.42, 51.88)}
    rows = []
    hot_n = n // 10
    for i in range(n):
        if i < hot_n:
            area, (lon0, lat0), ctype, spread = "Bedford", HOT_LONLAT, types[0], 0.0006
        else:
            area = "Bedford" if rng.random() < 0.55 else "Luton"
            lon0, lat0 = centres[area]
            ctype, spread = types[int(rng.integers(len(types)))], 0.03
        lon = lon0 + rng.normal(0, spread)
        lat = lat0 + rng.normal(0, spread * 0.6)
        m = int(rng.integers(months))
        month = date(2023 + (m // 12), m % 12 + 1, 1)
        lsoa = f"E0100{int(rng.integers(10)):04d}" if area == "Bedford" else \
            f"E0200{int(rng.integers(10)):04d}"
        lsoa_name = f"{area} {int(lsoa[-3:]):03d}A"
        agency = "City of London Police" if i % 50 == 0 else "Bedfordshire Police"
        no_loc = i % 97 == 0
        rows.append((f"c{i:06d}", month, agency, None if no_loc else lon, None if no_loc else lat,
                     f"On or near Street {i % 40}", lsoa, lsoa_name, ctype, i))
    lon = np.array([r[3] if r[3] is not None else np.nan for r in rows])
    lat = np.array([r[4] if r[4] is not None else np.nan for r in rows])
    e, nn = to_bng(lon, lat)
    ce, cn = cell_sql("easting", "northing", ws.settings.grid)
    with ws.transaction() as con:
        con.execute("INSERT INTO imports (import_id, source, started_at, finished_at, user_name, "
                    "files_seen, files_loaded, files_skipped, files_replaced, rows_read, "
                    "rows_loaded, rows_rejected) VALUES (1, 'police_uk', ?, ?, 'test', 1, 1, 0, "
                    "0, ?, ?, 2)", [datetime(2025, 1, 1), datetime(2025, 1, 1), n + 2, n])
        con.execute("INSERT INTO source_files VALUES (1, 1, 'police_uk', 'street', 'x.csv', "
                    "'x.csv', 'abc', 'street/x', 'bedfordshire', NULL, ?, ?, 2, 0, 'active', ?, "
                    "NULL, NULL)",
                    [n + 2, n, datetime(2025, 1, 1)])
        con.execute("CREATE TEMP TABLE t (crime_id VARCHAR, month DATE, reported_by VARCHAR, "
                    "longitude DOUBLE, latitude DOUBLE, location VARCHAR, lsoa_code VARCHAR, "
                    "lsoa_name VARCHAR, crime_type VARCHAR, row_number BIGINT, easting DOUBLE, "
                    "northing DOUBLE)")
        con.executemany("INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", [
            (*r, None if np.isnan(a) else float(a), None if np.isnan(b) else float(b))
            for r, a, b in zip(rows, e, nn, strict=True)])
        con.execute(
            "INSERT INTO crimes (source, crime_id, month, reported_by, falls_within, longitude, "
            "latitude, easting, northing, cell_e, cell_n, location, lsoa_code, lsoa_name, "
            "crime_type, file_id, row_number, import_id) "
            f"SELECT 'police_uk', crime_id, month, reported_by, reported_by, longitude, latitude, "
            f"easting, northing, {ce}, {cn}, location, lsoa_code, lsoa_name, crime_type, 1, "
            "row_number, 1 FROM t")
        con.execute("DROP TABLE t")
        con.execute("INSERT INTO rejects VALUES (1, 1, 'police_uk', 'street', 5, 'Month', "
                    "'not a month: 2023-13', '{\"Month\": \"2023-13\"}'), (1, 1, 'police_uk', "
                    "'street', 9, 'Crime type', 'unknown crime type', '{\"Crime type\": \"x\"}')")


@pytest.fixture(scope="session")
def web_ws(tmp_path_factory):
    ws = Workspace.init(tmp_path_factory.mktemp("webws") / "ws", area_name="Testshire")
    fill_crimes(ws)
    for role, agency in ROLE_USERS.items():
        users.add_user(ws, role, PASSWORD, role, agency=agency)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def app(web_ws):
    return create_app(web_ws, audit_durable=False)


def login(client: TestClient, username: str, password: str = PASSWORD):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, "next": "/"},
                       follow_redirects=False)


@pytest.fixture(scope="session")
def clients(app):
    """One signed-in TestClient per role, plus an anonymous one (key None)."""
    out = {}
    for role in ROLE_USERS:
        c = TestClient(app, base_url="http://testserver")
        r = login(c, role)
        assert r.status_code == 303, r.text
        c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
        out[role] = c
    out[None] = TestClient(app, base_url="http://testserver")
    yield out
    for c in out.values():
        c.close()
