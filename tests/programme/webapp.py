"""A web app over a workspace with a programme, a funding tree, referrals and one user per
kind: analyst, two providers' caseworkers (role partner, agency = provider), a viewer."""

from __future__ import annotations

import os
import re
from datetime import date

from fastapi.testclient import TestClient

from tests.programme.conftest import TEST_KEY, add_funding, add_programme
from vru.privacy import users
from vru.privacy.pseudonymise import KEY_ENV, KEY_FILE_ENV
from vru.programme.ledger import Spend, record_spend
from vru.programme.model import intervention_by_code
from vru.programme.people import PersonIds
from vru.programme.workflow import NewReferral, create_referral, get_referral, move
from vru.testing import new_workspace
from vru.web.app import create_app
from vru.workspace import Workspace

PASSWORD = "a long test password"
USERS = {"analyst": ("analyst", None), "nyt": ("partner", "Northside Youth Trust"),
         "es": ("partner", "Eastfield Sports"), "viewer": ("viewer", None)}


def set_key() -> dict:
    saved = {k: os.environ.get(k) for k in (KEY_ENV, KEY_FILE_ENV)}
    os.environ.pop(KEY_FILE_ENV, None)
    os.environ[KEY_ENV] = TEST_KEY
    return saved


def restore_key(saved: dict) -> None:
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def build(path) -> Workspace:
    ws = new_workspace(path, area_name="Testshire")
    add_programme(ws)
    add_funding(ws)
    record_spend(ws, Spend("N-NYT-24", "2024-25", 1, "15000.00", "MENT"))
    record_spend(ws, Spend("E-ES-24", "2024-25", 2, "9000.50", "SPORT"))
    today = date(2025, 3, 1)
    for i, code in enumerate(["MENT"] * 12 + ["SPORT"] * 3):
        rid = create_referral(ws, NewReferral(intervention_by_code(ws, code), "School",
                                              date(2024, 5, 1), ["exclusion risk"],
                                              PersonIds(pnc_id=f"24/{200000 + i}B"), age=15,
                                              sex="M", ethnicity="WHITE", area="Northside"),
                              "setup", today=today)
        v = get_referral(ws, rid)["version"]
        for st in ("assessed", "accepted", "engaged"):
            v = move(ws, rid, st, date(2024, 5, 2), "setup", v, today=today)
    for name, (role, agency) in USERS.items():
        users.add_user(ws, name, PASSWORD, role, agency=agency)
    return ws


def app_for(ws: Workspace):
    return create_app(ws, audit_durable=False)


def client(app, username: str) -> TestClient:
    c = TestClient(app, base_url="http://testserver")
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token,
                               "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
    return c
