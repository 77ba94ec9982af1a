"""#12 item 5, fixes found on the way: the last admin stays an admin; a partner's agency is one
the workspace knows; outputs are found again in a copied/moved workspace; viewers get hot-spot
bins, not z-scores; profiles default to disclosure-controlled and exact files have their own
names."""

from __future__ import annotations

import re
import shutil

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.hotspots.conftest import write_street_files
from tests.web.conftest import PASSWORD, login
from vru.cli import app as cli_app
from vru.privacy import agreements, users
from vru.sources.police_uk import import_police
from vru.testing import new_workspace
from vru.web.app import create_app
from vru.workspace import Workspace

PW = PASSWORD + "\n"


def _client(ws, username: str) -> TestClient:
    c = TestClient(create_app(ws, audit_durable=False), base_url="http://testserver")
    assert login(c, username).status_code == 303
    c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
    return c


def test_the_last_active_admin_cannot_disable_or_demote_themselves(tmp_path):
    ws = new_workspace(tmp_path / "ws")
    try:
        users.add_user(ws, "boss", PASSWORD, "admin")
        with pytest.raises(users.LastAdminError, match="last active admin"):
            users.set_active(ws, "boss", False)
        with pytest.raises(users.LastAdminError, match="last active admin"):
            users.set_role(ws, "boss", "analyst")
        c = _client(ws, "boss")
        r = c.post("/api/admin/users/boss/active", json={"active": False})
        assert r.status_code == 409 and "last active admin" in r.json()["detail"]
        page = c.post("/admin/users/boss/active", data={"active": "0"})
        assert "Not changed" in page.text and "last active admin" in page.text
        assert users.get_user(ws, "boss").active
        # With a second active admin, either may step down; then the other is the last one.
        users.add_user(ws, "deputy", PASSWORD, "admin")
        assert users.set_role(ws, "boss", "analyst").role.value == "analyst"
        with pytest.raises(users.LastAdminError):
            users.set_active(ws, "deputy", False)
        c.close()
    finally:
        ws.close()
    r = CliRunner().invoke(cli_app, ["users", "role", "deputy", "viewer", "-w", str(tmp_path / "ws")])
    assert r.exit_code == 2 and "last active admin" in r.output
    r = CliRunner().invoke(cli_app, ["users", "disable", "deputy", "-w", str(tmp_path / "ws")])
    assert r.exit_code == 2 and "last active admin" in r.output


def test_a_partner_agency_must_be_one_the_workspace_knows(tmp_path):
    ws = new_workspace(tmp_path / "ws")
    try:
        with pytest.raises(users.UserError, match=r"unknown agency 'Kingsmere NHS'.*known: none"):
            users.add_user(ws, "nurse", PASSWORD, "partner", agency="Kingsmere NHS")
        with ws.transaction() as con:
            agreements.add(con, "istv", "Kingsmere NHS Trust", "Serious Violence Duty",
                           ["problem profile"], 36)
        import_police(ws, [write_street_files(tmp_path / "files", n_months=1)])
        assert users.known_agencies(ws) == ["Kingsmere NHS Trust", "Testshire Police"]
        with pytest.raises(users.UserError, match="known: Kingsmere NHS Trust, Testshire Police"):
            users.add_user(ws, "nurse", PASSWORD, "partner", agency="Kingsmere NHS")
        # A known agency is stored as the workspace spells it, whatever the case typed.
        u = users.add_user(ws, "nurse", PASSWORD, "partner", agency="kingsmere nhs trust")
        assert u.agency == "Kingsmere NHS Trust"
        assert users.set_role(ws, "nurse", "partner", agency="TESTSHIRE POLICE").agency == \
            "Testshire Police"
        with pytest.raises(users.UserError, match="unknown agency"):
            users.set_role(ws, "nurse", "partner", agency="Somewhere else")
        # Other roles need no agency.
        assert users.add_user(ws, "ana", PASSWORD, "analyst").agency is None
    finally:
        ws.close()


def test_outputs_are_found_in_a_copied_workspace(tmp_path):
    src = tmp_path / "original"
    ws = new_workspace(src, area_name="Testshire")
    import_police(ws, [write_street_files(tmp_path / "files")])
    users.add_user(ws, "analyst", PASSWORD, "analyst")
    ws.close()
    r = CliRunner().invoke(cli_app, ["hotspots", "plan", "-c", "Violence and sexual offences",
                                     "--top", "5", "-w", str(src)])
    assert r.exit_code == 0, r.output
    ws = Workspace.open(src)
    try:
        outputs = ws.scalar("SELECT outputs FROM hotspot_runs WHERE kind = 'plan'")
        assert outputs and all(not o.startswith("/") and o.startswith("exports/")
                               for o in outputs), outputs
        c = _client(ws, "analyst")
        made = c.post("/api/profiles", json={"area": "Testtown", "formats": ["html"]})
        assert made.status_code == 200, made.text
        c.close()
    finally:
        ws.close()

    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(src, moved)
    shutil.rmtree(src)
    ws = Workspace.open(moved)
    try:
        c = _client(ws, "analyst")
        plans = c.get("/api/patrol-plans").json()["plans"]
        assert len(plans) == 1 and "plan.csv" in plans[0]["files"]
        run_id = plans[0]["run_id"]
        fc = c.get(f"/api/patrol-plans/{run_id}").json()
        assert len(fc["features"]) == 5
        csv = c.get(f"/patrol/{run_id}/plan.csv")
        assert csv.status_code == 200 and csv.text.splitlines()[0].startswith("rank")
        profs = c.get("/api/profiles").json()["profiles"]
        assert profs and c.get(f"/api/profiles/{profs[0]['name']}").status_code == 200
        c.close()
    finally:
        ws.close()


def test_viewers_get_hot_spot_bins_not_z_scores(clients):
    q = "/api/map/hotspots?crime_type=Violence+and+sexual+offences"
    exact = clients["analyst"].get(q).json()
    viewer = clients["viewer"].get(q).json()
    assert exact["features"], exact["meta"]
    assert all("z" in f["properties"] for f in exact["features"])
    assert [f["properties"]["bin"] for f in viewer["features"]] == \
        [f["properties"]["bin"] for f in exact["features"]]
    assert all("z" not in f["properties"] for f in viewer["features"])
    rule = viewer["meta"]["disclosure"]["rule"]
    for p in viewer["meta"].get("places", []):
        assert "share_pct" not in p
        v = p["value"]
        assert v == rule["symbol"] or v == 0 or v % rule["round_to"] == 0, p


def test_profiles_default_to_disclosure_control_and_exact_files_have_their_own_names(
        clients, web_ws):
    c = clients["analyst"]
    made = c.post("/api/profiles", json={"area": "Bedford", "formats": ["html"]}).json()
    assert [m["kind"] for m in made["profiles"]] == ["controlled"]
    controlled = made["profiles"][0]["file"]
    exact = c.post("/api/profiles", json={"area": "Bedford", "formats": ["html"],
                                          "exact": True}).json()["profiles"][0]
    assert exact["kind"] == "exact" and exact["file"] != controlled
    assert re.search(r"-exact\.html$", exact["file"]) and not controlled.endswith("-exact.html")
    page = c.get("/profiles").text
    assert 'name="exact" value="1">' in page  # the exact box is not ticked by default


def test_cli_profile_exact_and_controlled_never_share_a_name(tmp_path):
    from tests.profiles.toy import build

    ws = new_workspace(tmp_path / "ws")
    build(ws, partners=False)
    ws.close()
    out = tmp_path / "out"
    base = ["profile", "-w", str(tmp_path / "ws"), "--area", "Carrow", "--period",
            "2022-10..2023-09", "--format", "html", "--out", str(out)]
    assert CliRunner().invoke(cli_app, base).exit_code == 0
    assert CliRunner().invoke(cli_app, [*base, "--privileged"]).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "profile-carrow-oct-2022-to-sep-2023-exact.html", "profile-carrow-oct-2022-to-sep-2023.html"]


def test_a_partner_agency_takes_the_spelling_on_the_records(tmp_path):
    """An agreement may spell the force differently from its records; a partner's records are
    matched on the records' spelling, so that is the one stored."""
    from tests.web.conftest import fill_crimes

    ws = new_workspace(tmp_path / "ws")
    try:
        fill_crimes(ws, n=50)
        with ws.transaction() as con:
            agreements.add(con, "police_rms", " BEDFORDSHIRE POLICE ", "Serious Violence Duty",
                           ["problem profile"], 36)
        u = users.add_user(ws, "pc", PASSWORD, "partner", agency="bedfordshire police")
        assert u.agency == "Bedfordshire Police"
    finally:
        ws.close()


def test_hot_spot_map_of_a_workspace_with_one_crime_is_an_answer_not_an_error(tmp_path):
    from datetime import date

    from vru.testing.crimes import insert_crimes

    ws = new_workspace(tmp_path / "ws")
    try:
        users.add_user(ws, "ana", PASSWORD, "analyst")
        insert_crimes(ws, [{"month": date(2024, 1, 1), "crime_type": "Violence and sexual offences",
                            "longitude": -0.46, "latitude": 52.13, "falls_within": "Testshire Police"}])
        c = _client(ws, "ana")
        r = c.get("/api/map/hotspots?crime_type=Violence+and+sexual+offences")
        assert r.status_code == 200, r.text
        assert r.json()["features"] == [] and "at least 3 places" in r.json()["meta"]["note"]
        c.close()
    finally:
        ws.close()
