"""Maps drawn offline from our own geometry: LSOA boundaries (WGS84 GeoJSON from the geography
pack) or grid cells, projected to the British National Grid and written as SVG.

No tiles, no network. Values (counts or rates) are classed into a few colours; for
non-privileged output they have already been disclosure-controlled: suppressed areas get their
own class in neutral grey (never a colour of the scale), listed in the legend. Labels name a
few places on the map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape

import numpy as np

from vru.geo.bng import to_bng
from vru.reports.document import sig_figs

PALETTE = ("#deebf7", "#9ecae1", "#4292c6", "#08519c")
ZERO = "#f4f4f4"
SUPPRESSED = "#bdbdbd"  # neutral grey: not a class of the scale
NO_DATA = "#ffffff"


@dataclass
class MapClass:
    label: str
    colour: str


def class_values(values: list, symbol: str | None, n_classes: int = 4
                 ) -> tuple[list[int], list[MapClass]]:
    """Assign each value a class: zero, suppressed (the symbol), or a quantile class.

    Returns (class index per value, classes). Breaks are quantiles of the positive values.
    """
    classes = [MapClass("None", ZERO)]
    idx_supp = None
    if symbol is not None and any(v == symbol for v in values):
        classes.append(MapClass("Suppressed", SUPPRESSED))
        idx_supp = len(classes) - 1
    positive = np.array([float(v) for v in values if not isinstance(v, str) and v and v > 0])
    first_q = len(classes)
    breaks: list[float] = []
    if len(positive):
        qs = np.unique(np.quantile(positive, np.linspace(0, 1, n_classes + 1)[1:-1]))
        breaks = [float(b) for b in qs]
        edges = [float(positive.min()), *breaks, float(positive.max())]
        for i in range(len(edges) - 1):
            lo, hi = edges[i], edges[i + 1]
            # Classes are closed on the right: the first holds lo..hi, later ones (lo, hi].
            a, b = _num(lo), _num(hi)
            label = (f"{a} to {b}" if hi > lo else a) if i == 0 else f"over {a} to {b}"
            classes.append(MapClass(label, PALETTE[min(i, len(PALETTE) - 1)]))
    out = []
    for v in values:
        if isinstance(v, str):
            out.append(idx_supp if idx_supp is not None else 0)
        elif not v or v <= 0:
            out.append(0)
        else:
            out.append(first_q + int(np.searchsorted(breaks, float(v), side="left")))
    return out, classes


def _num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else sig_figs(v)


def _rings_lonlat(geometry: dict) -> list[np.ndarray]:
    t = geometry.get("type")
    coords = geometry.get("coordinates", [])
    polys = [coords] if t == "Polygon" else coords if t == "MultiPolygon" else []
    return [np.asarray(ring, float) for poly in polys for ring in poly if len(ring) >= 3]


@dataclass
class Shape:
    rings: list[np.ndarray]  # BNG metres
    cls: int
    title: str = ""


def shapes_from_geojson(geojsons: list[str], classes: list[int], titles: list[str]
                        ) -> list[Shape]:
    """Project GeoJSON geometries (lon/lat) to BNG in one vectorised call."""
    all_rings = [_rings_lonlat(json.loads(g)) for g in geojsons]
    flat = [r for rings in all_rings for r in rings]
    if not flat:
        return []
    stacked = np.vstack(flat)
    e, n = to_bng(stacked[:, 0], stacked[:, 1])
    pts = np.column_stack([e, n])
    out, pos = [], 0
    for rings, c, t in zip(all_rings, classes, titles, strict=True):
        projected = []
        for r in rings:
            projected.append(pts[pos:pos + len(r)])
            pos += len(r)
        out.append(Shape(projected, c, t))
    return out


def shapes_from_cells(cell_e, cell_n, size: float, classes: list[int]) -> list[Shape]:
    out = []
    for e, n, c in zip(cell_e, cell_n, classes, strict=True):
        e, n = float(e), float(n)
        ring = np.array([[e, n], [e + size, n], [e + size, n + size], [e, n + size]])
        out.append(Shape([ring], c))
    return out


@dataclass
class Label:
    e: float   # BNG metres
    n: float
    text: str


def town_box(shapes: list[Shape]) -> tuple[float, float, float, float] | None:
    """The main town's box (BNG) for an inset: where the smallest areas (a town's dense
    neighbourhoods) cluster, when that is small beside the whole map; None otherwise."""
    if len(shapes) < 12:
        return None
    cent, area = [], []
    for s in shapes:
        r = max(s.rings, key=len)
        x, y = r[:, 0], r[:, 1]
        area.append(abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))) / 2)
        cent.append((float(x.mean()), float(y.mean())))
    c, a = np.array(cent), np.array(area)
    small = c[a <= np.quantile(a, 0.3)]
    ce, cn = np.median(small[:, 0]), np.median(small[:, 1])
    half = float(np.quantile(np.hypot(small[:, 0] - ce, small[:, 1] - cn), 0.8)) + 300
    allpts = np.vstack([r for s in shapes for r in s.rings])
    span = float(max(np.ptp(allpts[:, 0]), np.ptp(allpts[:, 1])))
    if 2 * half > span / 3:
        return None  # the town is most of the map: no inset needed
    return ce - half, cn - half, ce + half, cn + half


def render_svg(shapes: list[Shape], classes: list[MapClass], title: str, legend_title: str,
               width: int = 560, note: str = "", labels: list[Label] | None = None,
               inset: tuple[float, float, float, float] | None = None,
               inset_title: str = "Main town") -> str:
    """A self-contained SVG map with a legend, a scale bar, place labels (white halo) and an
    optional inset: the box ``inset`` (BNG) enlarged below the legend, framed on the map."""
    if not shapes:
        return _empty_svg(title, width)
    allpts = np.vstack([r for s in shapes for r in s.rings])
    (xmin, ymin), (xmax, ymax) = allpts.min(axis=0), allpts.max(axis=0)
    span_x, span_y = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
    map_w = width - 150
    scale = map_w / span_x
    map_h = span_y * scale
    if map_h > 520:
        scale = 520 / span_y
        map_h = 520
        map_w = span_x * scale
    pad, top = 10, 34
    legend_h = 30 + 20 * len(classes)
    inset_px = min(150, width - (pad + map_w + 20) - 5) if inset else 0
    height = int(max(map_h, legend_h + (inset_px + 30 if inset_px > 40 else 0)) + top + 40
                 + (14 if note else 0))

    def path(ring: np.ndarray) -> str:
        x = pad + (ring[:, 0] - xmin) * scale
        y = top + (ymax - ring[:, 1]) * scale
        return "M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True)) + "Z"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{pad}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for s in shapes:
        d = " ".join(path(r) for r in s.rings)
        colour = classes[s.cls].colour if 0 <= s.cls < len(classes) else NO_DATA
        tip = f"<title>{escape(s.title)}</title>" if s.title else ""
        parts.append(f'<path d="{d}" fill="{colour}" stroke="#777" stroke-width="0.3" '
                     f'fill-rule="evenodd">{tip}</path>')
    placed: list[tuple[float, float, float, float]] = []
    for lb in labels or []:
        x, y = pad + (lb.e - xmin) * scale, top + (ymax - lb.n) * scale
        box = (x, y - 13, x + 4 + 5.6 * len(lb.text), y)  # the label's extent, roughly
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
               for b in placed):
            continue  # never print a label over another
        placed.append(box)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="#222"/>')
        parts.append(f'<text x="{x + 4:.1f}" y="{y - 3:.1f}" font-size="10" fill="#111" '
                     'stroke="white" stroke-width="3" paint-order="stroke">'
                     f'{escape(lb.text)}</text>')
    lx = pad + map_w + 20
    parts.append(f'<text x="{lx}" y="{top + 10}" font-size="11" font-weight="bold">'
                 f'{escape(legend_title)}</text>')
    for i, c in enumerate(classes):
        y = top + 20 + 20 * i
        parts.append(f'<rect x="{lx}" y="{y}" width="14" height="14" fill="{c.colour}" '
                     'stroke="#777" stroke-width="0.5"/>')
        parts.append(f'<text x="{lx + 20}" y="{y + 11}" font-size="11">{escape(c.label)}</text>')
    if inset and inset_px > 40:
        parts.extend(_inset(shapes, classes, inset, lx, top + legend_h + 20, inset_px,
                            inset_title, lambda e, n: (pad + (e - xmin) * scale,
                                                       top + (ymax - n) * scale)))
    # Scale bar: a round number of kilometres about a fifth of the map's width.
    km = max(1, int(round(span_x / 5000)))
    bar = km * 1000 * scale
    by = top + map_h + 22
    parts.append(f'<rect x="{pad}" y="{by}" width="{bar:.1f}" height="4" fill="#333"/>')
    parts.append(f'<text x="{pad + bar + 6:.1f}" y="{by + 6}" font-size="10">{km} km</text>')
    if note:
        parts.append(f'<text x="{pad}" y="{by + 18}" font-size="9" fill="#555">'
                     f'{escape(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _inset(shapes, classes, box, x0: float, y0: float, size: float, title: str, to_map
           ) -> list[str]:
    """The inset's SVG: the shapes in ``box`` enlarged into a ``size`` square at (x0, y0),
    clipped to it, and the box framed on the main map."""
    bx0, by0, bx1, by1 = box
    k = size / max(bx1 - bx0, by1 - by0)

    def path(ring: np.ndarray) -> str:
        x = x0 + (ring[:, 0] - bx0) * k
        y = y0 + (by1 - ring[:, 1]) * k
        return "M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True)) + "Z"

    out = [f'<text x="{x0}" y="{y0 - 5}" font-size="11" font-weight="bold">{escape(title)}</text>',
           f'<clipPath id="inset-clip"><rect x="{x0}" y="{y0}" width="{size}" height="{size}"/>'
           "</clipPath>", '<g clip-path="url(#inset-clip)">']
    for s in shapes:
        pts = np.vstack(s.rings)
        if pts[:, 0].max() < bx0 or pts[:, 0].min() > bx1 or pts[:, 1].max() < by0 \
                or pts[:, 1].min() > by1:
            continue
        colour = classes[s.cls].colour if 0 <= s.cls < len(classes) else NO_DATA
        out.append(f'<path d="{" ".join(path(r) for r in s.rings)}" fill="{colour}" '
                   'stroke="#777" stroke-width="0.3" fill-rule="evenodd"/>')
    out.append("</g>")
    out.append(f'<rect x="{x0}" y="{y0}" width="{size}" height="{size}" fill="none" '
               'stroke="#222" stroke-width="1"/>')
    (fx0, fy0), (fx1, fy1) = to_map(bx0, by1), to_map(bx1, by0)
    out.append(f'<rect x="{fx0:.1f}" y="{fy0:.1f}" width="{fx1 - fx0:.1f}" '
               f'height="{fy1 - fy0:.1f}" fill="none" stroke="#222" stroke-width="1" '
               'stroke-dasharray="3,2"/>')
    return out


def _empty_svg(title: str, width: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60" '
            f'viewBox="0 0 {width} 60"><rect width="{width}" height="60" fill="white"/>'
            f'<text x="10" y="35" font-size="13">{escape(title)}: no mapped locations</text>'
            "</svg>")
