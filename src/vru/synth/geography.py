"""The world's geography pack, in the layout `vru geo import` reads.

Files: lsoa.csv, lad.csv, population.csv, deprivation.csv, lsoa_boundaries.geojson.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vru.geo.bng import to_lonlat
from vru.synth.params import AGE_BANDS, SynthParams
from vru.synth.world import PFA_CODE, World, population_years
from vru.synth.writers import fmt_float, write_csv


def write_geography(world: World, p: SynthParams, root: Path) -> dict[str, int]:
    root.mkdir(parents=True, exist_ok=True)
    lon, lat = to_lonlat(world.centroid_e, world.centroid_n)
    write_csv(root / "lsoa.csv", {
        "lsoa_code": world.zone_code,
        "vintage": np.full(world.n, 2021),
        "lsoa_name": world.zone_name,
        "lad_code": np.array(world.lad_code)[world.zone_lad],
        "longitude": fmt_float(lon, 6),
        "latitude": fmt_float(lat, 6),
    })
    write_csv(root / "lad.csv", {
        "lad_code": world.lad_code,
        "lad_name": world.lad_name,
        "csp_code": world.csp_code,
        "csp_name": world.csp_name,
        "pfa_code": [PFA_CODE] * 5,
        "pfa_name": [p.force_name] * 5,
    })
    rows: dict[str, list] = {"area_code": [], "area_level": [], "year": [], "age_band": [],
                             "population": []}
    for year, pop in population_years(world, p).items():
        lad_pop = np.zeros((5, pop.shape[1]), dtype=int)
        np.add.at(lad_pop, world.zone_lad, pop)
        levels = (("lsoa", world.zone_code, pop), ("lad", world.lad_code, lad_pop))
        for level, codes, table in levels:
            for i, code in enumerate(codes):
                for b, band in enumerate(AGE_BANDS):
                    rows["area_code"].append(code)
                    rows["area_level"].append(level)
                    rows["year"].append(year)
                    rows["age_band"].append(band)
                    rows["population"].append(int(table[i, b]))
                rows["area_code"].append(code)
                rows["area_level"].append(level)
                rows["year"].append(year)
                rows["age_band"].append("all")
                rows["population"].append(int(table[i].sum()))
    write_csv(root / "population.csv", rows)
    write_csv(root / "deprivation.csv", {
        "lsoa11_code": world.zone_code,
        "imd_rank": world.imd_rank,
        "imd_decile": world.imd_decile,
    })
    features = []
    allv = np.vstack(world.polygons)
    vlon, vlat = to_lonlat(allv[:, 0], allv[:, 1])
    ends = np.cumsum([len(poly) for poly in world.polygons])
    for code, name, end, poly in zip(world.zone_code, world.zone_name, ends, world.polygons,
                                     strict=True):
        plon, plat = vlon[end - len(poly):end], vlat[end - len(poly):end]
        ring = [[round(float(a), 6), round(float(b), 6)] for a, b in zip(plon, plat, strict=True)]
        ring.append(ring[0])
        features.append({"type": "Feature",
                         "properties": {"lsoa_code": str(code), "lsoa_name": str(name)},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    (root / "lsoa_boundaries.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")),
        encoding="utf-8")
    return {"lsoa": world.n, "lad": 5, "population": len(rows["area_code"])}
