"""A real workspace with synthetic crimes (``vru.testing.crimes.fill_crimes``) and one user per role."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from vru.privacy import users
from vru.testing import new_workspace
from vru.testing.crimes import HOT_LONLAT, fill_crimes  # noqa: F401 (used by the web tests)
from vru.web.app import create_app

PASSWORD = "a long test password"
ROLE_USERS = {"admin": None, "analyst": None, "partner": "Bedfordshire Police", "viewer": None}


@pytest.fixture(scope="session")
def web_ws(tmp_path_factory):
    ws = new_workspace(tmp_path_factory.mktemp("webws") / "ws", area_name="Testshire")
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
