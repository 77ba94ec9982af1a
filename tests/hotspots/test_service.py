"""The one hot-spot service: the web map and the CLI give identical Gi* and emerging results for
the same filters; a deleted month is a gap, never a zero."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from tests.hotspots.conftest import HOT
from vru.analysis.hotspots import service as svc
from vru.cli import app
from vru.geo.geojson import cell_rings
from vru.web import queries as q
from vru.web.hotspot_view import hotspots

VIOLENCE = "Violence and sexual offences"


def _cli(ws, *args):
    r = CliRunner().invoke(app, ["hotspots", *args, "-w", str(ws.path)])
    assert r.exit_code == 0, r.output
    return r


def _cell_key(feature) -> tuple:
    ring = feature["geometry"]["coordinates"][0]
    return tuple(ring[0])


def _keys_of(x, y, size):
    return [tuple(r[0]) for r in cell_rings(np.asarray(x) - size / 2, np.asarray(y) - size / 2,
                                            size)]


def test_web_map_and_cli_give_identical_gistar_and_emerging(street_workspace, tmp_path):
    ws = street_workspace
    f = q.Filters(area="Testtown", month_from=date(2023, 2, 1), month_to=date(2023, 12, 1),
                  crime_type=VIOLENCE)
    flags = ["-c", VIOLENCE, "--area", "Testtown", "--from", "2023-02", "--to", "2023-12"]
    size = float(ws.settings.grid.cell_size_m)

    web = hotspots(ws, f, "gi_star")
    _cli(ws, "gistar", *flags, "--out", str(tmp_path / "g"))
    cli = pd.read_csv(tmp_path / "g" / "gistar.csv")
    run = json.loads((tmp_path / "g" / "run.json").read_text())
    sig = cli[cli["gi_bin"] != 0]
    assert len(sig) > 0
    cli_cells = dict(zip(_keys_of(sig["x"], sig["y"], size),
                         zip(sig["gi_bin"], sig["z"].round(2), strict=True), strict=True))
    web_cells = {_cell_key(ft): (ft["properties"]["bin"], ft["properties"]["z"])
                 for ft in web["features"]}
    assert web_cells == cli_cells
    assert web["meta"]["distance_m"] == run["params"]["distance_m"]
    # the band and how it was chosen, the same on both (the legends print distance_label)
    assert web["meta"]["distance_method"] == run["params"]["distance_method"]
    assert web["meta"]["distance_label"] == run["params"]["distance_label"] == \
        run["summary"]["distance_label"]
    assert run["params"]["distance_rule"]["reach_m"] == 500.0
    assert web["meta"]["study_area"] == run["params"]["study_area"]
    assert web["meta"]["accuracy"] == run["summary"]["accuracy"]
    # the same significance (FDR, p from the values' own distribution), stated on both maps
    assert web["meta"]["significance"] == run["summary"]["significance"] == \
        "FDR-corrected (Benjamini-Hochberg), p from the values' own distribution"
    assert run["summary"]["significance"] in (tmp_path / "g" / "gistar.html").read_text().replace(
        "&#x27;", "'")

    web = hotspots(ws, f, "emerging")
    _cli(ws, "emerging", *flags, "--out", str(tmp_path / "e"))
    cli = pd.read_csv(tmp_path / "e" / "emerging.csv")
    pat = cli[cli["category"] != "no pattern"]
    assert len(pat) > 0
    cli_cats = dict(zip(_keys_of(pat["x"], pat["y"], size), pat["category"], strict=True))
    web_cats = {_cell_key(ft): ft["properties"]["category"] for ft in web["features"]}
    assert web_cats == cli_cats
    erun = json.loads((tmp_path / "e" / "run.json").read_text())
    assert web["meta"]["distance_label"] == erun["params"]["distance_label"]
    # and the planted spots are hot in both
    for cx, cy in HOT:
        near = cli.iloc[int(np.argmin(np.hypot(cli["x"] - cx, cli["y"] - cy)))]
        assert near["category"].endswith("hot spot")


def test_a_deleted_month_is_a_gap_never_a_zero(street_workspace, tmp_path):
    ws = street_workspace
    with ws.transaction() as con:
        con.execute("DELETE FROM crimes WHERE month = DATE '2023-06-01'")
    ev, query = svc.events_for(ws, svc.HotspotQuery(crime_types=(VIOLENCE,)))
    assert ev.missing == ["2023-06"]
    assert "2023-06" not in ev.months and len(ev.months) == 13
    assert ev.data["missing_months"] == ["2023-06"]
    # the emerging cube has one step per month with data: no zero step stands for June
    m = svc.emerging(ev, query)
    assert m.result.z.shape[1] == 13 and m.result.params["missing_steps"] == ["2023-06"]
    assert "2023-06" not in m.labels
    # no evaluated month of the map's accuracy is the missing one
    assert "2023-06" not in m.accuracy.months
    # the outputs say so: printed, in run.json and in the map's GeoJSON
    r = _cli(ws, "gistar", "-c", VIOLENCE, "--out", str(tmp_path / "g"))
    assert "Missing months" in r.output and "2023-06" in r.output
    run = json.loads((tmp_path / "g" / "run.json").read_text())
    assert run["data"]["missing_months"] == ["2023-06"]
    gj = json.loads((tmp_path / "g" / "gistar.geojson").read_text())
    assert gj["properties"]["data"]["missing_months"] == ["2023-06"]
    web = hotspots(ws, q.Filters(crime_type=VIOLENCE), "emerging")
    assert web["meta"]["missing_months"] == ["2023-06"]
    assert web["meta"]["params"]["missing_steps"] == ["2023-06"]
    # backtests and the forecast model: June is never scored and never a zero in the model
    r = _cli(ws, "backtest", "-c", VIOLENCE, "--size", "250", "--eval-months", "9",
             "--methods", "naive,count,gbm", "--out", str(tmp_path / "b"))
    assert "Missing months" in r.output
    steps = pd.read_csv(tmp_path / "b" / "backtest_steps.csv")
    assert "2023-06" not in set(steps["period"])
    assert sorted(set(steps["period"]))[:2] == ["2023-05", "2023-07"]
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert run["params"]["missing_months"] == ["2023-06"]
    # nine months with data are scored; the model's steps are the 13 months with data
    assert len(set(steps["period"])) == 9 and run["data"]["months_with_data"] == 13
