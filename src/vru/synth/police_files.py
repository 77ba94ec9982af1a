"""Police files: data.police.uk monthly street CSVs (snapped, month-only) from crime batches.

data.police.uk moves every crime to the nearest of a fixed set of anonymous map points ("On or
near <street>"), keeps only the month, drops coordinates for a few per cent of rows and gives
anti-social behaviour no Crime ID. The LSOA written is that of the map point.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from vru.geo.bng import to_lonlat
from vru.synth.crime_details import CrimeDetails
from vru.synth.crimes import ASB, CATEGORIES, CrimeBatch, CrimeModel
from vru.synth.params import SynthParams
from vru.synth.world import World, sample_in_zones
from vru.synth.writers import fmt_float, hex_ids, write_csv

STREET_COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
                  "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
                  "Context"]

_FIRST = ("Church", "Mill", "Station", "High", "Park", "Victoria", "Albert", "Queen", "King",
          "Manor", "Chapel", "School", "Green", "Orchard", "Meadow", "Grange", "Bridge", "Castle",
          "Windmill", "Oak", "Elm", "Ash", "Beech", "Willow", "Cedar", "Holly", "Rectory", "Spring",
          "North", "South", "West", "East", "New", "Old", "Market", "Brook", "Hill", "Forge",
          "Abbey", "Priory", "Cross", "Well", "Kiln", "Tanner", "Fuller", "Cooper", "Weaver",
          "Kingsmere", "Harrow", "Oxley", "Bracken", "Marsh", "Heath", "Common", "Vicarage")
_SECOND = ("Road", "Street", "Lane", "Close", "Avenue", "Way", "Drive", "Gardens", "Crescent",
           "Place", "Court", "Walk", "Row", "Terrace", "Rise", "View", "Mews", "Square")
_PLACES = ("Supermarket", "Parking Area", "Petrol Station", "Sports/Recreation Area",
           "Shopping Area", "Pedestrian Subway", "Further/Higher Educational Building",
           "Hospital", "Police Station", "Theatre/Concert Hall", "Bus/Coach Station",
           "Conference/Exhibition Centre")
_HOTSPOT_PLACES = ("Nightclub", "Shopping Area", "Bus/Coach Station", "Parking Area")


@dataclass
class MapPoints:
    e: np.ndarray
    n: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    name: np.ndarray            # "On or near ..."
    zone: np.ndarray
    tree: cKDTree

    def snap(self, e: np.ndarray, n: np.ndarray) -> np.ndarray:
        return self.tree.query(np.column_stack([e, n]))[1]


def build_map_points(world: World, model: CrimeModel, p: SynthParams) -> MapPoints:
    rng = np.random.default_rng([p.seed, 401])
    per_zone = np.maximum(4, np.round(world.total_population() / 100
                                      * p.crime.anon_points_per_100_people)).astype(int)
    zones = np.repeat(np.arange(world.n), per_zone)
    e, n = sample_in_zones(world, zones, rng)
    names = np.array([f"{a} {b}" for a in _FIRST for b in _SECOND], dtype=object)
    label = names[rng.integers(0, names.size, e.size)]
    place = rng.random(e.size) < 0.1
    label[place] = np.array(_PLACES, dtype=object)[rng.integers(0, len(_PLACES), place.sum())]
    hs = model.hotspots
    e = np.concatenate([e, hs.e])
    n = np.concatenate([n, hs.n])
    label = np.concatenate([label, np.array(_HOTSPOT_PLACES, dtype=object)[
        np.arange(hs.e.size) % len(_HOTSPOT_PLACES)]])
    lon, lat = to_lonlat(e, n)
    # Real points are snapped to 6 decimals of a degree; keep the point itself at that precision.
    lon, lat = np.round(lon, 6), np.round(lat, 6)
    on_or_near = np.array(["On or near " + s for s in label], dtype=object)
    return MapPoints(e, n, lon, lat, on_or_near, world.zone_of(e, n),
                     cKDTree(np.column_stack([e, n])))


def street_rows(batch: CrimeBatch, det: CrimeDetails, world: World, points: MapPoints,
                p: SynthParams) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """police.uk street columns for a month batch, plus each row's Crime ID and map point.

    Rows come back in file order: by LSOA code (rows without a location last), then uid.
    """
    m = batch.month
    rng = np.random.default_rng([p.seed, 402, batch.rng_key])
    n = len(batch)
    ids = np.array(hex_ids(rng, n), dtype=object)
    ids[batch.cat == ASB] = ""
    pt = points.snap(batch.e, batch.n)
    nolo = rng.random(n) < p.crime.no_location_share
    pt = np.where(nolo, -1, pt)
    zone = np.where(nolo, -1, points.zone[np.maximum(pt, 0)])
    codes = np.where(nolo, "", world.zone_code[np.maximum(zone, 0)])
    order = np.lexsort((batch.uid, codes, nolo))
    month = f"{m.year:04d}-{m.month:02d}"
    pto = np.maximum(pt, 0)[order]
    nl = nolo[order]
    zo = np.maximum(zone, 0)[order]
    cols = {
        "Crime ID": ids[order],
        "Month": np.full(n, month, dtype=object),
        "Reported by": np.full(n, p.force_name, dtype=object),
        "Falls within": np.full(n, p.force_name, dtype=object),
        "Longitude": fmt_float(np.where(nl, np.nan, points.lon[pto]), 6),
        "Latitude": fmt_float(np.where(nl, np.nan, points.lat[pto]), 6),
        "Location": np.where(nl, "No location", points.name[pto]),
        "LSOA code": codes[order],
        "LSOA name": np.where(nl, "", world.zone_name[zo]),
        "Crime type": np.array(CATEGORIES, dtype=object)[batch.cat[order]],
        "Last outcome category": det.outcome[order],
        "Context": np.full(n, "", dtype=object),
    }
    return cols, ids, pt


def street_path(root: Path, month, slug: str) -> Path:
    tag = f"{month.year:04d}-{month.month:02d}"
    return root / tag / f"{tag}-{slug}-street.csv"


def write_street(root: Path, batch: CrimeBatch, cols: dict[str, np.ndarray], slug: str) -> int:
    """Write (or, for a later slice of the month, append to) the month's street file."""
    return write_csv(street_path(root, batch.month, slug), {c: cols[c] for c in STREET_COLUMNS},
                     append=batch.part > 0)
