"""Hot spots and emerging patterns for the map: the web's filters become a
``vru.analysis.hotspots.service.HotspotQuery`` and the hot-spot service answers, exactly as it
answers `vru hotspots gistar|emerging` (same events, study area, distance band and statistics;
tested). This module only turns the result into GeoJSON cells with their accuracy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vru.geo import geojson
from vru.web import queries as q
from vru.web.exit import Exit
from vru.web.optional import hotspots_available
from vru.workspace import Workspace

MIN_EMERGING_MONTHS = 4


def query_for(f: q.Filters, method: str = "gi_star"):
    """The service query the map asks for these filters (the CLI equivalent: `--area`,
    `--from`, `--to`, `-c`; no `-c` for serious violence)."""
    from vru.analysis.hotspots.service import ALL_CRIME, HotspotQuery

    if f.crime_type is None:
        types: tuple[str, ...] = ALL_CRIME
    elif f.crime_type == q.SERIOUS_VIOLENCE:
        types = ()
    else:
        types = (f.crime_type,)
    return HotspotQuery(crime_types=types, area=f.area, start=f.month_from, end=f.month_to)


def _cells_geojson(x: np.ndarray, y: np.ndarray, size: float, props: list[dict]) -> list[dict]:
    ce, cn = np.asarray(x, float) - size / 2, np.asarray(y, float) - size / 2
    return geojson.cell_features(ce, cn, size, props)


def hotspots(ws: Workspace, f: q.Filters, method: str = "gi_star",
             ex: Exit | None = None) -> dict[str, Any]:
    """The hot-spot layer. For a user without exact counts (``ex`` not exact) every figure
    computed from exact cell counts that could undo disclosure control (Gi* z-scores, emerging
    trend z-scores, places' exact counts and shares) is left out: they get each cell's bin or
    category and places' disclosure-controlled counts only."""
    out = _hotspots(ws, f, method)
    if ex is None or ex.exact:
        return out
    for feat in out["features"]:
        for k in ("z", "trend_z"):
            feat["properties"].pop(k, None)
    meta = out.get("meta", {})
    if "places" in meta:
        meta["places"] = [{"rank": p["rank"], "unit_id": p["unit_id"],
                           "value": ex.count(int(round(p["value"])))
                           if float(p["value"]).is_integer() else None}
                          for p in meta["places"]]
    meta["disclosure"] = ex.describe()
    return out


def _hotspots(ws: Workspace, f: q.Filters, method: str = "gi_star") -> dict[str, Any]:
    if not hotspots_available():
        return geojson.collection([], meta={
            "available": False, "reason": "vru.analysis.hotspots is not installed in this build"})
    from vru.analysis.hotspots import service as svc

    meta: dict[str, Any] = {"available": True, "method": method,
                            "cell_size_m": float(ws.settings.grid.cell_size_m),
                            "filters": f.as_dict()}
    try:  # too little data (no events, fewer places than a statistic needs) is a note, not a 500
        ev, query = svc.events_for(ws, query_for(f, method))
        use_emerging = method == "emerging" and len(ev.months) >= MIN_EMERGING_MONTHS
        m = svc.emerging(ev, query) if use_emerging else svc.gistar(ev, query)
    except ValueError as exc:
        return geojson.collection([], meta={**meta, "note": str(exc)})
    size = float(query.size)
    meta["missing_months"] = ev.missing
    if use_emerging:
        cats = np.asarray(m.result.categories, dtype=object)
        keep = np.flatnonzero(cats != "no pattern")
        props = [{"category": str(cats[i]), "hot_steps": int(m.result.hot[i].sum()),
                  "trend_z": round(float(m.result.trend_z[i]), 2)} for i in keep]
        meta.update(steps=len(m.labels), units=len(m.units), params=m.result.params,
                    distance_m=m.distance_m, distance_method=m.params["distance_method"],
                    distance_label=m.params["distance_label"], study_area=m.area.describe(),
                    accuracy=m.accuracy.as_dict(), accuracy_label=m.accuracy.label())
        feats = _cells_geojson(m.units.x[keep], m.units.y[keep], size, props)
        return geojson.collection(feats, meta=meta)
    res = m.result
    keep = np.flatnonzero(res.bin != 0)
    props = [{"bin": int(res.bin[i]), "z": round(float(res.z[i]), 2),
              "confidence": {3: "99%", 2: "95%", 1: "90%"}[abs(int(res.bin[i]))],
              "kind": "hot" if res.bin[i] > 0 else "cold"} for i in keep]
    places = m.ranking.table
    meta.update(units=len(m.units), params=res.params, distance_m=m.distance_m,
                distance_method=m.params["distance_method"],
                distance_label=m.params["distance_label"], extent=m.area.describe(),
                study_area=m.area.describe(), flagged_area_pct=round(m.flagged_area_pct(), 3),
                significance=m.params["significance"],
                accuracy=m.accuracy.as_dict(), accuracy_label=m.accuracy.label(),
                places=[{"rank": int(r.rank), "unit_id": str(r.unit_id),
                         "value": float(r.value), "share_pct": round(float(r.share_pct), 2)}
                        for r in places.itertuples()])
    feats = _cells_geojson(m.units.x[keep], m.units.y[keep], size, props)
    return geojson.collection(feats, meta=meta)
