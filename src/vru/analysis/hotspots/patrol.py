"""Patrol plans: the top spots for a period with their share of harm, recommended patrol windows
from time of day, and renderings as CSV rows, GeoJSON and a printable HTML page (inline SVG, no
external assets). Pure: returns tables and strings; the CLI writes the files.
"""

from __future__ import annotations

import html
import json
from datetime import datetime

import h3
import numpy as np
import pandas as pd

from vru.analysis.hotspots.units import Units
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
        return {"type": "Polygon",
                "coordinates": [[[round(float(a), 6), round(float(b), 6)]
                                 for a, b in zip(lon, lat, strict=True)]]}
    if units.kind == "hex":
        ring = [[round(lo, 6), round(la, 6)] for la, lo in h3.cell_to_boundary(units.ids[i])]
        ring.append(ring[0])
        return {"type": "Polygon", "coordinates": [ring]}
    lon, lat = to_lonlat([units.x[i]], [units.y[i]])
    return {"type": "Point", "coordinates": [round(float(lon[0]), 6), round(float(lat[0]), 6)]}


def to_geojson(table: pd.DataFrame, units: Units, meta: dict | None = None) -> dict:
    """A FeatureCollection of the rows of ``table`` (needs ``unit_id``); all other columns
    become properties; ``meta`` (parameters, data used) goes in the collection's properties."""
    index = pd.Index(units.ids)
    pos = index.get_indexer(table["unit_id"])
    feats = []
    for row, i in zip(table.to_dict("records"), pos, strict=True):
        props = {k: _jsonable(v) for k, v in row.items()}
        feats.append({"type": "Feature", "geometry": unit_geometry(units, int(i)),
                      "properties": props})
    return {"type": "FeatureCollection", "features": feats, "properties": meta or {}}


def _jsonable(v):
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def to_html(plan: pd.DataFrame, units: Units, title: str, meta: dict,
            windows: pd.DataFrame | None = None, context_xy: tuple | None = None) -> str:
    """A self-contained printable page: an SVG map of the spots (numbered by rank, on the BNG),
    the plan table, the patrol windows and the parameters and data used."""
    W, H, pad = 700, 520, 20
    xs, ys = plan["x"].to_numpy(float), plan["y"].to_numpy(float)
    if context_xy is not None and len(context_xy[0]):
        bx = np.concatenate([xs, np.asarray(context_xy[0], float)])
        by = np.concatenate([ys, np.asarray(context_xy[1], float)])
    else:
        bx, by = xs, ys
    x0, x1 = (bx.min(), bx.max()) if len(bx) else (0.0, 1.0)
    y0, y1 = (by.min(), by.max()) if len(by) else (0.0, 1.0)
    span = max(x1 - x0, y1 - y0, 1.0)
    scale = min(W - 2 * pad, H - 2 * pad) / span
    size = units.params.get("size", 150.0)

    def sx(v):
        return pad + (v - x0) * scale

    def sy(v):
        return H - pad - (v - y0) * scale

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
             f'viewBox="0 0 {W} {H}" role="img" aria-label="map of patrol spots">',
             f'<rect x="0" y="0" width="{W}" height="{H}" fill="#fafafa" stroke="#999"/>']
    if context_xy is not None:
        for cx, cy in zip(context_xy[0], context_xy[1], strict=True):
            parts.append(f'<circle cx="{sx(cx):.1f}" cy="{sy(cy):.1f}" r="0.8" fill="#bbb"/>')
    half = max(size * scale / 2, 3.0)
    for r in plan.itertuples():
        parts.append(f'<rect x="{sx(r.x) - half:.1f}" y="{sy(r.y) - half:.1f}" '
                     f'width="{2 * half:.1f}" height="{2 * half:.1f}" fill="#c0392b" '
                     f'fill-opacity="0.75" stroke="#7b241c"/>')
        parts.append(f'<text x="{sx(r.x) + half + 2:.1f}" y="{sy(r.y) + 4:.1f}" '
                     f'font-size="11" font-family="sans-serif">{int(r.rank)}</text>')
    bar_m = _nice(span / 5)
    parts.append(f'<line x1="{pad}" y1="{H - 8}" x2="{pad + bar_m * scale:.1f}" y2="{H - 8}" '
                 f'stroke="#000" stroke-width="2"/><text x="{pad + bar_m * scale + 4:.1f}" '
                 f'y="{H - 4}" font-size="10" font-family="sans-serif">{bar_m:g} m</text>')
    parts.append("</svg>")
    cols = ["rank", "unit_id", "harm", "share_pct", "cumulative_share_pct",
            "cumulative_area_pct", "best_window"]
    cols = [c for c in cols if c in plan.columns]
    lon, lat = to_lonlat(xs, ys) if len(xs) else (np.array([]), np.array([]))
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(getattr(r, c)))}</td>" for c in cols)
        + f"<td>{la:.5f}, {lo:.5f}</td></tr>"
        for r, lo, la in zip(plan.itertuples(), lon, lat, strict=True))
    win = ""
    if windows is not None and len(windows):
        win = "<h2>Recommended patrol windows</h2><ul>" + "".join(
            f"<li>{int(r.start_hour):02d}:00-{int(r.end_hour):02d}:00: "
            f"{r.share_pct:.0f}% of timed events</li>" for r in windows.itertuples()) + "</ul>"
    meta_html = html.escape(json.dumps(meta, indent=2, default=str))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:2px 6px;font-size:12px}}pre{{font-size:10px;
white-space:pre-wrap}}@media print{{.noprint{{display:none}}}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>Generated {datetime.now():%Y-%m-%d %H:%M}. Spots are numbered by rank (1 = most harm).
Map on the British National Grid; grey dots are the period's events.</p>
{''.join(parts)}
<h2>Spots</h2><table><tr>{''.join(f'<th>{c}</th>' for c in cols)}<th>lat, lon</th></tr>
{rows}</table>{win}
<h2>Parameters and data used</h2><pre>{meta_html}</pre></body></html>
"""


def _cell(v) -> str:
    if isinstance(v, float | np.floating):
        return f"{v:.2f}"
    return str(v)


def _nice(v: float) -> float:
    if v <= 0:
        return 1.0
    e = 10 ** np.floor(np.log10(v))
    for m in (1, 2, 5, 10):
        if m * e >= v:
            return float(m * e)
    return float(10 * e)
