"""Printable, self-contained HTML pages for hot-spot outputs (inline SVG on the British National
Grid, no external assets): maps of units coloured by a class (Gi* bins, emerging categories) and
the patrol plan. Every page states the backtested accuracy of the method that drew it.
Rendering lives here, not in ``vru.analysis``, which stays pure.
"""

from __future__ import annotations

import html
import json
from datetime import datetime

import numpy as np
import pandas as pd

from vru.analysis.hotspots.units import Units
from vru.geo.bng import to_lonlat

GI_COLOURS = {3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7", 0: None,
              -1: "#d1e5f0", -2: "#67a9cf", -3: "#2166ac"}
GI_LABELS = {3: "hot spot, 99%", 2: "hot spot, 95%", 1: "hot spot, 90%",
             -1: "cold spot, 90%", -2: "cold spot, 95%", -3: "cold spot, 99%"}

EHS_COLOURS = {
    "new hot spot": "#fcbba1", "consecutive hot spot": "#fc9272",
    "intensifying hot spot": "#a50f15", "persistent hot spot": "#de2d26",
    "diminishing hot spot": "#fb6a4a", "sporadic hot spot": "#fee0d2",
    "oscillating hot spot": "#cb181d", "historical hot spot": "#bdbdbd",
    "new cold spot": "#c6dbef", "consecutive cold spot": "#9ecae1",
    "intensifying cold spot": "#08519c", "persistent cold spot": "#3182bd",
    "diminishing cold spot": "#6baed6", "sporadic cold spot": "#deebf7",
    "oscillating cold spot": "#2171b5", "historical cold spot": "#969696",
}


def class_map_html(x, y, size: float, classes, colours: dict, labels: dict, title: str,
                   meta: dict, background_xy: tuple | None = None, accuracy: str = "",
                   legend_note: str = "") -> str:
    """Squares of ``size`` metres at centres (x, y) filled by ``colours[class]`` (None = not
    drawn), a legend with counts (and ``legend_note``: how its classes were reached), and the
    parameters and data used."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    cls = np.asarray(classes, dtype=object)
    W, H, pad = 760, 600, 20
    bx, by = (x, y) if background_xy is None else (np.asarray(background_xy[0], float),
                                                   np.asarray(background_xy[1], float))
    if len(bx) == 0:
        bx, by = np.array([0.0, 1.0]), np.array([0.0, 1.0])
    x0, x1, y0, y1 = bx.min(), bx.max(), by.min(), by.max()
    scale = min(W - 2 * pad, H - 2 * pad) / max(x1 - x0 + size, y1 - y0 + size, 1.0)
    side = max(size * scale, 1.0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
             f'viewBox="0 0 {W} {H}" role="img" aria-label="{html.escape(title)}">',
             f'<rect width="{W}" height="{H}" fill="#fafafa" stroke="#999"/>']
    if background_xy is not None:
        for cx, cy in zip(bx, by, strict=True):
            parts.append(f'<rect x="{pad + (cx - size / 2 - x0) * scale:.1f}" '
                         f'y="{H - pad - (cy + size / 2 - y0) * scale:.1f}" width="{side:.1f}" '
                         f'height="{side:.1f}" fill="#e6e6e6"/>')
    counts: dict = {}
    for cx, cy, c in zip(x, y, cls, strict=True):
        col = colours.get(c)
        if col is None:
            continue
        counts[c] = counts.get(c, 0) + 1
        parts.append(f'<rect x="{pad + (cx - size / 2 - x0) * scale:.1f}" '
                     f'y="{H - pad - (cy + size / 2 - y0) * scale:.1f}" width="{side:.1f}" '
                     f'height="{side:.1f}" fill="{col}"/>')
    parts.append("</svg>")
    legend = "".join(
        f'<li><span style="display:inline-block;width:12px;height:12px;background:{col}">'
        f"</span> {html.escape(str(labels.get(c, c)))}: {counts.get(c, 0)}</li>"
        for c, col in colours.items() if col is not None)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:1.5em}}ul{{list-style:none;padding:0}}
pre{{font-size:10px;white-space:pre-wrap}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>British National Grid; each square is one {size:g} m unit; grey = analysed, no class.</p>
<p class="accuracy"><strong>Accuracy:</strong> {html.escape(accuracy or "not backtested")}</p>
{''.join(parts)}
<h2>Legend (units)</h2>{f'<p class="legend-note">{html.escape(legend_note)}</p>' if legend_note else ''}
<ul>{legend}</ul>
<h2>Parameters and data used</h2><pre>{html.escape(json.dumps(meta, indent=2, default=str))}</pre>
</body></html>
"""


def plan_html(plan: pd.DataFrame, units: Units, title: str, meta: dict,
              windows: pd.DataFrame | None = None, context_xy: tuple | None = None,
              accuracy: str = "") -> str:
    """A self-contained printable page: an SVG map of the spots (numbered by rank, on the BNG),
    the plan table, the patrol windows, the plan's backtested accuracy (``accuracy``, a
    sentence) and the parameters and data used."""
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
<p class="accuracy"><strong>Accuracy:</strong> {html.escape(accuracy or "not backtested")}</p>
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
