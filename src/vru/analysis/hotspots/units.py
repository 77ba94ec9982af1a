"""Spatial units for hotspot analysis: square grid cells, H3 hexagons, LSOAs and police.uk snap
points, plus the spatial weights that Gi* needs.

A :class:`Units` object is the list of places an analysis ranks: an id, a centroid on the British
National Grid and an area per unit. ``assign`` maps events onto unit indices (-1 = outside).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import h3
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from vru.geo.bng import to_bng, to_lonlat

UNIT_KINDS = ("grid", "hex", "lsoa", "snap")


@dataclass
class Units:
    """A set of places. ``x``/``y`` are centroids (BNG metres); ``area_m2`` may be NaN (snap
    points have no area; LSOAs have one only when boundaries were supplied)."""

    kind: str
    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    area_m2: np.ndarray
    params: dict = field(default_factory=dict)
    codes: np.ndarray | None = None  # grid only: sorted integer cell codes (fast lookup)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def has_area(self) -> bool:
        return bool(np.all(np.isfinite(self.area_m2)))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"unit_id": self.ids, "x": self.x, "y": self.y,
                             "area_m2": self.area_m2})

    # --------------------------------------------------------------- event -> unit
    def keys_of(self, e, n, lsoa=None) -> np.ndarray:
        """The unit key (same form as ``ids``) of each event; '' where it has none."""
        e = np.asarray(e, float)
        n = np.asarray(n, float)
        ok = np.isfinite(e) & np.isfinite(n)
        out = np.full(len(e), "", dtype=object)
        if self.kind == "grid":
            s, oe, on = self.params["size"], self.params["origin_e"], self.params["origin_n"]
            col = np.floor((e[ok] - oe) / s).astype(np.int64)
            row = np.floor((n[ok] - on) / s).astype(np.int64)
            out[ok] = grid_keys(col, row, s, oe, on)
        elif self.kind == "hex":
            lon, lat = to_lonlat(e[ok], n[ok])
            res = self.params["resolution"]
            out[ok] = [h3.latlng_to_cell(la, lo, res) for la, lo in zip(lat, lon, strict=True)]
        elif self.kind == "lsoa":
            if lsoa is None:
                raise ValueError("LSOA units need each event's lsoa_code")
            codes = pd.Series(lsoa, dtype=object).fillna("").to_numpy()
            out[:] = codes
        elif self.kind == "snap":
            out[ok] = snap_keys(e[ok], n[ok])
        else:  # pragma: no cover - guarded by the constructors
            raise ValueError(f"unknown unit kind {self.kind!r}")
        return out

    def assign(self, e, n, lsoa=None) -> np.ndarray:
        """Index into ``ids`` for each event, -1 when the event falls in no unit."""
        if self.kind == "grid" and self.codes is not None:
            e = np.asarray(e, float)
            n = np.asarray(n, float)
            ok = np.isfinite(e) & np.isfinite(n)
            p = self.params
            code = np.zeros(len(e), np.int64)
            code[ok] = _grid_code(np.floor((e[ok] - p["origin_e"]) / p["size"]),
                                  np.floor((n[ok] - p["origin_n"]) / p["size"]))
            pos = np.searchsorted(self.codes, code)
            pos = np.minimum(pos, len(self.codes) - 1)
            hit = ok & (self.codes[pos] == code)
            return np.where(hit, pos, -1).astype(np.int64)
        keys = self.keys_of(e, n, lsoa)
        lookup = pd.Index(self.ids)
        idx = lookup.get_indexer(keys)
        return idx.astype(np.int64)

    def describe(self) -> str:
        if self.kind == "grid":
            p = self.params
            ext = p["extent"] + (f" {p['pad']} cells" if p["extent"] != "events" else "")
            return (f"{p['size']:g} m grid cells (origin E{p['origin_e']:g} N{p['origin_n']:g}; "
                    f"{ext} extent)")
        if self.kind == "hex":
            return f"H3 hexagons, resolution {self.params['resolution']}"
        if self.kind == "lsoa":
            return "LSOAs"
        return "police.uk snap points"


# ------------------------------------------------------------------ grid cells
_OFF = 2**24   # cells up to 16 million from the origin in either direction
_MUL = 2**26


def _grid_code(col, row) -> np.ndarray:
    return ((np.asarray(col).astype(np.int64) + _OFF) * _MUL
            + (np.asarray(row).astype(np.int64) + _OFF))


def grid_keys(col, row, size: float, origin_e: float, origin_n: float) -> np.ndarray:
    """Cell ids in the project's format (``150m_E505050_N0225150``: size and lower-left corner)."""
    ce = (np.asarray(col) * size + origin_e).astype(np.int64)
    cn = (np.asarray(row) * size + origin_n).astype(np.int64)
    return np.array([f"{int(size)}m_E{a:06d}_N{b:07d}" for a, b in zip(ce, cn, strict=True)],
                    dtype=object)


MAX_GRID_CELLS = 2_000_000


def grid_units(e, n, size: float = 150, origin_e: float = 0, origin_n: float = 0,
               extent: str = "events", pad: int = 2) -> Units:
    """Square cells of ``size`` metres.

    ``extent``: ``'events'`` keeps the cells holding at least one event (ArcGIS's space-time
    cube convention); ``'buffer'`` adds every cell within ``pad`` cells of those, so empty
    places near the action count as places (a few stray far-away events, common in police.uk
    files, do not blow up the grid); ``'bbox'`` keeps every cell of the events' bounding box
    grown by ``pad`` cells (refused above 2 million cells)."""
    if size <= 0:
        raise ValueError("grid size must be a positive number of metres")
    if extent not in ("events", "buffer", "bbox"):
        raise ValueError("extent must be 'events', 'buffer' or 'bbox'")
    e = np.asarray(e, float)
    n = np.asarray(n, float)
    ok = np.isfinite(e) & np.isfinite(n)
    if not ok.any():
        raise ValueError("no events with coordinates to build a grid from")
    col = np.floor((e[ok] - origin_e) / size).astype(np.int64)
    row = np.floor((n[ok] - origin_n) / size).astype(np.int64)
    if extent in ("events", "buffer"):
        codes = np.unique(_grid_code(col, row))
        if extent == "buffer":
            off = np.arange(-pad, pad + 1)
            shift = (off[:, None] * _MUL + off[None, :]).ravel()
            codes = np.unique((codes[:, None] + shift[None, :]).ravel())
    else:
        cells = (col.max() - col.min() + 1 + 2 * pad) * (row.max() - row.min() + 1 + 2 * pad)
        if cells > MAX_GRID_CELLS:
            raise ValueError(
                f"the bounding box of the events holds {cells:,} cells of {size:g} m (stray "
                f"events far away?); use extent 'buffer' or 'events', or a larger cell size")
        cc = np.arange(col.min() - pad, col.max() + pad + 1)
        rr = np.arange(row.min() - pad, row.max() + pad + 1)
        codes = np.sort(_grid_code(*(a.ravel() for a in np.meshgrid(cc, rr, indexing="ij"))))
    cols = codes // _MUL - _OFF
    rows = codes % _MUL - _OFF
    ids = grid_keys(cols, rows, size, origin_e, origin_n)
    x = (cols + 0.5) * size + origin_e
    y = (rows + 0.5) * size + origin_n
    area = np.full(len(ids), float(size) * size)
    return Units("grid", ids, x.astype(float), y.astype(float), area,
                 {"size": float(size), "origin_e": float(origin_e), "origin_n": float(origin_n),
                  "extent": extent, "pad": pad}, codes=codes)


# ------------------------------------------------------------------ hexagons
def hex_units(e, n, resolution: int = 9) -> Units:
    """H3 hexagons (resolution 9 ~ 0.1 km^2, edge ~ 200 m; 10 ~ 0.015 km^2) holding events."""
    e = np.asarray(e, float)
    n = np.asarray(n, float)
    ok = np.isfinite(e) & np.isfinite(n)
    lon, lat = to_lonlat(e[ok], n[ok])
    cells = sorted({h3.latlng_to_cell(la, lo, resolution) for la, lo in zip(lat, lon, strict=True)})
    if not cells:
        raise ValueError("no events with coordinates to build hexagons from")
    cent = np.array([h3.cell_to_latlng(c) for c in cells])
    x, y = to_bng(cent[:, 1], cent[:, 0])
    area = np.array([h3.cell_area(c, unit="m^2") for c in cells])
    return Units("hex", np.array(cells, dtype=object), x, y, area, {"resolution": resolution})


# ------------------------------------------------------------------ LSOAs and snap points
def lsoa_units(codes, e=None, n=None, centroids: pd.DataFrame | None = None) -> Units:
    """One unit per LSOA code seen. Centroids come from ``centroids`` (lsoa_code, easting,
    northing[, area_m2]) when given, else the mean of the events' coordinates."""
    codes = pd.Series(codes, dtype=object)
    ids = np.array(sorted(c for c in codes.dropna().unique() if c), dtype=object)
    if centroids is not None:
        c = centroids.set_index("lsoa_code").reindex(ids)
        x, y = c["easting"].to_numpy(float), c["northing"].to_numpy(float)
        area = (c["area_m2"].to_numpy(float) if "area_m2" in c
                else np.full(len(ids), np.nan))
    else:
        if e is None or n is None:
            raise ValueError("LSOA centroids need either a centroid table or event coordinates")
        df = pd.DataFrame({"code": codes, "e": e, "n": n}).dropna()
        m = df.groupby("code")[["e", "n"]].mean().reindex(ids)
        x, y = m["e"].to_numpy(float), m["n"].to_numpy(float)
        area = np.full(len(ids), np.nan)
    return Units("lsoa", ids, x, y, area, {})


def snap_keys(e, n) -> np.ndarray:
    return np.array([f"SNAP_E{int(round(a)):06d}_N{int(round(b)):07d}"
                     for a, b in zip(e, n, strict=True)], dtype=object)


def snap_units(e, n) -> Units:
    """police.uk's anonymous snap points: every distinct (rounded to 1 m) event location."""
    e = np.asarray(e, float)
    n = np.asarray(n, float)
    ok = np.isfinite(e) & np.isfinite(n)
    pts = np.unique(np.round(np.stack([e[ok], n[ok]], axis=1)), axis=0)
    ids = snap_keys(pts[:, 0], pts[:, 1])
    return Units("snap", ids, pts[:, 0].astype(float), pts[:, 1].astype(float),
                 np.full(len(ids), np.nan), {})


def make_units(kind: str, e, n, lsoa=None, *, size: float = 150, origin_e: float = 0,
               origin_n: float = 0, extent: str = "events", resolution: int = 9,
               pad: int = 2) -> Units:
    if kind == "grid":
        return grid_units(e, n, size, origin_e, origin_n, extent, pad)
    if kind == "hex":
        return hex_units(e, n, resolution)
    if kind == "lsoa":
        return lsoa_units(lsoa, e, n)
    if kind == "snap":
        return snap_units(e, n)
    raise ValueError(f"unknown unit kind {kind!r}; choose one of {', '.join(UNIT_KINDS)}")


# ------------------------------------------------------------------ weights
def distance_band_weights(x, y, threshold: float, star: bool = True) -> sparse.csr_matrix:
    """Binary fixed-distance weights (1 within ``threshold`` metres, else 0) as a sparse matrix.
    With ``star`` the diagonal is 1 (each place is its own neighbour, as Gi* requires).

    Written with scipy's cKDTree rather than libpysal.DistanceBand because we want a bare CSR
    matrix for many time steps at once and libpysal's W object costs seconds at 100k cells."""
    pts = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
    tree = cKDTree(pts)
    pairs = tree.query_pairs(threshold, output_type="ndarray")
    n = len(pts)
    i = np.concatenate([pairs[:, 0], pairs[:, 1]])
    j = np.concatenate([pairs[:, 1], pairs[:, 0]])
    if star:
        i = np.concatenate([i, np.arange(n)])
        j = np.concatenate([j, np.arange(n)])
    w = sparse.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    w.sum_duplicates()
    return w


def default_threshold(units: Units) -> float:
    """A neighbourhood that reaches the 8 surrounding grid cells (1.5 x cell size) for grids;
    for other units the distance at which every unit has at least one neighbour."""
    if units.kind == "grid":
        return 1.5 * units.params["size"]
    pts = np.column_stack([units.x, units.y])
    if len(pts) < 2:
        return 1.0
    d, _ = cKDTree(pts).query(pts, k=2)
    return float(np.max(d[:, 1])) * 1.0001
