"""Hot spots and emerging patterns for the map, from vru.analysis.hotspots when installed.

The statistics are the hotspot engineer's pure functions; this module only feeds them the grid
counts (SQL) and turns the result into GeoJSON cells.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vru.web import queries as q
from vru.web.optional import hotspots_available
from vru.web.views import cell_rings
from vru.workspace import Workspace

MAX_BBOX_CELLS = 250_000


def _cells_geojson(ce: np.ndarray, cn: np.ndarray, size: float, props: list[dict]) -> list[dict]:
    return [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
             "properties": p} for ring, p in zip(cell_rings(ce, cn, size), props, strict=True)]


def hotspots(ws: Workspace, f: q.Filters, method: str = "gi_star") -> dict[str, Any]:
    if not hotspots_available():
        return {"type": "FeatureCollection", "features": [],
                "meta": {"available": False,
                         "reason": "vru.analysis.hotspots is not installed in this build"}}
    from vru.analysis.hotspots.gistar import gi_star
    from vru.analysis.hotspots.units import distance_band_weights

    size = float(ws.settings.grid.cell_size_m)
    w_sql, p = q.where(f, ws.settings)
    rows = ws.sql(
        f"SELECT c.cell_e, c.cell_n, c.month, count(*)::BIGINT FROM crimes_geo c "
        f"WHERE {w_sql} AND c.cell_e IS NOT NULL GROUP BY ALL", p)
    meta: dict[str, Any] = {"available": True, "method": method, "cell_size_m": size,
                            "filters": f.as_dict()}
    if not rows:
        return {"type": "FeatureCollection", "features": [], "meta": meta}
    arr = np.asarray([(r[0], r[1]) for r in rows], dtype=np.int64)
    months = sorted({r[2] for r in rows})
    counts = np.asarray([r[3] for r in rows], dtype=float)
    if method == "emerging" and len(months) >= 4:
        from vru.analysis.hotspots.emerging import emerging_hot_spots

        # cells with any event (the space-time cube convention), one step per month
        keys, inv = np.unique(arr, axis=0, return_inverse=True)
        m_idx = {m: i for i, m in enumerate(months)}
        cube = np.zeros((len(keys), len(months)))
        np.add.at(cube, (inv.ravel(), [m_idx[r[2]] for r in rows]), counts)
        w = distance_band_weights(keys[:, 0] + size / 2, keys[:, 1] + size / 2, 1.5 * size)
        res = emerging_hot_spots(cube, w)
        cats = np.asarray(res.categories, dtype=object)
        keep = np.flatnonzero((cats != "") & (cats != "no pattern"))
        props = [{"category": str(cats[i]), "hot_steps": int(res.hot[i].sum()),
                  "trend_z": round(float(res.trend_z[i]), 2)} for i in keep]
        meta.update(steps=len(months), units=len(keys), params=res.params)
        feats = _cells_geojson(keys[keep, 0].astype(float), keys[keep, 1].astype(float), size,
                               props)
        return {"type": "FeatureCollection", "features": feats, "meta": meta}
    # Gi* over the whole period, on every cell of the events' bounding box (empty cells count)
    keys, inv = np.unique(arr, axis=0, return_inverse=True)
    tot = np.zeros(len(keys))
    np.add.at(tot, inv.ravel(), counts)
    col = ((keys[:, 0] - keys[:, 0].min()) // size).astype(np.int64)
    row = ((keys[:, 1] - keys[:, 1].min()) // size).astype(np.int64)
    ncol, nrow = col.max() + 3, row.max() + 3
    if ncol * nrow <= MAX_BBOX_CELLS:
        cc, rr = np.meshgrid(np.arange(ncol), np.arange(nrow), indexing="ij")
        cc, rr = cc.ravel(), rr.ravel()
        y = np.zeros(len(cc))
        y[(col + 1) * nrow + (row + 1)] = tot
        ce = keys[:, 0].min() + (cc - 1) * size
        cn = keys[:, 1].min() + (rr - 1) * size
        meta["extent"] = "bounding box"
    else:  # too large a box: fall back to cells with events, and say so
        ce, cn, y = keys[:, 0].astype(float), keys[:, 1].astype(float), tot
        meta["extent"] = "cells with events"
    w = distance_band_weights(ce + size / 2, cn + size / 2, 1.5 * size)
    res = gi_star(y, w, fdr=True)
    keep = np.flatnonzero(res.bin != 0)
    props = [{"bin": int(res.bin[i]), "z": round(float(res.z[i]), 2),
              "confidence": {3: "99%", 2: "95%", 1: "90%"}[abs(int(res.bin[i]))],
              "kind": "hot" if res.bin[i] > 0 else "cold"} for i in keep]
    meta.update(units=len(y), params=res.params)
    feats = _cells_geojson(np.asarray(ce, float)[keep], np.asarray(cn, float)[keep], size, props)
    return {"type": "FeatureCollection", "features": feats, "meta": meta}
