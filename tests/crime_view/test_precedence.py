"""Must-show (#12 item 1): with both police sources loaded for some months and one source for
others, the coverage table and every output follow the documented precedence (a force extract
that holds a force-month supersedes data.police.uk; otherwise police.uk; a month neither holds
is a gap), and a settings override changes every output the same way.

Both sources are loaded through the importers users run, from files this test writes. The
sources deliberately disagree in the overlap months (different serious-violence counts), so any
output that added them up, or took the wrong one, gives a different number.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.hub.samples import write_csv as write_rms
from tests.police.fixtures import street_row, write_csv
from vru import crime_view
from vru.analysis.hotspots.store import load_events
from vru.privacy import agreements, users
from vru.privacy.pseudonymise import KEY_ENV, KEY_FILE_ENV
from vru.reports.profile import build_profile
from vru.sources.contract import import_source
from vru.sources.police_uk import STREET_COLUMNS, import_police
from vru.sources.registry import SOURCES
from vru.status import workspace_status
from vru.testing import new_workspace
from vru.web.app import create_app
from vru.workspace import Workspace

FORCE = "Test Police"
PASSWORD = "a long test password"
# Serious-violence rows per month in each source (None = the source has no file that month).
UK_SV = {"2023-01": 4, "2023-02": 5, "2023-03": 6, "2023-04": 7, "2023-07": 8}
RMS_SV = {"2023-02": 2, "2023-03": 3, "2023-05": 9}
MONTHS = ["2023-01", "2023-02", "2023-03", "2023-04", "2023-05", "2023-06", "2023-07"]


def served(override: bool) -> dict[str, str | None]:
    """The documented precedence, written out by hand for these files."""
    out = {}
    for m in MONTHS:
        if override and m == "2023-02":
            out[m] = "police_uk"
        elif m in RMS_SV:
            out[m] = "police_rms"
        elif m in UK_SV:
            out[m] = "police_uk"
        else:
            out[m] = None
    return out


def expected_sv(override: bool) -> dict[str, int]:
    return {m: (UK_SV if s == "police_uk" else RMS_SV)[m] if s else 0
            for m, s in served(override).items()}


def expected_all(override: bool) -> dict[str, int]:
    """Serious violence + burglaries of the serving source, + police.uk ASB whenever police.uk
    holds the month (force crime systems do not record ASB)."""
    out = {}
    for m, s in served(override).items():
        n = 0
        if s == "police_uk":
            n = UK_SV[m] + 2
        elif s == "police_rms":
            n = RMS_SV[m] + 1
        out[m] = n + (1 if m in UK_SV else 0)
    return out


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.setenv(KEY_ENV, "precedence-test-key-not-a-secret-1234")
    ws = new_workspace(tmp_path / "ws", area_name="Precedence test")
    i = 0
    for m, n in UK_SV.items():
        rows = []
        for k in range(n):
            rows.append(street_row(i, m, **({"Crime type": "Robbery"} if k == 0 else {})))
            i += 1
        for t in ("Burglary", "Burglary", "Anti-social behaviour"):
            rows.append(street_row(i, m, **{"Crime type": t}))
            i += 1
        write_csv(tmp_path / "uk" / m / f"{m}-test-street.csv", rows, STREET_COLUMNS)
    import_police(ws, [tmp_path / "uk"])
    with ws.transaction() as con:
        agreements.add(con, "police_rms", FORCE, "Serious Violence Duty", ["problem profile"], 36)
    rms = []
    for m, n in RMS_SV.items():
        for k in range(n + 1):
            rms.append(dict(
                crime_reference=f"TP/{m}/{k}", ho_offence_code="8N" if k < n else "28E",
                offence_description="", committed_from=f"{m}-10 22:30", committed_to="",
                easting=str(505040 + 10 * k), northing="249697", location="High St",
                lsoa_code="E01017540", victim_age="19", victim_sex="M", suspect_id="",
                knife_flag="N", domestic_flag="N", last_outcome=""))
    import_source(ws, SOURCES["police_rms"], [write_rms(tmp_path / "rms.csv", rms)])
    users.add_user(ws, "analyst", PASSWORD, "analyst")
    yield ws
    ws.close()


def _client(ws) -> TestClient:
    c = TestClient(create_app(ws, audit_durable=False), base_url="http://testserver")
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": "analyst", "password": PASSWORD,
                               "csrf_token": token, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303
    return c


def outputs(ws, c: TestClient) -> dict[str, dict[str, int]]:
    """Serious violence per month as every consumer reports it."""
    out: dict[str, dict[str, int]] = {}
    tr = c.get("/api/trends?crime_type=serious_violence&by=area").json()
    per = {m: 0 for m in MONTHS}
    for s in tr["series"]:
        for m, v in zip(tr["months"], s["values"], strict=True):
            per[m] += v
    out["api trends"] = per
    out["api overview"] = {}
    out["map grid"] = {}
    for m in MONTHS:
        ov = c.get(f"/api/overview?from={m}&to={m}").json()
        out["api overview"][m] = next(a for a in ov["areas"]
                                      if a["area"] == "All areas")["serious_violence_12m"]
        g = c.get(f"/api/map/grid?from={m}&to={m}&crime_type=serious_violence").json()
        out["map grid"][m] = sum(f["properties"]["count"] for f in g["features"])
    ev = load_events(ws)
    out["hot spots"] = {m: int((ev.frame["month"].astype(str).str[:7] == m).sum())
                        for m in MONTHS}
    return out


def check(ws, override: bool) -> None:
    want_served = served(override)
    cov = {r["month"]: r for r in crime_view.coverage_rows(ws)}
    assert {m: cov[m]["source"] for m in MONTHS} == want_served
    assert [m for m in MONTHS if cov[m]["status"] == "missing"] == ["2023-06"]
    assert cov["2023-02"]["rule"] == ("override" if override else "precedence")
    assert (cov["2023-02"]["police_uk_sv"], cov["2023-02"]["police_rms_sv"]) == (5, 2)
    assert cov["2023-02"]["asb_source"] == "police_uk" and cov["2023-05"]["asb_source"] is None

    sv, every = expected_sv(override), expected_all(override)
    c = _client(ws)
    try:
        got = outputs(ws, c)
        for name, per_month in got.items():
            assert per_month == sv, (name, per_month, sv)
        tr = c.get("/api/trends?by=area").json()
        assert sum(s["total"] for s in tr["series"]) == sum(every.values())
        hub = c.get("/api/data-hub/coverage").json()["coverage"]
        assert {r["month"]: r["source"] for r in hub} == want_served
        page = c.get("/data-hub").text
        assert "Where the sources disagree" in page and "gap" in page
    finally:
        c.close()

    doc = build_profile(ws, FORCE, f"{MONTHS[0]}..{MONTHS[-1]}", privileged=True)
    head = next(b for s in doc.sections for b in s.blocks if getattr(b, "id", "") == "t_headline")
    assert next(r[1] for r in head.rows if r[0].startswith("Serious violence (local")) == \
        sum(sv.values())
    st = workspace_status(ws)
    assert sum(e["serious_violence"] for e in st["coverage"]) == sum(sv.values())
    assert sum(e["rows"] for e in st["coverage"]) == sum(every.values())
    assert [f["force"] for f in st["crime_view"]["forces"]] == [FORCE]
    f = st["crime_view"]["forces"][0]
    assert f["missing_months"] == ["2023-06"]
    assert f["served_by"] == {s: list(want_served.values()).count(s)
                              for s in ("police_rms", "police_uk") if s in want_served.values()}
    assert (f["overlap_months"], f["sv_police_uk"], f["sv_police_rms"]) == (2, 11, 5)
    assert {d["month"] for d in st["crime_view"]["disagreements"]} == {"2023-02", "2023-03"}


def test_precedence_and_gaps_in_every_output(ws):
    check(ws, override=False)


def test_a_settings_override_changes_every_output(ws):
    check(ws, override=False)
    ws.settings.crime_sources.overrides = [
        {"force": FORCE, "source": "police_uk", "from": "2023-02", "to": "2023-02"}]
    ws.save_settings()
    check(ws, override=True)
    # A read-only process sees what the writer decided.
    path = ws.path
    ws.close()
    ro = Workspace.open(path, read_only=True)
    try:
        assert ro.scalar("SELECT source FROM crime_coverage WHERE month = '2023-02-01'") == \
            "police_uk"
    finally:
        ro.close()


def test_bad_override_is_refused_with_its_place(tmp_path):
    from vru.settings import Settings

    s = Settings()
    s.crime_sources.overrides = [{"source": "police_uk", "from": "2023-13"}]
    with pytest.raises(ValueError, match=r"overrides\[1\]: from = '2023-13'"):
        s.validate()
    s.crime_sources.overrides = [{"source": "istv"}]
    with pytest.raises(ValueError, match="source must be one of"):
        s.validate()
    s.crime_sources.overrides = []
    s.crime_sources.precedence = ["police_uk", "police_uk"]
    with pytest.raises(ValueError, match="distinct"):
        s.validate()


def test_a_near_empty_month_at_the_edge_is_partial_not_a_fall_to_zero(tmp_path, monkeypatch):
    """A force extract whose window starts a few hours before its first full month puts a crime
    or two in the month before: the coverage table marks that month partial, hot spots leave it
    out like a gap, and the trends chart leaves it out and names it."""
    from datetime import date

    from vru.analysis.hotspots.store import missing_months
    from vru.web import queries as q
    from vru.web import views
    from vru.web.exit import Exit

    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.setenv(KEY_ENV, "precedence-test-key-not-a-secret-1234")
    ws = new_workspace(tmp_path / "ws")
    try:
        months = ["2023-04", "2023-05", "2023-06", "2023-07"]
        i = 0
        for m in months:
            write_csv(tmp_path / "uk" / m / f"{m}-test-street.csv",
                      [street_row(i + k, m) for k in range(20)], STREET_COLUMNS)
            i += 20
        import_police(ws, [tmp_path / "uk"])
        with ws.transaction() as con:
            agreements.add(con, "police_rms", FORCE, "Serious Violence Duty",
                           ["problem profile"], 36)
        stray = dict(crime_reference="TP/STRAY/1", ho_offence_code="8N", offence_description="",
                     committed_from="2023-03-31 23:00", committed_to="", easting="505040",
                     northing="249697", location="High St", lsoa_code="E01017540",
                     victim_age="19", victim_sex="M", suspect_id="", knife_flag="N",
                     domestic_flag="N", last_outcome="")
        import_source(ws, SOURCES["police_rms"], [write_rms(tmp_path / "rms.csv", [stray])])
        cov = {r["month"]: r["status"] for r in crime_view.coverage_rows(ws)}
        assert cov == {"2023-03": "partial", **{m: "served" for m in months}}
        assert missing_months(ws, [date(2023, 3, 1), date(2023, 4, 1)]) == [date(2023, 3, 1)]
        users.add_user(ws, "analyst", PASSWORD, "analyst")
        ex = Exit(users.get_user(ws, "analyst"), ws.settings.disclosure)
        tr = views.trends(ws, ex, q.Filters(crime_type=q.SERIOUS_VIOLENCE), "area")
        assert tr["months"] == months and tr["partial_months"] == ["2023-03"]
        assert workspace_status(ws)["crime_view"]["forces"][0]["partial_months"] == ["2023-03"]
    finally:
        ws.close()
