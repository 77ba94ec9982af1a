"""The must-show on the 36 real Bedfordshire months (slow: imports them once)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from esda.getisord import G_Local
from libpysal.weights import WSP
from typer.testing import CliRunner

from vru.analysis.hotspots import gistar, units
from vru.cli import app
from vru.workspace import Workspace

pytestmark = pytest.mark.slow
VSO = ["-c", "Violence and sexual offences"]


def _cli(ws_path, *args):
    r = CliRunner().invoke(app, ["hotspots", *args, "-w", str(ws_path)])
    assert r.exit_code == 0, r.output
    print(r.output)
    return r


def test_concentration_table_matches_sql_counts(bedfordshire, tmp_path):
    _cli(bedfordshire, "concentration", *VSO, "--size", "150", "--out", str(tmp_path))
    table = pd.read_csv(tmp_path / "concentration_table.csv")
    with Workspace.open(bedfordshire, read_only=True) as ws:
        counts = np.array([r[0] for r in ws.sql(
            "SELECT count(*) FROM crimes WHERE crime_type = 'Violence and sexual offences' "
            "AND easting IS NOT NULL GROUP BY floor(easting / 150), floor(northing / 150)")])
    top = np.sort(counts)[::-1]
    k = int(np.ceil(0.05 * len(top)))
    frac = 0.05 * len(top) - (k - 1)  # the straddling cell counts pro rata
    want = (top[: k - 1].sum() + frac * top[k - 1]) / top.sum() * 100
    got = table.loc[table["area_pct"] == 5.0, "harm_pct"].iloc[0]
    assert got == pytest.approx(want, rel=1e-9)


def test_gistar_map_equals_esda_on_real_data(bedfordshire, tmp_path):
    _cli(bedfordshire, "gistar", *VSO, "--size", "250", "--out", str(tmp_path))
    g = pd.read_csv(tmp_path / "gistar.csv")
    gj = json.loads((tmp_path / "gistar.geojson").read_text())
    assert len(gj["features"]) > 100
    # the band the run chose from the data (incremental spatial autocorrelation)
    band = json.loads((tmp_path / "run.json").read_text())["params"]["distance_m"]
    w = units.distance_band_weights(g["x"], g["y"], band)
    no_diag = w.tolil()
    no_diag.setdiag(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = G_Local(g["value"].to_numpy(), WSP(no_diag.tocsr()).to_W(silence_warnings=True),
                      transform="B", star=True, permutations=0)
    assert np.max(np.abs(g["z"].to_numpy() - ref.Zs)) < 1e-6
    assert np.array_equal(gistar.gi_bins(g["z"], g["p_fdr"]), g["gi_bin"])
    # p by randomisation with FDR (the default): the two town centres, not whole towns. On the
    # 36 months at 250 m: 27 hot cells, 0.63% of the built-up cells (the normal p: far more).
    hot = g["gi_bin"] > 0
    assert hot.sum() >= 10 and hot.mean() < 0.03, hot.sum()
    top = g.nlargest(15, "value")
    assert (top["gi_bin"] > 0).sum() >= 10


def test_emerging_categories(bedfordshire, tmp_path):
    _cli(bedfordshire, "emerging", *VSO, "--size", "250", "--out", str(tmp_path))
    e = pd.read_csv(tmp_path / "emerging.csv")
    assert e["category"].isin(
        [f"{c} hot spot" for c in ("new", "consecutive", "intensifying", "persistent",
                                   "diminishing", "sporadic", "oscillating", "historical")]
        + [f"{c} cold spot" for c in ("new", "consecutive", "intensifying", "persistent",
                                      "diminishing", "sporadic", "oscillating", "historical")]
        + ["no pattern"]).all()
    # the busiest town-centre cells are hot in nearly every month
    busiest = e.sort_values("hot_steps", ascending=False).head(10)
    assert (busiest["hot_steps"] >= 33).all()
    assert busiest["category"].isin(["persistent hot spot", "intensifying hot spot",
                                     "diminishing hot spot"]).all()


def test_backtest_last_twelve_months_every_method(bedfordshire, tmp_path):
    r = _cli(bedfordshire, "backtest", *VSO, "--size", "250", "--eval-months", "12",
             "--out", str(tmp_path))
    assert "PAI at 5% coverage: best =" in r.output
    s = pd.read_csv(tmp_path / "backtest_summary.csv")
    steps = pd.read_csv(tmp_path / "backtest_steps.csv")
    assert sorted(steps["period"].unique()) == [f"{y}-{m:02d}" for y, m in
                                                [(2023, m) for m in range(5, 13)]
                                                + [(2024, m) for m in range(1, 5)]]
    at5 = s[s["coverage_pct"] == 5.0].set_index("method")
    assert (at5["pai"] > 3).all()  # every method far better than a random 5% of cells
    # on police.uk data the long-run map beats last month's map (domain notes)
    assert at5.loc["count", "pai"] > at5.loc["naive", "pai"]
    meta = json.loads((tmp_path / "run.json").read_text())
    assert meta["summary"]["naive_pai_5"] == pytest.approx(at5.loc["naive", "pai"])
    assert meta["data"]["rows"] == meta["data"]["rows_used"] + meta["data"][
        "rows_without_location"]
