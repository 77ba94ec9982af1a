"""View models shared by the pages and the JSON API: raw query results through the exit."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import numpy as np

from vru import areas
from vru.geo import geojson
from vru.geo.grid import cell_id
from vru.periods import add_months as _add_months
from vru.periods import month_range as _months
from vru.web import queries as q
from vru.web.exit import Exit
from vru.workspace import Workspace

POINT_LIMIT = 5000


def overview(ws: Workspace, ex: Exit, month_from: date | None = None,
             month_to: date | None = None) -> dict[str, Any]:
    """Serious violence per area over a period (default: the last 12 months) against the period
    of the same length before it, with a monthly series over both."""
    first, last = q.month_span(ws)
    if last is None:
        return {"areas": [], "period": None, "definition": ws.settings.serious_violence.description}
    last = min(month_to, last) if month_to else last
    cut = max(month_from, first) if month_from else max(first, _add_months(last, -11))
    if cut > last:
        cut = last
    length = len(_months(cut, last))
    start = max(first, _add_months(cut, -length))
    months = _months(start, last)
    f = q.Filters(month_from=start, month_to=last, crime_type=q.SERIOUS_VIOLENCE)
    rows = q.monthly_by_area(ws, ws.settings, f)
    all_rows = q.monthly_by_area(ws, ws.settings, q.Filters(month_from=cut, month_to=last))
    per_area: dict[str, dict[date, int]] = {}
    for area, month, n in rows:
        per_area.setdefault(area, {})[month] = n
    all_12 = {}
    for area, _month, n in all_rows:
        all_12[area] = all_12.get(area, 0) + n
    total = {m: sum(per_area[a].get(m, 0) for a in per_area) for m in months}
    items = [("All areas", total, sum(all_12.values()))] + [
        (a, per_area[a], all_12.get(a, 0)) for a in sorted(per_area)
    ]
    pops, pop_year = _lad_populations(ws, last.year)
    if per_area and all(a in pops for a in per_area):
        pops["All areas"] = sum(pops[a] for a in per_area)
    out = []
    full_before = start <= _add_months(cut, -length)
    for name, series, all_crime in items:
        raw = [series.get(m, 0) for m in months]
        recent = sum(v for m, v in zip(months, raw, strict=True) if m >= cut)
        before = sum(v for m, v in zip(months, raw, strict=True) if m < cut)
        pub_recent, pub_before = ex.count(recent), ex.count(before) if full_before else None
        out.append({
            "area": name,
            "serious_violence_12m": pub_recent,
            "serious_violence_prev_12m": pub_before,
            "change_pct": ex.change_pct(pub_before, pub_recent),
            "all_crime_12m": ex.count(all_crime),
            "monthly": ex.counts(raw),
            **_rate(pub_recent, pops.get(name)),
        })
    return {
        "period": {"from": cut.isoformat()[:7], "to": last.isoformat()[:7], "months": length,
                   "previous_from": start.isoformat()[:7] if full_before else None},
        "span": {"first": first.isoformat()[:7], "last": q.month_span(ws)[1].isoformat()[:7]},
        "months": [m.isoformat()[:7] for m in months],
        "definition": ws.settings.serious_violence.description,
        "population_year": pop_year,
        "areas": out,
    }


def _lad_populations(ws: Workspace, year: int) -> tuple[dict[str, float], int | None]:
    """Residents per local authority (by name) for the latest year up to ``year``."""
    rows = ws.sql(
        "WITH p AS (SELECT area_code, year, population FROM geo_population "
        "WHERE area_level = 'lad' AND age_band = 'all' AND year <= ?), "
        "y AS (SELECT max(year) AS year FROM p) "
        "SELECT d.lad_name, p.population, p.year FROM p JOIN y USING (year) "
        "JOIN geo_lad d ON d.lad_code = p.area_code", [year])
    return {r[0]: float(r[1]) for r in rows}, (rows[0][2] if rows else None)


def _rate(published: int | str | None, population: float | None) -> dict[str, Any]:
    """Rate per 1,000 residents with its 95% CI (Byar, exact below 10: Fingertips' methods,
    vru.analysis.indicators), from the *published* count, so a suppressed count has no rate."""
    from vru.analysis.indicators import crude_rate

    n = Exit.numeric(published)
    if n is None or population is None:
        return {"rate_per_1000": None, "rate_lower": None, "rate_upper": None}
    r = crude_rate(int(n), population, per=1000)
    return {"rate_per_1000": round(r.value, 2), "rate_lower": round(r.lower, 2),
            "rate_upper": round(r.upper, 2)}


# A month at either end of a series holding less than this share of the median month is a
# partial month (e.g. a few force-extract crimes committed before the first full month): it is
# left out of charts and named, so no chart starts or ends with a fake drop to zero.
STRAY_SHARE = 0.1


def trim_stray(months: list[date], totals: list[int]) -> tuple[int, int]:
    """(first, last) index of the months to chart: partial months at the ends are dropped."""
    nonzero = sorted(t for t in totals if t > 0)
    if len(nonzero) < 3:
        return 0, len(months) - 1
    floor = STRAY_SHARE * nonzero[len(nonzero) // 2]
    lo, hi = 0, len(months) - 1
    while lo < hi and totals[lo] < floor:
        lo += 1
    while hi > lo and totals[hi] < floor:
        hi -= 1
    return lo, hi


def trends(ws: Workspace, ex: Exit, f: q.Filters, by: str,
           measure: str = "count") -> dict[str, Any]:
    """Monthly series by crime type or area; ``measure='rate'`` gives rates per 1,000 residents
    (areas: each local authority's population; crime types: the population of the area
    filtered, or of all areas), computed from the published counts."""
    rows = (q.monthly_by_area if by == "area" else q.monthly_by_type)(ws, ws.settings, f)
    empty = {"months": [], "series": [], "by": by, "measure": measure, "filters": f.as_dict(),
             "partial_months": []}
    if not rows:
        return empty
    months = _months(min(r[1] for r in rows), max(r[1] for r in rows))
    idx = {m: i for i, m in enumerate(months)}
    series: dict[str, list[int]] = {}
    for name, month, n in rows:
        series.setdefault(name, [0] * len(months))[idx[month]] = n
    totals = [sum(v[i] for v in series.values()) for i in range(len(months))]
    lo, hi = trim_stray(months, totals)
    partial = [m.isoformat()[:7] for i, m in enumerate(months) if i < lo or i > hi]
    months = months[lo:hi + 1]
    series = {k: v[lo:hi + 1] for k, v in series.items()}
    ranked = sorted(series.items(), key=lambda kv: -sum(kv[1]))
    out = {"by": by, "measure": measure, "filters": f.as_dict(),
           "months": [m.isoformat()[:7] for m in months], "partial_months": partial,
           "unit": "records per month", "population_year": None}
    if measure != "rate":
        out["series"] = [{"name": k, "values": ex.counts(v), "total": ex.count(sum(v))}
                         for k, v in ranked]
        return out
    pops, year = _lad_populations(ws, months[-1].year)
    if by == "area":
        denom = {k: pops.get(k) for k, _ in ranked}
    else:
        area_pop = pops.get(f.area) if f.area else (sum(pops.values()) or None)
        denom = {k: area_pop for k, _ in ranked}
    out.update(unit="per 1,000 residents per month", population_year=year)
    out["series"] = []
    for k, v in ranked:
        pop = denom.get(k)
        if not pop:
            continue  # no population for it (e.g. records without a location)
        vals = [Exit.numeric(x) for x in ex.counts(v)]
        total = Exit.numeric(ex.count(sum(v)))
        out["series"].append({
            "name": k, "values": [None if x is None else round(1000 * x / pop, 4) for x in vals],
            "total": None if total is None else round(1000 * total / pop, 3)})
    if not out["series"]:
        out["note"] = "no population denominators loaded: rates are not available"
    return out


def _published_props(ex: Exit, n: int) -> dict[str, Any]:
    pub = ex.count(n)
    return {"count": pub, "value": Exit.numeric(pub), "suppressed": isinstance(pub, str)}


def grid_layer(ws: Workspace, ex: Exit, f: q.Filters) -> dict[str, Any]:
    rows = q.grid_counts(ws, ws.settings, f)
    size = ws.settings.grid.cell_size_m
    features = []
    if rows:
        arr = np.asarray([(r[0], r[1]) for r in rows], dtype="float64")
        features = geojson.cell_features(arr[:, 0], arr[:, 1], size, [
            {"id": cell_id(e, n, size), **_published_props(ex, count)} for e, n, count in rows])
    return geojson.collection(features, meta={"layer": "grid", "cell_size_m": size,
                                              "filters": f.as_dict(), "disclosure": ex.describe()})


def lsoa_layer(ws: Workspace, ex: Exit, f: q.Filters) -> dict[str, Any]:
    """LSOA counts, each with its rate per 1,000 residents (from the published count; None
    without a population or for a suppressed count)."""
    rows = q.lsoa_counts(ws, ws.settings, f)
    missing = [r[0] for r in rows if r[3] is None and r[4] is None]
    fallback = q.lsoa_centroids_from_crimes(ws, missing)
    pops = areas.lsoa_populations(ws, [r[0] for r in rows])
    features, kinds = [], set()
    for code, name, n, boundary, lon, lat in rows:
        props = {"id": code, "name": name, **_published_props(ex, n)}
        pop = pops.get(code)
        props["population"] = round(pop) if pop else None
        props["rate_per_1000"] = (round(1000 * props["value"] / pop, 3)
                                  if pop and props["value"] is not None else None)
        if boundary:
            geom = json.loads(boundary)
            geom = geom.get("geometry", geom) if geom.get("type") == "Feature" else geom
            kinds.add("boundary")
        elif lon is not None:
            geom = geojson.point(lon, lat)
            kinds.add("centroid")
        elif code in fallback:
            geom = geojson.point(*fallback[code])
            kinds.add("crime_centroid")
        else:
            continue
        features.append(geojson.feature(geom, props))
    return geojson.collection(features, meta={
        "layer": "lsoa", "geometry": sorted(kinds), "filters": f.as_dict(), "rates": bool(pops),
        "disclosure": ex.describe()})


def basemap(ws: Workspace) -> dict[str, Any]:
    """The geography pack drawn as a basemap: force and local authority outlines (LSOA
    boundaries merged), LSOA boundaries, and labels (LA names; LSOA names at higher zoom).
    Geography only: no counts."""
    from vru.geo.outlines import label_point, merge

    rows = q.basemap_lsoas(ws)
    feats: list[dict] = []
    las: dict[str, list[dict]] = {}
    forces: dict[str, list[dict]] = {}
    names: dict[str, str] = {}
    for code, name, lad, lad_name, pfa, pfa_name, gj, lon, lat in rows:
        geom = None
        if gj:
            geom = json.loads(gj)
            geom = geom.get("geometry", geom) if geom.get("type") == "Feature" else geom
            feats.append(geojson.feature(geom, {"kind": "lsoa", "id": code, "name": name}))
            las.setdefault(lad, []).append(geom)
            if pfa:
                forces.setdefault(pfa, []).append(geom)
        names[lad] = lad_name or lad
        if pfa:
            names[pfa] = pfa_name or pfa
        if lon is not None:
            feats.append(geojson.feature(geojson.point(lon, lat),
                                  {"kind": "lsoa_label", "name": name or code}))
    for kind, groups in (("force", forces), ("la", las)):
        for key, geom in merge(groups).items():
            feats.append(geojson.feature(geom, {"kind": kind, "id": key, "name": names.get(key, key)}))
            if kind == "la":
                lon, lat = label_point(geom)
                feats.append(geojson.feature(geojson.point(lon, lat),
                                      {"kind": "la_label", "name": names.get(key, key)}))
    s = ws.settings
    tile = getattr(s, "map", None)
    return geojson.collection(feats, meta={
        "layer": "basemap", "lsoas": sum(1 for f in feats if f["properties"]["kind"] == "lsoa"),
        "local_authorities": len(las), "forces": len(forces),
        "tile_url": tile.tile_url if tile else "",
        "tile_attribution": tile.tile_attribution if tile else "",
        "note": None if rows else "no geography pack loaded (vru geo import): no basemap"})


def points_layer(ws: Workspace, ex: Exit, f: q.Filters) -> dict[str, Any]:
    rows = q.points(ws, ws.settings, f, ex.records_agency, POINT_LIMIT + 1)
    truncated = len(rows) > POINT_LIMIT
    features = [
        geojson.feature(geojson.point(r[5], r[6]), {
            "crime_id": r[0], "month": r[1].isoformat()[:7], "crime_type": r[2],
            "location": r[3], "lsoa_code": r[4], "last_outcome": r[7], "agency": r[8],
        })
        for r in rows[:POINT_LIMIT]
    ]
    return geojson.collection(features, meta={
        "layer": "points", "truncated": truncated, "limit": POINT_LIMIT, "scope": ex.scope,
        "agency": ex.user.agency if ex.scope == "own_agency" else None,
        "filters": f.as_dict()})


def sparkline_svg(values: list[int | str | None], width: int = 140, height: int = 30) -> str:
    """A tiny inline SVG polyline (suppressed months leave gaps). Hand-written: a chart library
    would add a script per table row for what is a dozen lines of markup."""
    nums = [Exit.numeric(v) for v in values]
    finite = [v for v in nums if v is not None]
    if len(nums) < 2 or not finite:
        return ""
    top = max(finite) or 1.0
    step = width / (len(nums) - 1)
    segs, cur = [], []
    for i, v in enumerate(nums):
        if v is None:
            if cur:
                segs.append(cur)
            cur = []
            continue
        cur.append(f"{i * step:.1f},{height - 2 - (height - 4) * v / top:.1f}")
    if cur:
        segs.append(cur)
    lines = "".join(f'<polyline points="{" ".join(s)}"/>' for s in segs if len(s) > 1)
    dots = "".join(
        f'<circle cx="{s[0].split(",")[0]}" cy="{s[0].split(",")[1]}" r="1.5"/>'
        for s in segs if len(s) == 1
    )
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" aria-label="monthly trend">{lines}{dots}</svg>')
