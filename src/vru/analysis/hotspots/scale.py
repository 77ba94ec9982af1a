"""The scale of a hot-spot map, chosen from the data: the distance band by incremental spatial
autocorrelation within patrol reach, and the study area where events can occur.

Distance band. ArcGIS's Optimized Hot Spot Analysis runs Incremental Spatial Autocorrelation
(global Moran's I for a series of distance bands) and takes the first significant peak of its
z-score (z above 1.65), the distance "where spatial processes promoting clustering are most
pronounced"; with no peak it uses the mean distance to the K-th nearest neighbour
(K = 5% of the features, at least 3 and at most 30). On crime, Moran's z keeps rising to the
scale of whole towns and peaks there (City of London, 36 months at 250 m: 1,000 m; one month of
Bedfordshire: 1,125 m), so the literal rule gives town-scale neighbourhoods and Gi* then flags
tens of percent of the study area. ArcGIS's own guidance (How Incremental Spatial
Autocorrelation works) is that the distance "should relate to the scale of the question ... or
to the scale of remediation": here, foot patrol. vru therefore looks for the peak only within
reach of a patrol:

1. bands from 1 cell in steps of half a cell (so each ring of grid neighbours, at 1, 1.41, 2,
   2.24, 2.83 and 3 cells, gets its own band; ArcGIS steps by the mean nearest-neighbour
   distance, which is 1 cell on a grid, and starts where every feature has a neighbour, which
   on a rural county grid is already beyond patrol scale);
2. a band is within reach when it is at most ``reach`` metres (default 500 m: a neighbourhood
   at most 1 km across; the Philadelphia Foot Patrol Experiment's beats averaged 1.3 miles of
   street, Ratcliffe et al. 2011) and its median cell has at most K neighbours, K as ArcGIS's
   (5% of the study area's cells, 3..30), so the neighbourhood stays a small part of a small
   study area;
3. the band is the first peak of z (z >= 1.65 and above the bands either side, as ArcGIS's
   peak finder) when that peak is within reach;
4. otherwise (z still rising at the edge of reach, or its first peak beyond it) the band within
   reach where Moran's I itself, the intensity of clustering rather than its sample size, is
   highest; on police data that is the smallest band, i.e. the micro-place scale;
5. with no significant clustering within reach, the 8 surrounding cells (1.5 cells, within
   reach).

The whole curve (also beyond reach, so the unconstrained peak can be seen) is returned with
each band marked in or out of reach, so every output can show it.

Moran's I is ours rather than ``esda.Moran`` because ten bands over 100k cells share one set of
close pairs: sorting the pairs by distance gives every band's cross-product and weight sums by
cumulative sums (esda builds a libpysal W object per band: 167 s for 10 bands over 19,881
cells against 1.1 s here, measured in one run). z is under the randomisation
null, as ArcGIS reports it; the tests check I, E[I] and z against ``esda.Moran(...).z_rand``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from vru.analysis.hotspots.units import Units, grid_units

DEFAULT_BANDS = 10
DEFAULT_START_CELLS = 1.0
DEFAULT_STEP_CELLS = 0.5
MAX_BANDS = 40
Z_PEAK = 1.65                 # ArcGIS's threshold for a peak of z (90% confidence)
PATROL_REACH_M = 500.0        # the largest band: a neighbourhood at most 1 km across
K_SHARE, K_MIN = 0.05, 3     # a neighbourhood holds at most 5% of the study area (at least 3)


@dataclass
class MoranCurve:
    distances: np.ndarray   # band upper edges (metres)
    I: np.ndarray            # noqa: E741 - the statistic's name
    expected: float
    z: np.ndarray
    neighbours: np.ndarray   # mean neighbours per unit at each band
    median_neighbours: np.ndarray | None = None  # median neighbours per unit (self excluded)

    def records(self, in_reach=None) -> list[dict]:
        def num(v) -> float | None:  # JSON has no NaN: an undefined value is None
            return float(v) if np.isfinite(v) else None

        med = self.median_neighbours if self.median_neighbours is not None \
            else np.full(len(self.distances), np.nan)
        reach = np.ones(len(self.distances), bool) if in_reach is None else in_reach
        return [{"distance_m": float(d), "morans_i": num(i), "z": num(z),
                 "mean_neighbours": float(k), "median_neighbours": num(m),
                 "within_reach": bool(r)}
                for d, i, z, k, m, r in zip(self.distances, self.I, self.z, self.neighbours,
                                            med, reach, strict=True)]


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
    out_i, out_z, out_k, out_m = [], [], [], []
    for c in cut:
        pairs_in = int(c)
        s0 = 2.0 * pairs_in                  # symmetric binary weights
        if s0 == 0 or m2 == 0:
            out_i.append(np.nan)
            out_z.append(np.nan)
            out_k.append(0.0)
            out_m.append(0.0)
            continue
        deg = np.bincount(i[:c], minlength=n) + np.bincount(j[:c], minlength=n)
        out_m.append(float(np.median(deg)))
        s1 = 2.0 * s0                        # 0.5 * sum (w_ij + w_ji)^2 = 2 S0 for 0/1 weights
        s2 = float(((2.0 * deg) ** 2).sum())
        moran = (n / s0) * (2.0 * cross[c - 1]) / m2
        num = (n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
               - kurt * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0))
        var = num / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - E * E
        out_i.append(moran)
        out_z.append((moran - E) / np.sqrt(var) if var > 0 else np.nan)
        out_k.append(s0 / n)
    return MoranCurve(dist, np.array(out_i), E, np.array(out_z), np.array(out_k),
                      np.array(out_m))


def candidate_distances(cell: float, bands: int = DEFAULT_BANDS,
                        start_cells: float = DEFAULT_START_CELLS,
                        step_cells: float = DEFAULT_STEP_CELLS,
                        reach: float | None = None) -> np.ndarray:
    """``bands`` distances from ``start_cells`` cells in steps of ``step_cells`` cells, and as
    many more (up to ``MAX_BANDS``) as it takes to pass ``reach`` by one step, so a peak at the
    edge of reach can be seen."""
    n = bands
    if reach is not None and cell > 0:
        need = math.floor((reach / cell - start_cells) / step_cells + 1e-9) + 2
        n = min(max(bands, need), MAX_BANDS)
    return cell * (start_cells + step_cells * np.arange(n))


def neighbour_cap(n_units: int) -> int:
    """The most neighbours a band may give the median place: 5% of the places (ArcGIS's
    share for its K nearest neighbours), at least 3."""
    return int(max(K_MIN, math.floor(K_SHARE * n_units)))


@dataclass
class DistanceChoice:
    distance: float
    method: str              # which step of the rule (see the module docstring)
    curve: MoranCurve
    reach_m: float = PATROL_REACH_M
    max_neighbours: int = K_MIN
    in_reach: np.ndarray | None = None

    def describe(self) -> str:
        d = self.curve.distances
        return (f"{self.distance:g} m ({self.method}; z(Moran's I) over {len(d)} bands, "
                f"{d[0]:g}-{d[-1]:g} m; within reach: at most {self.reach_m:g} m, and at most "
                f"{self.max_neighbours} neighbours for the median cell, 5% of the study area)")

    def rule(self) -> dict:
        """The rule's settings and outcome, for run.json."""
        return {"rule": "incremental spatial autocorrelation within patrol reach",
                "reach_m": self.reach_m, "max_median_neighbours": self.max_neighbours,
                "z_peak": Z_PEAK, "outcome": self.method}

    def records(self) -> list[dict]:
        return self.curve.records(self.in_reach)


def pick_distance(distances, I, z, default: float,  # noqa: E741, N803
                  in_reach=None) -> tuple[float, str]:
    """The rule of the module docstring on a Moran's I curve: (distance, which rule).
    ``in_reach``: which bands may be chosen (default: every band)."""
    dist = np.asarray(distances, float)
    z = np.where(np.isfinite(z), np.asarray(z, float), -np.inf)
    ok = np.ones(len(dist), bool) if in_reach is None else np.asarray(in_reach, bool)
    first = next((k for k in range(1, len(z) - 1)
                  if z[k] >= Z_PEAK and z[k] > z[k - 1] and z[k] > z[k + 1]), None)
    if first is not None and ok[first]:
        return float(dist[first]), "first peak of z"
    sig = (z >= Z_PEAK) & ok
    if sig.any():
        Iv = np.where(sig & np.isfinite(I), np.asarray(I, float), -np.inf)
        why = (f"first peak of z at {dist[first]:g} m is out of reach"
               if first is not None else "no peak of z")
        return float(dist[int(np.argmax(Iv))]), f"{why}: highest Moran's I within reach"
    far = "" if in_reach is None or ok.all() else " within reach"
    return float(default), f"default (no significant clustering{far})"


def choose_distance(values, x, y, cell: float, default: float | None = None,
                    distances=None, reach: float | None = None) -> DistanceChoice:
    """The Gi* distance band from the Moran's I curve within patrol ``reach`` (metres; default
    ``PATROL_REACH_M``), see the module docstring."""
    reach = float(PATROL_REACH_M if reach is None else reach)
    if reach <= 0:
        raise ValueError("the patrol reach (largest distance band) must be a positive number "
                         "of metres")
    dist = (candidate_distances(cell, reach=reach) if distances is None
            else np.sort(np.asarray(distances, float)))
    n = len(np.asarray(values))
    kmax = neighbour_cap(n)
    fallback = default if default is not None else min(1.5 * cell, max(reach, cell))
    if n < 4:  # Moran's I is undefined below 4 places: say so and use the default band
        nan = np.full(len(dist), np.nan)
        curve = MoranCurve(dist, nan, float("nan"), nan.copy(), np.zeros(len(dist)),
                           np.zeros(len(dist)))
        return DistanceChoice(float(fallback), f"default ({n} places: too few to measure "
                              "clustering)", curve, reach, kmax, dist <= reach * (1 + 1e-9))
    curve = morans_i_by_distance(values, x, y, dist)
    in_reach = (dist <= reach * (1 + 1e-9)) & (curve.median_neighbours <= kmax)
    in_reach[0] = True  # the smallest band (a cell's nearest ring) is always allowed
    if default is None:  # the 8 surrounding cells, or the largest band within reach below that
        fallback = float(dist[in_reach & (dist <= 1.5 * cell * (1 + 1e-9))].max(initial=dist[0]))
    d, how = pick_distance(dist, curve.I, curve.z, fallback, in_reach)
    return DistanceChoice(d, how, curve, reach, kmax, in_reach)


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
