"""Gi* at patrol scale on real data (../shared/data; skipped with the reason when absent): the
City of London (data.police.uk, 36 months), where the literal ArcGIS rule (first peak of
z(Moran's I)) picks a town-scale band of 1,000 m and Gi* then flags 28.5% of the study area, and
the NYC shootings on a 250 m grid (a city, another country's data, read from the file)."""

from __future__ import annotations

import html
import json

from typer.testing import CliRunner

from tests.conftest import shared_path
from vru.analysis.hotspots import scale
from vru.cli import app
from vru.testing import new_workspace


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


def test_nyc_shootings_gistar_from_the_file_flags_a_patrol_able_share(tmp_path):
    shootings = shared_path("events", "nyc-shootings", "nyc_shootings_2006-01_2023-06.csv.gz")
    ws = new_workspace(tmp_path / "ws", area_name="New York")
    ws.close()
    r = CliRunner().invoke(app, ["hotspots", "gistar", "-w", str(tmp_path / "ws"),
                                 "--csv", str(shootings), "--x-col", "X_COORD_CD",
                                 "--y-col", "Y_COORD_CD", "--date-col", "OCCUR_DATE",
                                 "--crs", "EPSG:2263", "--dedupe", "INCIDENT_KEY",
                                 "--from", "2020-07", "--to", "2023-06", "--size", "250",
                                 "--out", str(tmp_path / "g")])
    assert r.exit_code == 0, r.output
    run = json.loads((tmp_path / "g" / "run.json").read_text())
    params, summary, data = run["params"], run["summary"], run["data"]
    # 36 months of incidents (one row per INCIDENT_KEY); the study area is every 250 m cell
    # that has had a shooting since 2006
    assert data["months"] == ["2020-07", "2023-06"] and data["months_with_data"] == 36
    assert 4000 < data["events_in_period"] < 4700 and params["n_units"] > 3000
    assert params["distance_m"] <= scale.PATROL_REACH_M
    # 0.2% (8 cells) when written; at 1,000 m (a first-peak-like town-scale band) it is 20%
    assert summary["hot_cells"] > 0 and summary["flagged_area_pct"] < 5.0, summary
