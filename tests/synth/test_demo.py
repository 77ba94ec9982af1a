"""`vru demo` end to end on a small world, with the network switched off."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from vru.cli import app
from vru.workspace import Workspace


# The session's demo is built in the setup of whichever demo test runs first, and setup counts
# towards that test's timeout: room for the build on a loaded machine.
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_demo_builds_everything_offline(demo_run):
    # The demo is run once per session (tests/conftest.py `demo_run`: seed 3, scale 0.1, the
    # network switched off, no key in the environment) and shared with the profile tests.
    res, ws_path, data = demo_run.result, demo_run.workspace, demo_run.data
    assert res.exit_code == 0, res.output
    assert "Demo ready" in res.output and "vru serve --workspace" in res.output
    key = data / "demo-pseudonymisation.key"
    assert key.exists() and ws_path not in key.parents

    ws = Workspace.open(ws_path, read_only=True)
    try:
        sources = dict(ws.sql("SELECT source, count(*) FROM crimes GROUP BY 1"))
        assert set(sources) == {"police_uk", "police_rms"}
        for table in ("ed_assaults", "hospital_admissions", "education_exclusions",
                      "youth_justice_events", "em_pings", "em_zones", "patrol_logs",
                      "geo_lsoa", "sharing_agreements", "web_users"):
            assert ws.scalar(f"SELECT count(*) FROM {table}") > 0, table
        # Record linkage ran over the partner sources' quasi-identifiers (#15): every
        # person-bearing row with features is linked, and the links agree with the truth.
        assert ws.scalar("SELECT count(*) FROM linkage_models") == 1
        from vru.linkage.service import export_links

        links = export_links(ws)  # named as exported: a police row's victim is police_rms:victim
        assert len(links) == ws.scalar("SELECT count(*) FROM match_features") > 100
        truth = pd.read_csv(data / "truth" / "identity_links.csv", dtype={"row_number": int})
        truth["file"] = truth["file"].str.split("/").str[-1]
        m = links.merge(truth, on=["source", "file", "row_number"], suffixes=("", "_true"))
        assert len(m) >= 0.9 * len(links)
        from vru.linkage.evaluate import score_clusters

        sc = score_clusters(m["person_id_true"].to_numpy(), m["person_id"].to_numpy())
        assert sc.f1 >= 0.9, sc
        # Counts reconcile for every import.
        bad = ws.sql("SELECT source FROM imports WHERE rows_read <> rows_loaded + rows_rejected")
        assert bad == []
        # No raw identifier reached the workspace: check a few true NHS numbers and PNC IDs.
        people = pd.read_csv(data / "truth" / "people.csv", dtype=str, keep_default_na=False)
        raw = ws_path.joinpath("vru.duckdb").read_bytes()
        for v in list(people.nhs_number[:50]) + [p for p in people.pnc_id[:200] if p][:50]:
            assert v.encode() not in raw
    finally:
        ws.close()

    # GPS tags: every planted visit to a crime scene by its suspect is among the matches
    # (the world's em_presence truth), and the planted exclusion-zone visits are episodes.
    tags = ws_path / "exports" / "tags"
    matches = pd.read_csv(tags / "matches.csv", dtype=str)
    assert list(matches.columns) == ["crime_reference", "person_id", "closest_m",
                                     "minutes_within", "first_seen", "last_seen"]
    presence = pd.read_csv(data / "truth" / "em_presence.csv", dtype=str)
    refs = _force_refs(data, presence)
    found = set(matches.crime_reference)
    # A visit can only be matched when the force extract gives its crime a location (the world
    # leaves some extract rows without one, as real extracts do).
    located = _located_refs(data)
    wanted = [refs[u] for u in presence.crime_uid if refs[u] in located]
    assert len(wanted) >= 0.8 * len(presence) > 0
    assert all(r in found for r in wanted), sorted(set(wanted) - found)
    episodes = pd.read_csv(tags / "episodes.csv", dtype=str)
    breaches = pd.read_csv(data / "truth" / "em_breaches.csv", dtype=str)
    assert (episodes.kind == "exclusion").sum() >= len(breaches)

    # Outputs: profiles in three formats; hotspot runs whose patrol plan finds the planted spots.
    prof = ws_path / "exports" / "profile"
    for suffix in ("html", "pdf", "docx"):
        assert list(prof.glob(f"profile-kingsmere-2023-24.{suffix}")), suffix
    # The SNA step: its narrative (the demo's priorities) and sign-off are in the document.
    sna = (prof / "sna-kingsmere-2023-24.html").read_text(encoding="utf-8")
    assert "Priorities: night-time economy violence" in sna and "Demo chair" in sna
    assert "Not yet written" in sna
    plans = sorted((ws_path / "exports" / "hotspots").glob("plan-*/plan.csv"))
    assert plans, "no patrol plan: the hotspot commands must be in this build"
    plan = pd.read_csv(plans[-1])
    truth = pd.read_csv(data / "truth" / "hotspots.csv")
    planted = set(zip(truth.easting.round(), truth.northing.round(), strict=True))
    found = sum((round(x), round(y)) in planted for x, y in zip(plan.x, plan.y, strict=True))
    assert found >= len(truth) // 2, found
    # Gi* at patrol scale (#14 must-show): the top-ranked places are the planted micro-hotspots
    # (truth/hotspots.csv), Gi* confirms them, and all it flags (hot at any confidence, FDR,
    # p from the values' own distribution) is well under 5% of the built-up area, not whole towns
    gdir = sorted((ws_path / "exports" / "hotspots").glob("gistar-*"))[-1]
    places = pd.read_csv(gdir / "places.csv")
    is_planted = [(round(x), round(y)) in planted for x, y in zip(places.x, places.y, strict=True)]
    assert sum(is_planted) >= 0.8 * len(places), (sum(is_planted), len(places))
    confirmed = places[is_planted]["gi_bin"] > 0
    assert confirmed.sum() >= 0.8 * len(confirmed), places
    run = json.loads((gdir / "run.json").read_text())
    assert run["params"]["study_area"].startswith("built-up")
    assert run["params"]["fdr"] is True and run["params"]["inference"] == "empirical"
    assert run["summary"]["patrol_area_pct"] < 1.0
    # the figure on seed 3, scale 0.1: 1.13% (was 6.04% with the normal p)
    assert run["summary"]["flagged_area_pct"] <= 3.0, run["summary"]["flagged_area_pct"]
    gi = pd.read_csv(gdir / "gistar.csv")
    hot = gi[gi.gi_bin > 0]
    found = len(planted & {(round(x), round(y)) for x, y in zip(hot.x, hot.y, strict=True)})
    assert found >= 0.6 * len(truth), found  # most planted spots are flagged Gi* hot spots
    assert "FDR-corrected" in (gdir / "gistar.html").read_text()
    assert run["summary"]["accuracy"]["pai"] > 1.0
    # the forecast step: gbm next to the count baseline, with bootstrap bands
    bdir = sorted((ws_path / "exports" / "hotspots").glob("backtest-*"))[-1]
    boot = pd.read_csv(bdir / "backtest_bootstrap.csv")
    assert set(boot["method"]) == {"count", "gbm"}
    assert set(boot["best_baseline"]) == {"count"}


def test_demo_refuses_a_folder_that_is_not_a_demo(tmp_path):
    target = tmp_path / "precious"
    target.mkdir()
    (target / "notes.txt").write_text("keep")
    res = CliRunner().invoke(app, ["demo", "--workspace", str(target), "--no-analyses"])
    assert res.exit_code != 0
    assert "not a demo workspace" in res.output
    assert (target / "notes.txt").read_text() == "keep"


def _located_refs(data) -> set[str]:
    """Force crime references the force extract files give a location (easting/northing)."""
    out: set[str] = set()
    for f in (data / "police-rms").glob("*.csv"):
        t = pd.read_csv(f, dtype=str, usecols=["crime_reference", "easting", "northing"],
                        keep_default_na=False)
        out.update(t.crime_reference[(t.easting != "") & (t.northing != "")])
    return out


def _force_refs(data, presence: pd.DataFrame) -> dict[str, str]:
    """Force crime reference of each planted visit's crime (truth/crimes/YYYY-MM.csv)."""
    out = {}
    for month in sorted(set(presence.occurred_at.str[:7])):
        t = pd.read_csv(data / "truth" / "crimes" / f"{month}.csv", dtype=str,
                        usecols=["uid", "force_ref"])
        out.update(dict(zip(t.uid, t.force_ref, strict=True)))
    return out
