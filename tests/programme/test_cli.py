"""`vru programme` and `vru funding` through the real CLI entry point."""

from __future__ import annotations

import json

import openpyxl
from typer.testing import CliRunner

from vru.cli import app
from vru.testing import new_workspace

runner = CliRunner()


def _run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def test_programme_and_funding_commands(tmp_path, key_env):
    ws = tmp_path / "ws"
    new_workspace(ws, area_name="CLI").close()
    w = ("-w", ws)
    r = _run("programme", "toolkit", "--json")
    assert r.exit_code == 0 and any(s["strand"] == "mentoring" and s["impact_pct"] == 21.0
                                    for s in json.loads(r.output))
    r = _run("programme", "intervention", "add", "--code", "MENT", "--name", "Mentoring",
             "--theme", "Early intervention and prevention", "--level", "secondary",
             "--strand", "mentoring", "--provider", "Northside Youth Trust", "--area",
             "Northside", "--start", "2024-04-01", "--cost-per-place", "1250", *w)
    assert r.exit_code == 0, r.output
    r = _run("programme", "intervention", "add", "--code", "X", "--name", "X", "--theme",
             "Knitting", "--level", "secondary", "--strand", "mentoring", "--provider", "P",
             "--area", "A", "--start", "2024-04-01", *w)
    assert r.exit_code == 2 and "not one of the workspace's themes" in r.output
    # Identifiers at hidden prompts: NHS, PNC, UPN, forename, surname, DOB, postcode.
    r = _run("programme", "referral", "add", "--intervention", "MENT", "--agency", "School",
             "--date", "2024-05-01", "--reason", "exclusion risk", "--age", "14", *w,
             input="\n24/123456A\n\n\n\n\n\n")
    assert r.exit_code == 0, r.output
    assert "24/123456A" not in r.output
    for st in ("assessed", "accepted", "engaged"):
        v = json.loads(_run("programme", "referral", "show", "1", "--json", *w).output)[
            "referral"]["version"]
        r = _run("programme", "referral", "move", "1", st, "--date", "2024-05-02",
                 "--version", v, *w)
        assert r.exit_code == 0, r.output
    r = _run("programme", "referral", "move", "1", "completed", "--date", "2024-05-02",
             "--version", "1", *w)
    assert r.exit_code == 2 and "Nothing was saved" in r.output
    r = _run("programme", "reach", "--by", "intervention", "--json", *w)
    assert json.loads(r.output) == [{"intervention": "MENT", "people": 1, "referrals": 1}]
    assert _run("programme", "funnel", *w).exit_code == 0

    for name, kind in (("Home Office", "home_office"), ("PCC", "pcc"),
                       ("Northside Youth Trust", "provider")):
        assert _run("funding", "body", name, "--kind", kind, *w).exit_code == 0
    r = _run("funding", "grant", "HO-24", "--funder", "Home Office", "--recipient", "PCC",
             "--fy", "2024-25", "--amount", "1160000.00", "--condition",
             "evaluation_min_pct=10", *w)
    assert r.exit_code == 0, r.output
    r = _run("funding", "grant", "P-24", "--funder", "PCC", "--recipient",
             "Northside Youth Trust", "--fy", "2024-25", "--amount", "1160000.01", "--parent",
             "HO-24", *w)
    assert r.exit_code == 2 and "nothing devolved may exceed" in r.output
    assert _run("funding", "grant", "P-24", "--funder", "PCC", "--recipient",
                "Northside Youth Trust", "--fy", "2024-25", "--amount", "50000", "--parent",
                "HO-24", *w).exit_code == 0
    assert _run("funding", "spend", "P-24", "1234.56", "--fy", "2024-25", "--quarter", "1",
                "--intervention", "MENT", *w).exit_code == 0
    r = _run("funding", "check", "--json", *w)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["conservation"]["spent_pence"] == 123456
    r = _run("funding", "return", "--fy", "2024-25", "--quarter", "1", "--out",
             tmp_path / "r.xlsx", *w)
    assert r.exit_code == 0, r.output
    assert "Spend by theme and intervention" in openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames
    assert _run("funding", "board", "--fy", "2024-25", *w).exit_code == 0
    assert _run("funding", "positions", *w).exit_code == 0
    assert _run("programme", "outcomes", "MENT", *w).exit_code == 0
    assert _run("programme", "intervention", "list", *w).exit_code == 0
