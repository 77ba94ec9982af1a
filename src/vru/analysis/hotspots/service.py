"""The one hot-spot service: a :class:`HotspotQuery` in, result objects out.

The CLI (`vru hotspots gistar|emerging|plan`), the web map (``vru.web.hotspot_view``), patrol
plans and profiles all ask here, so the same filters give the same answer everywhere. Two
layers:

- ``events_for(ws, query)`` pulls the events (one SQL path over ``canonical_crimes``: area, months,
  crime types or the serious-violence definition, source) with the months that have no data
  (``store.missing_months``: gaps are gaps, never zeros);
- ``gistar`` / ``emerging`` / ``plan`` take those events (or events a caller pulled itself, as
  the profile does for its own area) and return results that carry their parameters, their
  data, the study area, the distance band and the map's backtested accuracy.

Everything but ``events_for`` and the ``*_for`` wrappers is pure.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from vru.analysis.hotspots import concentration as conc
from vru.analysis.hotspots import emerging as ehs
from vru.analysis.hotspots import gistar as gi
from vru.analysis.hotspots import harm as hm
from vru.analysis.hotspots import scale as sc
from vru.analysis.hotspots import units as un

ALL_CRIME = ("*",)          # crime_types meaning every category
TOP_AREA_PCT = (1.0, 2.0, 5.0)
DEFAULT_TOP = 15            # places a team can patrol
ACCURACY_MONTHS = 6


@dataclass(frozen=True)
class HotspotQuery:
    """What to map. ``crime_types`` empty = the workspace's serious-violence definition (police.uk
    categories or Home Office offence codes), ``ALL_CRIME`` = every crime, else these police.uk
    categories. ``area`` is a local authority name; ``start``/``end`` months (inclusive).
    ``distance`` None = chosen from the data (incremental spatial autocorrelation within
    ``max_distance`` metres, the patrol reach; None = ``scale.PATROL_REACH_M``)."""

    crime_types: tuple[str, ...] = ()
    area: str | None = None
    start: date | None = None
    end: date | None = None
    source: str | None = None
    unit: str = "grid"
    size: float | None = None          # default: the workspace grid
    origin_e: float | None = None
    origin_n: float | None = None
    resolution: int = 9
    weighting: str = "count"
    harm_table: str | None = None      # a CSV path; None = the default table
    distance: float | None = None
    max_distance: float | None = None  # patrol reach for the chosen band (scale.py)
    study_area: str = "built-up"
    reach_cells: int = 2
    fdr: bool = True
    inference: str = "empirical"       # Gi* p: empirical | normal (gistar.py); emerging: normal
    alpha: float = 0.05
    step: str = "month"
    rules: str = "arcgis"
    top: int = DEFAULT_TOP
    accuracy_months: int = ACCURACY_MONTHS

    def as_dict(self) -> dict:
        d = asdict(self)
        for k in ("start", "end"):
            d[k] = d[k].strftime("%Y-%m") if d[k] else None
        return d


@dataclass
class EventTable:
    """Located events: BNG x/y, month index into ``months`` (the period's months that have
    data), weight, category, time and LSOA; ``missing`` = months of the period without data."""

    x: np.ndarray
    y: np.ndarray
    step: np.ndarray
    weight: np.ndarray
    crime_type: np.ndarray
    lsoa: np.ndarray
    occurred: np.ndarray
    months: list[str]
    missing: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    footprint: tuple[np.ndarray, np.ndarray] | None = None  # x, y of every crime in the period


def _resolve(q: HotspotQuery, grid) -> HotspotQuery:
    return replace(q, size=float(q.size if q.size is not None else grid.cell_size_m),
                   origin_e=float(q.origin_e if q.origin_e is not None else grid.origin_e),
                   origin_n=float(q.origin_n if q.origin_n is not None else grid.origin_n))


# --------------------------------------------------------------------------- accuracy
@dataclass
class Accuracy:
    """The backtested accuracy of the method and settings that drew a map: for each of the
    last months with data, the selection the map would have made from the months before it,
    scored on that month. hit rate = share of the month's events (or harm) in the selection;
    PAI = hit rate / share of the study area selected."""

    months: list[str]
    hit_rate: float
    pai: float
    area_pct: float
    per_month: list[dict]
    note: str

    def as_dict(self) -> dict:
        return {"evaluated_months": self.months, "hit_rate": _r(self.hit_rate),
                "pai": _r(self.pai), "area_pct": _r(self.area_pct), "note": self.note}

    def label(self) -> str:
        if not self.months:
            return "accuracy: not enough months to backtest"
        return (f"backtested over {len(self.months)} months ({self.months[0]}..{self.months[-1]}): "
                f"hit rate {100 * self.hit_rate:.1f}%, PAI {self.pai:.2f}")


def _r(v: float) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), 4)


def backtest_selection(cube: np.ndarray, area: np.ndarray, labels: list[str], select,
                       months: int = ACCURACY_MONTHS, note: str = "") -> Accuracy:
    """Score ``select(cube[:, :t]) -> bool mask`` on step t for the last ``months`` steps (the
    cube holds only months with data, so a missing month is never scored)."""
    T = cube.shape[1]
    first = max(1, T - months)
    rows = []
    A = area.sum()
    for t in range(first, T):
        sel = np.asarray(select(cube[:, :t]), bool)
        N = cube[:, t].sum()
        if N <= 0 or not sel.any():
            rows.append({"month": labels[t], "hit_rate": math.nan, "pai": math.nan,
                         "area_pct": 100.0 * area[sel].sum() / A})
            continue
        hit = cube[sel, t].sum() / N
        share = area[sel].sum() / A
        rows.append({"month": labels[t], "hit_rate": float(hit), "pai": float(hit / share),
                     "area_pct": 100.0 * float(share)})
    df = pd.DataFrame(rows, columns=["month", "hit_rate", "pai", "area_pct"])
    return Accuracy([r["month"] for r in rows],
                    float(df["hit_rate"].mean()) if len(df) else math.nan,
                    float(df["pai"].mean()) if len(df) else math.nan,
                    float(df["area_pct"].mean()) if len(df) else math.nan, rows, note)


# --------------------------------------------------------------------------- results
@dataclass
class PlaceRanking:
    """Harm-weighted micro-places: the top cells by harm, and how concentrated harm is."""

    table: pd.DataFrame                  # rank, unit_id, x, y, value, share_pct, cum_*, gi_*
    top_area: pd.DataFrame               # area_pct, harm_pct, units (1/2/5% of the study area)


@dataclass
class GiStarMap:
    query: HotspotQuery
    units: un.Units
    values: np.ndarray
    result: gi.GiStarResult
    distance: sc.DistanceChoice | None   # None when the query fixed the distance
    distance_m: float
    area: sc.StudyArea
    ranking: PlaceRanking
    accuracy: Accuracy
    params: dict
    data: dict

    @property
    def hot(self) -> np.ndarray:
        return self.result.bin > 0

    def flagged_area_pct(self) -> float:
        a = self.units.area_m2
        return 100.0 * float(a[self.hot].sum() / a.sum())

    def patrol_places(self) -> pd.DataFrame:
        """The ranked places that Gi* confirms (hot at any confidence): what the map flags for
        patrol, a number a team can cover."""
        t = self.ranking.table
        return t[t["gi_bin"] > 0] if "gi_bin" in t else t.iloc[:0]

    def patrol_area_pct(self) -> float:
        a = self.units.area_m2
        idx = pd.Index(self.units.ids).get_indexer(self.patrol_places()["unit_id"])
        return 100.0 * float(a[idx].sum() / a.sum())

    def table(self) -> pd.DataFrame:
        r = self.result
        return pd.DataFrame({"unit_id": self.units.ids, "x": self.units.x, "y": self.units.y,
                             "value": self.values, "z": r.z, "p": r.p, "p_fdr": r.p_fdr,
                             "gi_bin": r.bin})

    def summary(self) -> dict:
        bins = pd.Series(self.result.bin).value_counts()
        return {"bins": {int(k): int(bins.get(k, 0)) for k in (3, 2, 1, 0, -1, -2, -3)},
                "hot_cells": int(self.hot.sum()),
                "flagged_area_pct": round(self.flagged_area_pct(), 3),
                "significance": gi.significance_label(self.result.params),
                "patrol_places": int(len(self.patrol_places())),
                "patrol_area_pct": round(self.patrol_area_pct(), 4),
                "distance_m": self.distance_m, "distance_label": self.params["distance_label"],
                "study_area": self.area.describe(),
                "top_area": self.ranking.top_area.to_dict("records"),
                "accuracy": self.accuracy.as_dict()}


@dataclass
class EmergingMap:
    query: HotspotQuery
    units: un.Units
    result: ehs.EmergingResult
    distance_m: float
    area: sc.StudyArea
    labels: list[str]
    accuracy: Accuracy
    params: dict
    data: dict

    def table(self) -> pd.DataFrame:
        tab = self.result.table(self.units.ids)
        tab.insert(1, "x", self.units.x)
        tab.insert(2, "y", self.units.y)
        return tab

    def summary(self) -> dict:
        s = self.result.summary()
        return {"categories": dict(zip(s["category"], s["units"].astype(int), strict=True)),
                "missing_steps": self.result.params.get("missing_steps", []),
                "accuracy": self.accuracy.as_dict()}


# --------------------------------------------------------------------------- core (pure)
def weights_of(crime_types, q: HotspotQuery) -> np.ndarray:
    table = hm.load_harm_table(q.harm_table) if q.harm_table else None
    return hm.event_weights(crime_types, q.weighting, table)


def _area(ev: EventTable, q: HotspotQuery) -> sc.StudyArea:
    if q.unit != "grid":
        u = un.make_units(q.unit, ev.x, ev.y, ev.lsoa, size=q.size, origin_e=q.origin_e,
                          origin_n=q.origin_n, resolution=q.resolution)
        return sc.StudyArea(u, "events", 0.0, len(u))
    return sc.study_area(ev.x, ev.y, q.size, q.origin_e, q.origin_n, q.study_area,
                         q.reach_cells, ev.footprint)


def _cube(ev: EventTable, units: un.Units) -> np.ndarray:
    idx = units.assign(ev.x, ev.y, ev.lsoa)
    return ehs.space_time_cube(idx, ev.step, len(units), len(ev.months), ev.weight)


def _distance(values, units: un.Units, q: HotspotQuery) -> tuple[float, sc.DistanceChoice | None]:
    if q.distance:
        return float(q.distance), None
    if units.kind != "grid":
        return un.default_threshold(units), None
    choice = sc.choose_distance(values, units.x, units.y, units.params["size"],
                                reach=q.max_distance)
    return choice.distance, choice


def distance_params(dist: float, choice: sc.DistanceChoice | None) -> dict:
    """The band and how it was chosen, for run.json, the GeoJSON and the web map's meta;
    ``distance_label`` is the sentence legends print."""
    if choice is None:
        return {"distance_m": dist, "distance_method": "given", "distance_rule": {"rule": "given"},
                "moran_curve": [], "distance_label": f"neighbours within {dist:g} m (given)"}
    return {"distance_m": dist, "distance_method": choice.describe(),
            "distance_rule": choice.rule(), "moran_curve": choice.records(),
            "distance_label": f"neighbours within {dist:g} m, chosen by incremental spatial "
                              f"autocorrelation within {choice.reach_m:g} m ({choice.method})"}


def rank_places(units: un.Units, values: np.ndarray, top: int,
                gi_result: gi.GiStarResult | None = None) -> PlaceRanking:
    """The ``top`` places by harm (value), with their share and, when given, Gi* evidence."""
    area = units.area_m2 if units.has_area else np.ones(len(units))
    order = np.lexsort((np.arange(len(values)), -values))
    order = order[values[order] > 0][:top]
    total = values.sum()
    share = 100.0 * values[order] / total if total > 0 else np.zeros(len(order))
    tab = pd.DataFrame({"rank": np.arange(1, len(order) + 1), "unit_id": units.ids[order],
                        "x": units.x[order], "y": units.y[order], "value": values[order],
                        "share_pct": share, "cumulative_share_pct": np.cumsum(share),
                        "cumulative_area_pct": 100.0 * np.cumsum(area[order]) / area.sum()})
    if gi_result is not None:
        tab["gi_z"] = gi_result.z[order]
        tab["gi_bin"] = gi_result.bin[order]
    top_area = conc.harm_share_at(values, area if units.has_area else None, TOP_AREA_PCT)
    return PlaceRanking(tab, top_area)


def gistar(ev: EventTable, q: HotspotQuery) -> GiStarMap:
    """Gi* at patrol scale over the study area, with the harm ranking and accuracy."""
    area = _area(ev, q)
    units = area.units
    cube = _cube(ev, units)
    values = cube.sum(axis=1)
    dist, choice = _distance(values, units, q)
    W = un.distance_band_weights(units.x, units.y, dist)
    res = gi.gi_star(values, W, fdr=q.fdr, inference=q.inference)
    ranking = rank_places(units, values, q.top, res)
    uarea = units.area_m2 if units.has_area else np.ones(len(units))

    def select(past: np.ndarray) -> np.ndarray:
        return gi.gi_star(past.sum(axis=1), W, fdr=q.fdr, inference=q.inference).bin > 0

    acc = backtest_selection(cube, uarea, ev.months, select, q.accuracy_months,
                             "Gi* hot cells (any confidence) from the months before each "
                             "evaluated month, same distance band and study area")
    params = {"query": q.as_dict(), "units": units.describe(), "n_units": len(units),
              **distance_params(dist, choice),
              "study_area": area.describe(), "study_area_km2": area.km2,
              "cells_with_events": area.cells_with_events,
              "missing_months": ev.missing, **res.params,
              "significance": gi.significance_label(res.params)}
    return GiStarMap(q, units, values, res, choice, dist, area, ranking, acc, params, ev.data)


def _quarters(ev: EventTable) -> tuple[np.ndarray, list[str]]:
    labels = [f"{m[:4]}-Q{(int(m[5:7]) - 1) // 3 + 1}" for m in ev.months]
    uniq = list(dict.fromkeys(labels))
    q = np.array([uniq.index(lab) for lab in labels], dtype=np.int64)
    return q, uniq


def emerging(ev: EventTable, q: HotspotQuery) -> EmergingMap:
    """Emerging hot spots (ArcGIS rules by default) on the cube of months (or quarters) that
    have data; the distance band is chosen on the whole period's values as for Gi*."""
    area = _area(ev, q)
    units = area.units
    if q.step == "month":
        step, labels = ev.step, list(ev.months)
    elif q.step == "quarter":
        qi, labels = _quarters(ev)
        step = qi[ev.step] if len(ev.step) else ev.step
    else:
        raise ValueError("step must be 'month' or 'quarter'")
    if len(labels) < 2:
        raise ValueError("emerging hot spots need at least two steps with data")
    idx = units.assign(ev.x, ev.y, ev.lsoa)
    cube = ehs.space_time_cube(idx, step, len(units), len(labels), ev.weight)
    dist, choice = _distance(cube.sum(axis=1), units, q)
    W = un.distance_band_weights(units.x, units.y, dist)
    res = ehs.emerging_hot_spots(cube, W, alpha=q.alpha, fdr=q.fdr, rules=q.rules,
                                 missing_steps=ev.missing)
    uarea = units.area_m2 if units.has_area else np.ones(len(units))
    months_cube = _cube(ev, units)
    hot_cats = {c for c in ehs.CATEGORIES if c.endswith("hot spot") and
                not c.startswith("historical")}

    def select(past: np.ndarray) -> np.ndarray:
        if past.shape[1] < 2:
            return np.zeros(len(past), bool)
        r = ehs.emerging_hot_spots(past, W, alpha=q.alpha, fdr=q.fdr, rules=q.rules)
        return np.isin(r.categories, list(hot_cats))

    acc = backtest_selection(months_cube, uarea, ev.months, select, q.accuracy_months,
                             "cells in a current hot category (not historical) from the months "
                             "before each evaluated month, monthly steps")
    params = {"query": q.as_dict(), "units": units.describe(), "n_units": len(units),
              "step": q.step, "steps": labels, **distance_params(dist, choice),
              "study_area": area.describe(), "missing_months": ev.missing, **res.params}
    return EmergingMap(q, units, res, dist, area, labels, acc, params, ev.data)


@dataclass
class PlanPlaces:
    spots: pd.DataFrame          # vru.analysis.hotspots.patrol.plan_spots columns
    units: un.Units
    event_unit: np.ndarray       # each event's index into units (-1 = none)
    accuracy: Accuracy
    area: sc.StudyArea


def plan(ev: EventTable, q: HotspotQuery, coverage_pct: float | None = None) -> PlanPlaces:
    """The patrol plan's places: the ``q.top`` places by harm over the period (or as many as
    fill ``coverage_pct`` of the study area), with the accuracy of "the same choice made from
    the months before" on each of the last months."""
    from vru.analysis.hotspots import patrol as pt

    area = _area(ev, q)
    units = area.units
    cube = _cube(ev, units)
    values = cube.sum(axis=1)
    top = None if coverage_pct is not None else q.top
    spots = pt.plan_spots(units, values, top=top, coverage_pct=coverage_pct)
    uarea = units.area_m2 if units.has_area else np.ones(len(units))
    index = pd.Index(units.ids)

    def select(past: np.ndarray) -> np.ndarray:
        m = np.zeros(len(past), bool)
        v = past.sum(axis=1)
        if v.sum() > 0:
            m[index.get_indexer(pt.plan_spots(units, v, top=top,
                                              coverage_pct=coverage_pct)["unit_id"])] = True
        return m

    what = f"the top {top} places" if top else f"the places filling {coverage_pct:g}% of the area"
    acc = backtest_selection(cube, uarea, ev.months, select, q.accuracy_months,
                             f"{what} by {q.weighting} of the months before each evaluated "
                             "month")
    return PlanPlaces(spots, units, units.assign(ev.x, ev.y, ev.lsoa), acc, area)


# --------------------------------------------------------------------------- workspace side
def events_for(ws, q: HotspotQuery) -> tuple[EventTable, HotspotQuery]:
    """Located events of the query from the workspace, and the query with grid defaults
    filled in. Raises ValueError (a message for the user) when there are none."""
    from vru.analysis.hotspots import store

    q = _resolve(q, ws.settings.grid)
    where, params = ["TRUE"], []
    if q.crime_types == ALL_CRIME:
        what = "all crime"
    elif q.crime_types:
        where.append("c.crime_type IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(q.crime_types))
        what = ", ".join(q.crime_types)
    else:
        # The workspace definition, the same on both police sources (vru.crime_view).
        where.append("c.serious_violence")
        what = "serious violence (the workspace definition)"
    store.add_filters(where, params, (q.area, "c.lad_name = ?"), (q.start, "c.month >= ?"),
            (q.end, "c.month <= ?"), (q.source, "c.source = ?"))
    df = ws.df(f"""SELECT c.month, c.easting, c.northing, c.lsoa_code, c.crime_type,
                          c.occurred_from, c.file_id
                   FROM canonical_crimes c WHERE {' AND '.join(where)}""", params)
    if df.empty:
        src = f" from source {q.source}" if q.source else ""
        raise ValueError(f"no located crimes of {what}{src} in the workspace for that "
                         "area and period")
    df["month"] = pd.to_datetime(df["month"]).dt.date
    rows = int(len(df))
    located = df["easting"].notna()
    without = int((~located).sum())
    df = df[located]
    if df.empty:
        raise ValueError(f"no located crimes of {what} in the workspace for that area and period")
    first = q.start or min(df["month"])
    last = q.end or max(df["month"])
    period = store.month_range(first, last)
    missing = store.missing_months(ws, period, q.source)
    have = [m for m in period if m not in set(missing)]
    pos = {m: i for i, m in enumerate(have)}
    df = df[df["month"].isin(pos)]
    fwhere, fparams = ["c.easting IS NOT NULL", "c.month BETWEEN ? AND ?"], [first, last]
    store.add_filters(fwhere, fparams, (q.area, "c.lad_name = ?"), (q.source, "c.source = ?"))
    size, oe, on = q.size, q.origin_e, q.origin_n
    fp = ws.df(f"""SELECT DISTINCT floor((c.easting - {oe}) / {size}) * {size} + {oe} + {size / 2}
                          AS x, floor((c.northing - {on}) / {size}) * {size} + {on} + {size / 2}
                          AS y FROM canonical_crimes c WHERE {' AND '.join(fwhere)}""", fparams)
    files = ws.df("SELECT name, sha256 FROM source_files WHERE file_id IN "
                  "(SELECT unnest(?::BIGINT[])) ORDER BY file_id",
                  [sorted(int(v) for v in df["file_id"].dropna().unique())])
    import hashlib

    data = {"view": "canonical_crimes", "crimes": what, "area": q.area or "all",
            "source": q.source or "all",
            "months": [first.strftime("%Y-%m"), last.strftime("%Y-%m")],
            "months_with_data": len(have),
            "missing_months": [m.strftime("%Y-%m") for m in missing],
            "rows": rows, "rows_used": int(len(df)), "rows_without_location": without,
            "files": int(len(files)),
            "files_sha256_digest": hashlib.sha256("".join(files["sha256"]).encode()).hexdigest(),
            "workspace": str(ws.path)}
    cats = df["crime_type"].fillna("").to_numpy(object)
    ev = EventTable(df["easting"].to_numpy(float), df["northing"].to_numpy(float),
                    np.array([pos[m] for m in df["month"]], np.int64),
                    weights_of(cats, q), cats, df["lsoa_code"].to_numpy(object),
                    df["occurred_from"].to_numpy(), [m.strftime("%Y-%m") for m in have],
                    [m.strftime("%Y-%m") for m in missing], data,
                    (fp["x"].to_numpy(float), fp["y"].to_numpy(float)))
    return ev, q


def events_from_file(e, q: HotspotQuery, start: str | None = None,
                     end: str | None = None) -> tuple[EventTable, HotspotQuery]:
    """Dated events read from a file (``vru.sources.event_files.DatedEvents``, e.g. the NYC
    shootings) as the service's events, for the months ``start`` to ``end``: every month from
    the first to the last counts as covered (a file cannot tell a gap from a quiet month), each
    event counts 1, and the built-up footprint is every event of the file, of any date (the
    places where events of this kind occur). The grid defaults to the query's size with origin
    0, 0. Raises ValueError when the period has no events."""
    x, y, step, labels = e.by_month(start, end)
    q = replace(q, crime_types=("events from a file",), weighting="count", harm_table=None,
                size=float(q.size), origin_e=float(q.origin_e or 0.0),
                origin_n=float(q.origin_n or 0.0))
    n = len(x)
    data = {**e.data, "view": "file", "months_with_data": len(labels), "missing_months": []}
    ev = EventTable(x, y, step, np.ones(n), np.full(n, "event", dtype=object),
                    np.full(n, None, dtype=object), np.zeros(n), labels, [], data,
                    (np.asarray(e.x, float), np.asarray(e.y, float)))
    return ev, q


def gistar_for(ws, q: HotspotQuery) -> GiStarMap:
    ev, q = events_for(ws, q)
    return gistar(ev, q)


def emerging_for(ws, q: HotspotQuery) -> EmergingMap:
    ev, q = events_for(ws, q)
    return emerging(ev, q)


def cell_context(ws, units: un.Units, ev: EventTable,
                 before_step: int | None = None) -> tuple[np.ndarray | None, dict]:
    """Static per-cell columns for the forecast: the IMD 2019 rank and the population (Census
    2021) of the LSOA most of the cell's events fall in (events of steps before
    ``before_step`` only, when given: a backtest passes its first evaluated step so that the
    evaluated months never shape a feature). None when the workspace has no geography loaded
    (``vru geo import``)."""
    if not ws.table_exists("geo_population") or not ws.scalar(
            "SELECT count(*) FROM geo_population WHERE area_level = 'lsoa'"):
        return None, {"static_features": "none (no geography loaded)"}
    idx = units.assign(ev.x, ev.y)
    ok = (idx >= 0) & pd.notna(ev.lsoa)
    if before_step is not None:
        ok &= ev.step < before_step
    modal = (pd.DataFrame({"u": idx[ok], "lsoa": ev.lsoa[ok]})
             .groupby("u")["lsoa"].agg(lambda s: s.value_counts().index[0]))
    codes = sorted(set(modal))
    ref = ws.df("""SELECT l.lsoa_code, d.imd_rank, p.population
                   FROM (SELECT unnest(?::VARCHAR[]) AS lsoa_code) l
                   LEFT JOIN lsoa_deprivation d USING (lsoa_code)
                   LEFT JOIN (SELECT area_code AS lsoa_code, sum(population) AS population
                              FROM geo_population WHERE area_level = 'lsoa'
                              AND year = (SELECT max(year) FROM geo_population
                                          WHERE area_level = 'lsoa')
                              GROUP BY 1) p USING (lsoa_code)""", [codes]).set_index("lsoa_code")
    out = np.full((len(units), 2), -1.0)
    for u, code in modal.items():
        if code in ref.index:
            out[u] = [ref.at[code, "imd_rank"], ref.at[code, "population"]]
    out = np.nan_to_num(out.astype(float), nan=-1.0)
    known = int((out[:, 0] >= 0).sum())
    return out, {"static_features": "IMD 2019 rank and Census 2021 population of the cell's "
                                    f"main LSOA ({known:,} of {len(units):,} cells matched)"}
