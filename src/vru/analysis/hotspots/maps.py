"""Self-contained HTML maps (inline SVG on the British National Grid, no external assets) of
units coloured by a class: Gi* bins and emerging hot spot categories. Pure: returns a string."""

from __future__ import annotations

import html
import json

import numpy as np

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
                   meta: dict, background_xy: tuple | None = None) -> str:
    """Squares of ``size`` metres at centres (x, y) filled by ``colours[class]`` (None = not
    drawn), a legend with counts, and the parameters and data used."""
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
{''.join(parts)}
<h2>Legend (units)</h2><ul>{legend}</ul>
<h2>Parameters and data used</h2><pre>{html.escape(json.dumps(meta, indent=2, default=str))}</pre>
</body></html>
"""
