"""Gi* at patrol scale on real data: the City of London (data.police.uk, 36 months), where the
literal ArcGIS rule (first peak of z(Moran's I)) picks a town-scale band of 1,000 m and Gi* then
flags 28.5% of the study area."""

from __future__ import annotations

import html
import json

from typer.testing import CliRunner

from vru.analysis.hotspots import scale
from vru.cli import app


def test_city_of_london_gistar_flags_a_patrol_able_share(city_of_london, tmp_path):
    r = CliRunner().invoke(app, ["hotspots", "gistar", "-w", str(city_of_london), "-c",
                                 "Violence and sexual offences", "--size", "250",
                                 "--out", str(tmp_path / "g")])
    assert r.exit_code == 0, r.output
    run = json.loads((tmp_path / "g" / "run.json").read_text())
    params, summary = run["params"], run["summary"]
    assert params["n_units"] >= 150 and run["data"]["months_with_data"] == 36
    # the band stays within patrol reach, and says how it was chosen
    assert params["distance_m"] <= scale.PATROL_REACH_M
    assert params["distance_rule"]["reach_m"] == scale.PATROL_REACH_M
    assert "incremental spatial autocorrelation" in params["distance_label"]
    # the unconstrained first peak of z is town scale (reported, out of reach)
    curve = params["moran_curve"]
    z = [c["z"] for c in curve]
    first = next(k for k in range(1, len(z) - 1) if z[k - 1] < z[k] > z[k + 1])
    assert curve[first]["distance_m"] >= 750 and not curve[first]["within_reach"]
    assert "out of reach" in params["distance_method"]
    # a patrol-able share of the built-up City is flagged (1.5%, 3 cells, when written; 28.5%
    # with the band of the first peak of z)
    assert summary["hot_cells"] > 0 and summary["flagged_area_pct"] < 5.0, summary
    # the printed map's legend names the band and how it was chosen
    page = (tmp_path / "g" / "gistar.html").read_text()
    assert html.escape(params["distance_label"]) in page
    assert "Distance band:" in r.output
