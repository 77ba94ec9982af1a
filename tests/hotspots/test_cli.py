"""`vru hotspots ...` end to end on a workspace built from police.uk-format files with planted
hot spots; every run records its parameters and data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from tests.hotspots.conftest import HOT
from vru.cli import app

VIOLENCE = ["-c", "Violence and sexual offences"]


def _run(ws, *args):
    r = CliRunner().invoke(app, ["hotspots", *args, "-w", str(ws.path)])
    assert r.exit_code == 0, r.output
    return r


def _run_json(out: Path) -> dict:
    return json.loads((out / "run.json").read_text())


def test_concentration_gistar_emerging_plan(street_workspace, tmp_path):
    ws = street_workspace
    r = _run(ws, "concentration", *VIOLENCE, "--weighting", "harm", "--out", str(tmp_path / "c"))
    assert "Gini" in r.output
    meta = _run_json(tmp_path / "c")
    assert meta["data"]["categories"] == ["Violence and sexual offences"]
    assert meta["data"]["files"] == 14 and meta["params"]["weighting"] == "harm"
    table = pd.read_csv(tmp_path / "c" / "concentration_table.csv")
    assert table["harm_pct"].is_monotonic_increasing

    _run(ws, "gistar", *VIOLENCE, "--size", "150", "--kde-bandwidth", "300",
         "--out", str(tmp_path / "g"))
    g = pd.read_csv(tmp_path / "g" / "gistar.csv")
    peak = g.iloc[int(g["kde_per_km2"].idxmax())]
    assert min(np.hypot(peak["x"] - cx, peak["y"] - cy) for cx, cy in HOT) < 200
    for cx, cy in HOT:  # hot at 95% or more after FDR, p from the values' own distribution
        near = g.iloc[int(np.argmin(np.hypot(g["x"] - cx, g["y"] - cy)))]
        assert near["gi_bin"] >= 2
    page = (tmp_path / "g" / "gistar.html").read_text()
    assert f"hot spot, 95%: {(g['gi_bin'] == 2).sum()}</li>" in page
    assert "FDR-corrected (Benjamini-Hochberg)" in page
    assert "<script" not in page and "https://" not in page
    gj = json.loads((tmp_path / "g" / "gistar.geojson").read_text())
    assert gj["features"] and gj["properties"]["params"]["fdr"] is True

    r = _run(ws, "emerging", *VIOLENCE, "--size", "150", "--out", str(tmp_path / "e"))
    e = pd.read_csv(tmp_path / "e" / "emerging.csv")
    page = (tmp_path / "e" / "emerging.html").read_text()
    persistent = (e["category"] == "persistent hot spot").sum()
    assert f"persistent hot spot: {persistent}</li>" in page
    for cx, cy in HOT:
        near = e.iloc[int(np.argmin(np.hypot(e["x"] - cx, e["y"] - cy)))]
        assert near["category"] in ("persistent hot spot", "intensifying hot spot",
                                    "diminishing hot spot")

    _run(ws, "plan", *VIOLENCE, "--top", "5", "--out", str(tmp_path / "p"))
    plan = pd.read_csv(tmp_path / "p" / "plan.csv")
    assert len(plan) == 5
    assert (tmp_path / "p" / "plan.html").read_text().startswith("<!doctype html>")
    runs = ws.sql("SELECT kind, params, data FROM hotspot_runs ORDER BY run_id")
    assert [k for k, _, _ in runs] == ["concentration", "gistar", "emerging", "plan"]
    assert all(json.loads(d)["rows"] > 0 for _, _, d in runs)


def test_backtest_prints_best_next_to_naive(street_workspace, tmp_path):
    r = _run(street_workspace, "backtest", *VIOLENCE, "--size", "250", "--eval-months", "3",
             "--sizes", "250,400", "--out", str(tmp_path / "b"))
    assert "PAI at 5% coverage: best =" in r.output and "naive (last month)" in r.output
    s = pd.read_csv(tmp_path / "b" / "backtest_summary.csv")
    assert set(s["method"]) == {"naive", "count", "kde", "prospective", "hawkes", "gbm"}
    # the study area never uses the evaluated months
    assert s["area_definition"].str.startswith("history").all()
    boot = pd.read_csv(tmp_path / "b" / "backtest_bootstrap.csv")
    assert set(boot["best_baseline"]) <= {"naive", "count", "kde"}
    assert (boot["pai_lo"] <= boot["pai"]).all() and (boot["pai"] <= boot["pai_hi"]).all()
    assert "gbm PAI@5%" in r.output
    sens = pd.read_csv(tmp_path / "b" / "sensitivity.csv")
    assert set(sens["grid_m"]) == {250, 400}


def test_nearrepeat_from_csv_and_dosage(street_workspace, tmp_path):
    rng = np.random.default_rng(0)
    n = 800
    x, y = rng.uniform(0, 4000, n), rng.uniform(0, 4000, n)
    d = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    csv = tmp_path / "ev.csv"
    pd.DataFrame({"key": np.arange(n), "x": x / 0.3048006096, "y": y / 0.3048006096,
                  "date": d.strftime("%Y-%m-%d")}).to_csv(csv, index=False)
    r = _run(street_workspace, "nearrepeat", "--csv", str(csv), "--crs", "EPSG:2263",
             "--dedupe", "key", "--permutations", "19", "--out", str(tmp_path / "k"))
    assert "Within 100 m and 7 days" in r.output
    meta = _run_json(tmp_path / "k")
    assert abs(meta["data"]["metres_per_unit"] - 0.3048006096) < 1e-9

    plan = pd.DataFrame({"rank": [1], "unit_id": ["S1"], "x": [500_075.0], "y": [220_075.0]})
    plan.to_csv(tmp_path / "plan.csv", index=False)
    ts = pd.date_range("2024-01-01 09:00", periods=21, freq="min")
    pd.DataFrame({"patrol_id": "P", "timestamp": ts, "easting": 500_070.0,
                  "northing": 220_080.0}).to_csv(tmp_path / "gps.csv", index=False)
    r = _run(street_workspace, "dosage", "--plan", str(tmp_path / "plan.csv"), "--gps",
             str(tmp_path / "gps.csv"), "--size", "150", "--out", str(tmp_path / "d"))
    comp = pd.read_csv(tmp_path / "d" / "compliance.csv")
    assert comp.loc[0, "total_minutes"] == 20 and comp.loc[0, "days_met"] == 1


def test_bad_gps_file_names_row_and_field(street_workspace, tmp_path):
    pd.DataFrame({"rank": [1], "unit_id": ["S1"], "x": [0.0], "y": [0.0]}).to_csv(
        tmp_path / "plan.csv", index=False)
    (tmp_path / "gps.csv").write_text(
        "patrol_id,timestamp,easting,northing\nP,2024-01-01 09:00,1,2\nP,2024-01-01 09:01,x,2\n")
    r = CliRunner().invoke(app, ["hotspots", "dosage", "-w", str(street_workspace.path),
                                 "--plan", str(tmp_path / "plan.csv"),
                                 "--gps", str(tmp_path / "gps.csv")])
    assert r.exit_code == 2
    assert "row 2, field 'easting'" in r.output


def test_dosage_from_imported_patrol_pings(street_workspace, tmp_path):
    ws = street_workspace
    with ws.transaction() as con:
        for k in range(16):  # 15 minutes inside the spot, one ping a minute
            con.execute("INSERT INTO patrol_pings (patrol_id, ping_at, longitude, latitude, "
                        "easting, northing, file_id, row_number, import_id) "
                        "VALUES ('P7', TIMESTAMP '2024-02-01 20:00' + INTERVAL (?) MINUTE, "
                        "-0.4, 52.1, 500070, 220080, 99, ?, 99)", [k, k + 1])
    pd.DataFrame({"rank": [1], "unit_id": ["S1"], "x": [500_075.0], "y": [220_075.0]}).to_csv(
        tmp_path / "plan.csv", index=False)
    _run(ws, "dosage", "--plan", str(tmp_path / "plan.csv"), "--size", "150",
         "--out", str(tmp_path / "d"))
    comp = pd.read_csv(tmp_path / "d" / "compliance.csv")
    assert comp.loc[0, "total_minutes"] == 15 and comp.loc[0, "compliance_pct"] == 100
    assert _run_json(tmp_path / "d")["data"]["table"] == "patrol_pings"


def test_plan_recommends_windows_from_event_times(street_workspace, tmp_path):
    ws = street_workspace
    # give the events times, as a force extract would: the planted spots at 22:00-23:59,
    # everything else at midday
    with ws.transaction() as con:
        con.execute("UPDATE crimes SET occurred_from = month + INTERVAL 12 HOUR")
        for cx, cy in HOT:
            con.execute("UPDATE crimes SET occurred_from = month + INTERVAL 22 HOUR "
                        "+ INTERVAL (row_number % 120) MINUTE "
                        "WHERE (easting - ?) ^ 2 + (northing - ?) ^ 2 < 150 ^ 2", [cx, cy])
    r = _run(ws, "plan", *VIOLENCE, "--top", "2", "--size", "150", "--out", str(tmp_path))
    assert "Patrol windows" in r.output
    plan = pd.read_csv(tmp_path / "plan.csv")
    assert (plan["best_window"].str.startswith("22:00-00:00")).all()
    meta = _run_json(tmp_path)
    assert meta["summary"]["windows"][0]["start_hour"] == 22


def test_other_units_hex_and_lsoa(street_workspace, tmp_path):
    _run(street_workspace, "gistar", *VIOLENCE, "--unit", "hex", "--resolution", "10",
         "--out", str(tmp_path / "h"))
    g = pd.read_csv(tmp_path / "h" / "gistar.csv")
    assert g["unit_id"].str.len().eq(15).all()  # H3 cell ids
    assert (g["gi_bin"] == 3).any()
    # every synthetic event carries the same LSOA: one place, which Gi* cannot compare
    r = CliRunner().invoke(app, ["hotspots", "gistar", "-w", str(street_workspace.path),
                                 *VIOLENCE, "--unit", "lsoa"])
    assert r.exit_code == 2 and "at least 3 places" in r.output
