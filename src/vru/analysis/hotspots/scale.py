"""The scale of a hot-spot map, chosen from the data: the distance band by incremental spatial
autocorrelation, and the study area where events can occur.

Distance band (after ArcGIS's Optimized Hot Spot Analysis and Incremental Spatial
Autocorrelation): global Moran's I of the unit values is computed for a series of distance
bands with binary weights; the band with the first peak of its z-score (a band whose z is higher
than at the bands either side, and significant) is where spatial processes promoting clustering
are most pronounced, and becomes the Gi* neighbourhood. On crime counts z often only rises with
distance (it grows with the number of neighbour pairs), so there is no peak; ArcGIS then falls
back on the mean distance to K nearest neighbours, which on a force's grid is town scale. vru
instead takes the band where Moran's I itself (the intensity of clustering, not its sample
size) is highest: on police data the smallest band, i.e. patrol scale. Without any significant
clustering the default band (1.5 cells: the 8 surrounding cells) is used. The curve is returned
so every output can show it.

Moran's I is ours rather than ``esda.Moran`` because ten bands over 100k cells share one set of
close pairs: sorting the pairs by distance gives every band's cross-product and weight sums by
cumulative sums (esda builds a W object per band, seconds each). z is under the randomisation
null, as ArcGIS reports it; the tests check I, E[I] and z against ``esda.Moran(...).z_rand``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from vru.analysis.hotspots.units import Units, grid_units

DEFAULT_BANDS = 10
DEFAULT_START_CELLS = 1.0
DEFAULT_STEP_CELLS = 0.5
Z_SIGNIFICANT = 1.96


@dataclass
class MoranCurve:
    distances: np.ndarray   # band upper edges (metres)
    I: np.ndarray            # noqa: E741 - the statistic's name
    expected: float
    z: np.ndarray
    neighbours: np.ndarray   # mean neighbours per unit at each band

    def records(self) -> list[dict]:
        def num(v) -> float | None:  # JSON has no NaN: an undefined value is None
            return float(v) if np.isfinite(v) else None

        return [{"distance_m": float(d), "morans_i": num(i), "z": num(z),
                 "mean_neighbours": float(k)}
                for d, i, z, k in zip(self.distances, self.I, self.z, self.neighbours,
                                      strict=True)]


def morans_i_by_distance(values, x, y, distances) -> MoranCurve:
    """Global Moran's I with binary distance-band weights (j != i, d_ij <= band) for each band,
    with E[I] = -1/(n-1) and the z under randomisation (Cliff and Ord 1981)."""
    v = np.asarray(values, float)
    n = len(v)
    if n < 4:
        raise ValueError(f"Moran's I needs at least 4 places; there are {n}")
    dist = np.sort(np.asarray(distances, float))
    pts = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
    pairs = cKDTree(pts).query_pairs(dist[-1], output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    d = np.hypot(pts[i, 0] - pts[j, 0], pts[i, 1] - pts[j, 1])
    order = np.argsort(d, kind="stable")
    i, j, d = i[order], j[order], d[order]
    z = v - v.mean()
    m2 = (z**2).sum()
    kurt = n * (z**4).sum() / m2**2 if m2 > 0 else 0.0
    cross = np.cumsum(z[i] * z[j])          # each unordered pair once
    cut = np.searchsorted(d, dist * (1 + 1e-9), side="right")
    E = -1.0 / (n - 1)
    out_i, out_z, out_k = [], [], []
    for c in cut:
        pairs_in = int(c)
        s0 = 2.0 * pairs_in                  # symmetric binary weights
        if s0 == 0 or m2 == 0:
            out_i.append(np.nan)
            out_z.append(np.nan)
            out_k.append(0.0)
            continue
        deg = np.bincount(i[:c], minlength=n) + np.bincount(j[:c], minlength=n)
        s1 = 2.0 * s0                        # 0.5 * sum (w_ij + w_ji)^2 = 2 S0 for 0/1 weights
        s2 = float(((2.0 * deg) ** 2).sum())
        moran = (n / s0) * (2.0 * cross[c - 1]) / m2
        num = (n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
               - kurt * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0))
        var = num / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - E * E
        out_i.append(moran)
        out_z.append((moran - E) / np.sqrt(var) if var > 0 else np.nan)
        out_k.append(s0 / n)
    return MoranCurve(dist, np.array(out_i), E, np.array(out_z), np.array(out_k))


def candidate_distances(cell: float, bands: int = DEFAULT_BANDS,
                        start_cells: float = DEFAULT_START_CELLS,
                        step_cells: float = DEFAULT_STEP_CELLS) -> np.ndarray:
    """``bands`` distances from ``start_cells`` cells in steps of ``step_cells`` cells."""
    return cell * (start_cells + step_cells * np.arange(bands))


@dataclass
class DistanceChoice:
    distance: float
    method: str              # 'first peak', 'highest z', 'default (no significant clustering)'
    curve: MoranCurve

    def describe(self) -> str:
        return f"{self.distance:g} m ({self.method}; z(Moran's I) over " \
               f"{len(self.curve.distances)} bands, " \
               f"{self.curve.distances[0]:g}-{self.curve.distances[-1]:g} m)"


def pick_distance(distances, I, z, default: float) -> tuple[float, str]:  # noqa: E741, N803
    """The rule of the module docstring on a Moran's I curve: (distance, which rule)."""
    dist = np.asarray(distances, float)
    z = np.where(np.isfinite(z), np.asarray(z, float), -np.inf)
    for k in range(1, len(z) - 1):
        if z[k] >= Z_SIGNIFICANT and z[k] > z[k - 1] and z[k] > z[k + 1]:
            return float(dist[k]), "first peak"
    sig = z >= Z_SIGNIFICANT
    if sig.any():
        Iv = np.where(sig & np.isfinite(I), np.asarray(I, float), -np.inf)
        return float(dist[int(np.argmax(Iv))]), "no peak of z: highest Moran's I"
    return float(default), "default (no significant clustering)"


def choose_distance(values, x, y, cell: float, default: float | None = None,
                    distances=None) -> DistanceChoice:
    """The Gi* distance band from the Moran's I curve (see the module docstring)."""
    dist = candidate_distances(cell) if distances is None else np.asarray(distances, float)
    fallback = default if default is not None else 1.5 * cell
    n = len(np.asarray(values))
    if n < 4:  # Moran's I is undefined below 4 places: say so and use the default band
        nan = np.full(len(dist), np.nan)
        curve = MoranCurve(np.sort(dist), nan, float("nan"), nan.copy(), np.zeros(len(dist)))
        return DistanceChoice(float(fallback), f"default ({n} places: too few to measure clustering)", curve)
    curve = morans_i_by_distance(values, x, y, dist)
    d, how = pick_distance(dist, curve.I, curve.z, fallback)
    return DistanceChoice(d, how, curve)


# ------------------------------------------------------------------ study area
STUDY_AREAS = ("built-up", "near-events", "events", "bbox")


@dataclass
class StudyArea:
    units: Units
    kind: str
    reach_m: float           # near-events: cells within this distance of an event
    cells_with_events: int

    @property
    def km2(self) -> float:
        return float(self.units.area_m2.sum() / 1e6) if self.units.has_area else float("nan")

    def describe(self) -> str:
        if self.kind == "built-up":
            what = "built-up cells (any crime recorded there in the period)"
        elif self.kind == "near-events":
            what = f"cells within {self.reach_m:g} m (whole cells) of a cell with an event"
        elif self.kind == "events":
            what = "cells holding at least one event"
        else:
            what = "every cell of the events' bounding box"
        return f"{what}: {len(self.units):,} cells, {self.km2:.1f} km2"


def study_area(e, n, size: float, origin_e: float = 0.0, origin_n: float = 0.0,
               kind: str = "built-up", reach_cells: int = 2, footprint=None) -> StudyArea:
    """Grid cells where events can occur: ``built-up`` = cells where any crime (any category)
    was recorded in the period (``footprint``: their x, y; the default: the streets and
    estates where crime happens, not fields), ``near-events`` = every cell within
    ``reach_cells`` cells of a cell holding an event, ``events`` = cells holding an event,
    ``bbox`` = the bounding box. Every event's own cell is always in the area."""
    if kind not in STUDY_AREAS:
        raise ValueError(f"study area must be one of {', '.join(STUDY_AREAS)}")
    if kind == "built-up":
        if footprint is None:
            raise ValueError("the built-up study area needs the footprint of all crime")
        fx = np.concatenate([np.asarray(footprint[0], float), np.asarray(e, float)])
        fy = np.concatenate([np.asarray(footprint[1], float), np.asarray(n, float)])
        u = grid_units(fx, fy, size, origin_e, origin_n, extent="events")
        with_events = len(grid_units(e, n, size, origin_e, origin_n, extent="events"))
        return StudyArea(u, kind, 0.0, with_events)
    extent = {"near-events": "buffer", "events": "events", "bbox": "bbox"}[kind]
    u = grid_units(e, n, size, origin_e, origin_n, extent=extent, pad=reach_cells)
    with_events = len(grid_units(e, n, size, origin_e, origin_n, extent="events"))
    return StudyArea(u, kind, reach_cells * size if kind == "near-events" else 0.0, with_events)
