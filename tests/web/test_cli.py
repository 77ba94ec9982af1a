"""`vru users`, `vru audit` through the real CLI entry point, and tamper detection end to end."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from vru.cli import app
from vru.testing import new_workspace

runner = CliRunner()
PW = "a long cli password\n"


def _run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def test_users_and_audit_commands(tmp_path):
    ws_dir = tmp_path / "ws"
    new_workspace(ws_dir, area_name="CLI test").close()
    w = ["-w", str(ws_dir)]
    r = _run("users", "add", "boss", "--role", "admin", "--password-stdin", *w, input=PW)
    assert r.exit_code == 0, r.output
    r = _run("users", "add", "nhs.partner", "--role", "partner", "--password-stdin", *w, input=PW)
    assert r.exit_code == 2 and "needs --agency" in r.output
    r = _run("users", "add", "nhs.partner", "--role", "partner", "--agency", "NHS Trust",
             "--password-stdin", *w, input=PW)
    assert r.exit_code == 2 and "unknown agency 'NHS Trust'" in r.output
    r = _run("agreements", "add", "--source", "istv", "--agency", "NHS Trust", "--legal-basis",
             "Serious Violence Duty", "--purpose", "problem profile", "--retention-months", "36",
             *w)
    assert r.exit_code == 0, r.output
    r = _run("users", "add", "nhs.partner", "--role", "partner", "--agency", "nhs trust",
             "--password-stdin", *w, input=PW)
    assert r.exit_code == 0, r.output
    assert _run("users", "disable", "nhs.partner", *w).exit_code == 0
    assert _run("users", "reset", "boss", "--password-stdin", *w,
                input="another long password\n").exit_code == 0
    listed = json.loads(_run("users", "list", "--json", *w).output)
    assert [(u["username"], u["role"], u["active"]) for u in listed] == [
        ("boss", "admin", True), ("nhs.partner", "partner", False)]

    r = _run("audit", "verify", *w)
    assert r.exit_code == 0 and "4 records" in r.output, r.output
    shown = [json.loads(x) for x in _run("audit", "show", "--json", *w).output.splitlines()]
    assert [s["action"] for s in shown] == ["users.reset", "users.disable", "users.add",
                                            "users.add"]
    head = _run("audit", "show", "--head", *w).output.strip()
    assert head.startswith("4:") and len(head) == 66
    assert _run("audit", "verify", "--expect", head, *w).exit_code == 0

    # tamper: change who was disabled
    log = ws_dir / "logs" / "audit.log"
    lines = log.read_text().splitlines()
    lines[2] = lines[2].replace("nhs.partner", "someone.else")
    log.write_text("\n".join(lines) + "\n")
    r = _run("audit", "verify", *w)
    assert r.exit_code == 1 and "seq 3" in r.output and "edited" in r.output

    # truncate the tail instead
    log.write_text("\n".join(log.read_text().splitlines()[:2]) + "\n")
    r = _run("audit", "verify", *w)
    assert r.exit_code == 1 and "2 final records deleted" in r.output


def test_web_requests_are_audited_and_tampering_shows(tmp_path):
    from fastapi.testclient import TestClient

    from tests.web.conftest import PASSWORD, fill_crimes, login
    from vru.privacy import users
    from vru.web.app import create_app

    ws = new_workspace(tmp_path / "ws", area_name="Audit test")
    try:
        fill_crimes(ws, n=300)
        users.add_user(ws, "pat", PASSWORD, "partner", agency="Bedfordshire Police")
        users.add_user(ws, "root", PASSWORD, "admin")
        web = create_app(ws, audit_durable=False)
        c = TestClient(web)
        login(c, "pat", "wrong password here")
        login(c, "pat")
        assert c.get("/api/map/points?crime_type=Robbery").status_code == 200
        assert c.get("/api/data-hub/rejects").status_code == 403
        assert web.state.ctx.audit_writer.drain()  # the background writer has flushed
        recs = [json.loads(x) for x in (ws.path / "logs" / "audit.log").read_text().splitlines()]
        acts = [(r["kind"], r["actor"], r["action"]) for r in recs]
        assert ("login", "pat", "login.failed") in acts and ("login", "pat", "login.ok") in acts
        access = [r for r in recs if r["kind"] == "access" and r["action"] == "crimes.records"]
        assert len(access) == 1
        assert access[0]["actor"] == "pat" and access[0]["detail"]["crime_type"] == "Robbery"
        assert access[0]["detail"]["agency"] == "Bedfordshire Police"
        assert access[0]["detail"]["rows"] == ws.scalar(
            "SELECT count(*) FROM crimes WHERE crime_type = 'Robbery' AND longitude IS NOT NULL "
            "AND reported_by = 'Bedfordshire Police'")
        denied = [r for r in recs if r["action"] == "GET /api/data-hub/rejects"]
        assert denied[0]["detail"]["status"] == 403 and denied[0]["actor"] == "pat"
        # the admin's verify endpoint sees the chain intact, then a deletion
        c2 = TestClient(create_app(ws, audit_durable=False))
        login(c2, "root")
        assert c2.get("/api/audit/verify").json()["ok"] is True
        log = ws.path / "logs" / "audit.log"
        lines = log.read_text().splitlines()
        del lines[3]
        log.write_text("\n".join(lines) + "\n")
        res = c2.get("/api/audit/verify").json()
        assert res["ok"] is False and res["problems"]
        c.close()
        c2.close()
    finally:
        ws.close()


def test_cache_warm_up_fills_the_first_questions(tmp_path):
    from tests.web.conftest import fill_crimes
    from vru.web import queries as q
    from vru.web.app import create_app
    from vru.web.warm import warm_cache

    ws = new_workspace(tmp_path / "ws")
    try:
        fill_crimes(ws, n=300)
        ctx = create_app(ws, audit_durable=False).state.ctx
        warm_cache(ctx)
        first, last = q.month_span(ws)
        f = q.Filters(month_from=first, month_to=last, crime_type=q.SERIOUS_VIOLENCE)
        keys = {k for _v, k in ctx.cache._entries}
        assert {("overview", True), ("overview", False), ("grid", f, True),
                ("grid", f, False)} <= keys
    finally:
        ws.close()


def test_serve_refuses_a_workspace_nobody_can_sign_in_to(tmp_path):
    ws_dir = tmp_path / "ws"
    new_workspace(ws_dir).close()
    r = _run("serve", "-w", str(ws_dir), "--port", "1")
    assert r.exit_code == 2 and "no active user" in r.output
