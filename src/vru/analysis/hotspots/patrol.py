"""Patrol plans: the top spots for a period with their share of harm, recommended patrol windows
from time of day, and the spots as GeoJSON. Pure: returns tables and dicts; the printable HTML
page is ``vru.reports.hotspot_pages``.
"""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd

from vru.analysis.hotspots.units import Units
from vru.geo import geojson
from vru.geo.bng import to_lonlat


def plan_spots(units: Units, values, top: int | None = None, coverage_pct: float | None = None,
               min_value: float = 0.0) -> pd.DataFrame:
    """The highest-harm units: the ``top`` N, or as many as fill ``coverage_pct`` of the area of
    ``units`` (one of the two). Columns: rank, unit_id, x, y, area_m2, harm, share_pct,
    cumulative_share_pct, cumulative_area_pct. ``share`` = the unit's part of all harm in
    ``values`` (the planning period's harm: what the plan would have covered)."""
    v = np.asarray(values, float)
    if (top is None) == (coverage_pct is None):
        raise ValueError("give either top (number of spots) or coverage_pct, not both")
    area = units.area_m2 if units.has_area else np.ones(len(units))
    order = np.lexsort((np.arange(len(v)), -v))
    order = order[v[order] > min_value]
    if top is not None:
        if top < 1:
            raise ValueError("top must be at least 1")
        sel = order[:top]
    else:
        cum = np.cumsum(area[order])
        k = int(np.searchsorted(cum, coverage_pct / 100.0 * area.sum() - 1e-9) + 1)
        sel = order[:k]
    total = v.sum()
    share = 100.0 * v[sel] / total if total > 0 else np.zeros(len(sel))
    return pd.DataFrame({
        "rank": np.arange(1, len(sel) + 1),
        "unit_id": units.ids[sel],
        "x": units.x[sel], "y": units.y[sel],
        "area_m2": units.area_m2[sel],
        "harm": v[sel],
        "share_pct": share,
        "cumulative_share_pct": np.cumsum(share),
        "cumulative_area_pct": 100.0 * np.cumsum(area[sel]) / area.sum(),
    })


def patrol_windows(hours, window_hours: int = 2, n_windows: int = 2,
                   weights=None) -> pd.DataFrame:
    """Recommended patrol windows from the hour of day (0-23) of timed events: the
    ``n_windows`` non-overlapping ``window_hours``-long windows (wrapping midnight) holding the
    most events (or weight), chosen greedily. Columns: start_hour, end_hour, share_pct, events.
    Events without a time (NaN hour) are left out and their number reported as ``untimed``."""
    h = np.asarray(hours, float)
    w = np.ones(len(h)) if weights is None else np.asarray(weights, float)
    timed = np.isfinite(h)
    if not timed.any():
        return pd.DataFrame(columns=["start_hour", "end_hour", "share_pct", "events", "untimed"])
    by_hour = np.bincount(h[timed].astype(int) % 24, weights=w[timed], minlength=24)
    total = by_hour.sum()
    taken = np.zeros(24, bool)
    rows = []
    for _ in range(n_windows):
        best, best_s = None, -1.0
        for s in range(24):
            hrs = [(s + k) % 24 for k in range(window_hours)]
            if taken[hrs].any():
                continue
            val = by_hour[hrs].sum()
            if val > best_s:
                best, best_s = s, val
        if best is None or best_s <= 0:
            break
        hrs = [(best + k) % 24 for k in range(window_hours)]
        taken[hrs] = True
        rows.append({"start_hour": best, "end_hour": (best + window_hours) % 24,
                     "share_pct": 100.0 * best_s / total, "events": float(best_s),
                     "untimed": int((~timed).sum())})
    return pd.DataFrame(rows)


def unit_geometry(units: Units, i: int) -> dict:
    """GeoJSON geometry (WGS84) of unit ``i``: a square for grid cells, the hexagon for H3, a
    point (centroid) otherwise."""
    if units.kind == "grid":
        s = units.params["size"]
        x0, y0 = units.x[i] - s / 2, units.y[i] - s / 2
        xs = np.array([x0, x0 + s, x0 + s, x0, x0])
        ys = np.array([y0, y0, y0 + s, y0 + s, y0])
        lon, lat = to_lonlat(xs, ys)
        return geojson.polygon([[round(float(a), 6), round(float(b), 6)]
                                for a, b in zip(lon, lat, strict=True)])
    if units.kind == "hex":
        ring = [[round(lo, 6), round(la, 6)] for la, lo in h3.cell_to_boundary(units.ids[i])]
        ring.append(ring[0])
        return geojson.polygon(ring)
    lon, lat = to_lonlat([units.x[i]], [units.y[i]])
    return geojson.point(round(float(lon[0]), 6), round(float(lat[0]), 6))


def to_geojson(table: pd.DataFrame, units: Units, meta: dict | None = None) -> dict:
    """A FeatureCollection of the rows of ``table`` (needs ``unit_id``); all other columns
    become properties; ``meta`` (parameters, data used) goes in the collection's properties."""
    index = pd.Index(units.ids)
    pos = index.get_indexer(table["unit_id"])
    feats = []
    for row, i in zip(table.to_dict("records"), pos, strict=True):
        props = {k: _jsonable(v) for k, v in row.items()}
        feats.append(geojson.feature(unit_geometry(units, int(i)), props))
    return geojson.collection(feats, properties=meta or {})


def _jsonable(v):
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v
