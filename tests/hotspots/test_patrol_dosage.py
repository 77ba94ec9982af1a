"""Patrol plans, windows, exports, and dosage from a GPS track built with known minutes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from vru.analysis.hotspots import dosage as dos
from vru.analysis.hotspots import patrol as pt
from vru.analysis.hotspots import units as un
from vru.reports.hotspot_pages import plan_html


def _units():
    x = np.array([10.0, 160.0, 310.0, 460.0, 610.0]) + 500_000
    y = np.full(5, 220_010.0)
    return un.grid_units(x, y, 150)


def test_plan_top_and_coverage():
    u = _units()
    values = np.array([1.0, 8.0, 0.0, 5.0, 6.0])
    p = pt.plan_spots(u, values, top=2)
    assert p["harm"].tolist() == [8.0, 6.0]
    assert p["share_pct"].tolist() == pytest.approx([40.0, 30.0])
    assert p["cumulative_area_pct"].iloc[-1] == pytest.approx(40.0)
    p = pt.plan_spots(u, values, coverage_pct=60.0)
    assert len(p) == 3 and p["cumulative_share_pct"].iloc[-1] == pytest.approx(95.0)
    with pytest.raises(ValueError):
        pt.plan_spots(u, values)


def test_patrol_windows_wrap_midnight():
    hours = np.array([23, 23, 0, 0, 0, 1, 14, 15, np.nan])
    w = pt.patrol_windows(hours, window_hours=2, n_windows=2)
    assert (w.iloc[0]["start_hour"], w.iloc[0]["end_hour"]) in ((23, 1), (0, 2))
    assert w.iloc[0]["share_pct"] == pytest.approx(100 * 5 / 8)
    assert w.iloc[1]["start_hour"] == 14 and w.iloc[0]["untimed"] == 1


def test_geojson_and_html_exports():
    u = _units()
    p = pt.plan_spots(u, np.array([1.0, 8.0, 0.0, 5.0, 6.0]), top=3)
    gj = pt.to_geojson(p, u, {"params": {"top": 3}})
    json.dumps(gj)
    assert len(gj["features"]) == 3
    ring = gj["features"][0]["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert -2.5 < ring[0][0] < 0 and 51 < ring[0][1] < 53  # near Bedford, lon/lat order
    page = plan_html(p, u, "Plan <test>", {"params": {"top": 3}}, pt.patrol_windows([1, 2]))
    assert page.count("<rect") >= 4 and "Plan &lt;test&gt;" in page
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def _track(patrol, start, pts, every_min=1.0):
    ts = pd.date_range(start, periods=len(pts), freq=pd.Timedelta(minutes=every_min))
    return pd.DataFrame({"patrol_id": patrol, "timestamp": ts,
                         "x": [p[0] for p in pts], "y": [p[1] for p in pts]})


def test_dosage_minutes_visits_and_compliance():
    spots = pd.DataFrame({"unit_id": ["A", "B"], "x": [0.0, 1000.0], "y": [0.0, 0.0]})
    fences = dos.spots_from_plan(spots, size=150)
    out = (500.0, 500.0)
    # day 1: 20 minutes in A (21 pings 1 min apart), out, 6 minutes in B
    day1 = _track("P1", "2024-03-01 10:00", [out] + [(10.0, 5.0)] * 21 + [out] * 3
                  + [(1000.0, 0.0)] * 7 + [out])
    # day 2: 10 minutes in A split by a 30-minute GPS outage that must not be credited
    day2a = _track("P1", "2024-03-02 10:00", [(0.0, 0.0)] * 6)
    day2b = _track("P1", "2024-03-02 10:35", [(0.0, 0.0)] * 6)
    pings = pd.concat([day1, day2a, day2b], ignore_index=True)
    m = dos.dosage(pings, fences, max_gap_min=5)
    got = {(r.unit_id, str(r.date)): (r.minutes, r.visits) for r in m.itertuples()}
    # entering and leaving: half of each boundary interval
    assert got[("A", "2024-03-01")] == (pytest.approx(20 + 0.5 + 0.5), 1)
    assert got[("B", "2024-03-01")] == (pytest.approx(6 + 0.5 + 0.5), 1)
    assert got[("A", "2024-03-02")] == (pytest.approx(10.0), 1)
    per, summ = dos.compliance(m, fences, ["2024-03-01", "2024-03-02"], target_min=15)
    a = per.set_index("unit_id").loc["A"]
    assert a["days_met"] == 1 and a["compliance_pct"] == pytest.approx(50.0)
    assert summ["spot_days"] == 4 and summ["spot_days_met"] == 1
    gaps = dos.gps_gaps(pings, 5)
    assert gaps.loc[0, "gaps"] >= 1


def test_circular_geofence():
    spots = dos.spots_from_plan(pd.DataFrame({"unit_id": ["A"], "x": [0.0], "y": [0.0]}),
                                radius=50)
    assert dos.which_spot([0, 30, 40, 60], [0, 30, 40, 0], spots).tolist() == [0, 0, -1, -1]
