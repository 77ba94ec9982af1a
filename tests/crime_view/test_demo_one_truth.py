"""Must-show (#12 item 1): on the demo, the overview, trends, map totals, the API, the profile and
`vru status` give the same serious-violence count for Kingsmere in 2023/24, and it equals the
synthetic world's ground truth (each crime counted once although both police sources hold it).

The ground truth is computed from the generator's truth files and the input files only: every
crime the world generated (truth/crimes), in the LSOAs the geography pack puts in Kingsmere,
in a serious-violence category, in April 2023 to March 2024, less the crimes the force extract
gives no location (those cannot be placed in any area; read from the extract's CSV files).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from vru.cli import app as cli_app
from vru.privacy import users
from vru.reports.profile import build_profile
from vru.settings import SeriousViolence
from vru.status import workspace_status
from vru.web.app import create_app
from vru.workspace import Workspace

AREA, FROM, TO = "Kingsmere", "2023-04", "2024-03"


@dataclass
class Demo:
    workspace: Path
    data_dir: Path
    user: str
    password: str


@pytest.fixture(scope="module")
def demo(demo_run, tmp_path_factory, monkeypatch_module):
    """A copy of the session's demo (tests/conftest.py `demo_run`, which no test writes to): the
    web app writes its audit and caches here. The demo user's password is shown once by
    `vru demo`, so the copy gets a known one."""
    assert demo_run.result.exit_code == 0, demo_run.result.output
    monkeypatch_module.delenv("VRU_KEY_FILE", raising=False)
    monkeypatch_module.delenv("VRU_PSEUDONYM_KEY", raising=False)
    copy = tmp_path_factory.mktemp("demo_truth") / "ws"
    shutil.copytree(demo_run.workspace, copy, ignore=shutil.ignore_patterns("exports", "*.lock"))
    password = "demo-truth-test-password-7731"
    ws = Workspace.open(copy)
    try:
        users.reset_password(ws, "demo", password)
    finally:
        ws.close()
    return Demo(copy, demo_run.data, "demo", password)


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def ground_truth(data_dir) -> int:
    lsoa = pd.read_csv(data_dir / "geography" / "lsoa.csv", dtype=str)
    lad = pd.read_csv(data_dir / "geography" / "lad.csv", dtype=str)
    codes = set(lsoa.lsoa_code[lsoa.lad_code.isin(lad.lad_code[lad.lad_name == AREA])])
    truth = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False)
                       for f in sorted((data_dir / "truth" / "crimes").glob("*.csv"))])
    month = truth.occurred_at.str[:7]
    sv = set(SeriousViolence().police_uk_categories)
    keep = truth[truth.crime_type.isin(sv) & truth.lsoa_code.isin(codes)
                 & (month >= FROM) & (month <= TO)]
    rms = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False)
                     for f in sorted((data_dir / "police-rms").glob("*.csv"))])
    no_location = set(rms.crime_reference[rms.easting == ""])
    return int((~keep.force_ref.isin(no_location)).sum())


def login(client: TestClient, user: str, password: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"username": user, "password": password,
                                    "csrf_token": token, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text


@pytest.mark.slow
@pytest.mark.timeout(1800)  # may be the test whose setup builds the session's demo
def test_every_output_gives_the_ground_truth_count(demo):
    expected = ground_truth(demo.data_dir)
    assert expected > 100

    ws = Workspace.open(demo.workspace)
    try:
        # Both police sources hold every month of the period: adding them up would double.
        both = ws.scalar("SELECT count(*) FROM crimes_geo WHERE lad_name = ? AND month BETWEEN "
                         "? AND ? AND crime_type IN ('Violence and sexual offences', 'Robbery', "
                         "'Possession of weapons')", [AREA, f"{FROM}-01", f"{TO}-01"])
        assert both > 1.8 * expected

        figures: dict[str, int] = {}
        c = TestClient(create_app(ws, audit_durable=False), base_url="http://testserver")
        login(c, demo.user, demo.password)
        q = f"area={AREA}&from={FROM}&to={TO}&crime_type=serious_violence"

        ov = c.get(f"/api/overview?from={FROM}&to={TO}").json()
        figures["api overview"] = next(a for a in ov["areas"]
                                       if a["area"] == AREA)["serious_violence_12m"]
        page = c.get(f"/?from={FROM}&to={TO}").text
        row = re.search(rf"<td>{AREA}</td>\s*<td class=\"num\">([\d,]+)</td>", page)
        figures["overview page"] = int(row.group(1).replace(",", ""))
        tr = c.get(f"/api/trends?{q}&by=area").json()
        figures["trends"] = sum(s["total"] for s in tr["series"])
        grid = c.get(f"/api/map/grid?{q}").json()
        figures["map grid"] = sum(f["properties"]["count"] for f in grid["features"])
        lsoa = c.get(f"/api/map/lsoa?{q}").json()
        figures["map lsoa"] = sum(f["properties"]["count"] for f in lsoa["features"])
        c.close()

        doc = build_profile(ws, AREA, "2023/24", privileged=True)
        head = next(b for s in doc.sections for b in s.blocks if getattr(b, "id", "") ==
                    "t_headline")
        figures["profile"] = next(r[1] for r in head.rows
                                  if r[0] == "Serious violence (local definition)")
        st = workspace_status(ws)
        figures["status"] = sum(e["by_financial_year"].get("2023/24", {}).get(
            "serious_violence", 0) for e in st["coverage"] if e["area_name"] == AREA)
    finally:
        ws.close()

    res = CliRunner().invoke(cli_app, ["status", "--json", "--workspace", str(demo.workspace)])
    assert res.exit_code == 0, res.output
    cli = json.loads(res.output)
    figures["vru status --json"] = sum(e["by_financial_year"].get("2023/24", {}).get(
        "serious_violence", 0) for e in cli["coverage"] if e["area_name"] == AREA)

    assert figures == {k: expected for k in figures}, (expected, figures)
