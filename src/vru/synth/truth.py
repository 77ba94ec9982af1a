"""The ground-truth folder: what the generator did, for tests and for checking analyses.

truth/parameters.json     every parameter, the seed, categories and profiles
truth/hotspots.csv        planted micro-hotspots: centre, 150 m cell, zone, expected events/year
truth/zone_rates.csv      background events per year by zone and category (before seasonality)
truth/profiles.csv        season (by month), day-of-week and hour-of-day multipliers per category
truth/crimes/YYYY-MM.csv  every crime: exact time and place, origin (background, hotspot,
                          offspring), parent, police.uk Crime ID and force reference
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vru.synth.crimes import CATEGORIES, CrimeBatch, CrimeModel
from vru.synth.params import SynthParams
from vru.synth.world import World
from vru.synth.writers import fmt_float, write_csv, write_json

ORIGINS = np.array(["background", "hotspot", "offspring"], dtype=object)

# The true intensity of category c at time t in zone z (events per day) is
#   zone_rates[z, c] / 365.25 * season[c, month] * dow[c, weekday] * 24 * hour[c, hour]
# plus the hotspots' rates (same profiles), all divided by (1 - branching_ratio) in expectation
# once offspring are counted.
INTENSITY_FORMULA = (
    "lambda(z,c,t) = zone_rate[z,c]/365.25 * season[c,month(t)] * dow[c,weekday(t)] "
    "* 24*hour[c,hour(t)]  (+ hotspot rates; offspring add branching_ratio/(1-branching_ratio) "
    "in expectation)"
)


def write_static_truth(root: Path, world: World, model: CrimeModel, p: SynthParams) -> None:
    root.mkdir(parents=True, exist_ok=True)
    cell = p.crime.hotspot_cell_m
    hs = model.hotspots
    write_json(root / "parameters.json", {
        "params": p.to_dict(),
        "categories": list(CATEGORIES),
        "intensity": INTENSITY_FORMULA,
        "months": [m.isoformat() for m in model.months],
        "n_zones": world.n,
    })
    write_csv(root / "hotspots.csv", {
        "hotspot": np.arange(hs.e.size),
        "easting": fmt_float(hs.e, 1),
        "northing": fmt_float(hs.n, 1),
        "cell_size_m": np.full(hs.e.size, cell),
        "cell_e": (np.floor(hs.e / cell) * cell).astype(int),
        "cell_n": (np.floor(hs.n / cell) * cell).astype(int),
        "lsoa_code": world.zone_code[hs.zone],
        "violence_per_year": fmt_float(hs.rate[:, CATEGORIES.index("Violence and sexual offences")],
                                       3),
        "all_per_year": fmt_float(hs.rate.sum(axis=1), 3),
        "patrolled": np.where(hs.patrolled, "Y", "N"),
        "patrol_start": np.where(hs.patrolled, hs.patrol_start.isoformat(), ""),
        "patrol_effect": np.where(hs.patrolled, f"{p.crime.patrol_effect:.3f}", ""),
    })
    zr: dict[str, list] = {"lsoa_code": [], "crime_type": [], "events_per_year": []}
    for j, name in enumerate(CATEGORIES):
        zr["lsoa_code"].extend(world.zone_code.tolist())
        zr["crime_type"].extend([name] * world.n)
        zr["events_per_year"].extend(fmt_float(model.zone_rate[:, j], 4).tolist())
    write_csv(root / "zone_rates.csv", zr)
    pr: dict[str, list] = {"crime_type": [], "profile": [], "index": [], "value": []}
    for j, name in enumerate(CATEGORIES):
        for prof, arr in (("season_month", model.season[j]), ("dow", model.dow[j]),
                          ("hour_share", model.hour[j])):
            for i, v in enumerate(arr):
                pr["crime_type"].append(name)
                pr["profile"].append(prof)
                pr["index"].append(i + 1 if prof == "season_month" else i)
                pr["value"].append(f"{v:.6f}")
    write_csv(root / "profiles.csv", pr)


def write_crime_truth(root: Path, batch: CrimeBatch, world: World, crime_ids: np.ndarray,
                      force_refs: np.ndarray) -> None:
    m = batch.month
    write_csv(root / "crimes" / f"{m.year:04d}-{m.month:02d}.csv", append=batch.part > 0,
              columns={
        "uid": batch.uid,
        "force_ref": force_refs,
        "police_uk_crime_id": crime_ids,
        "occurred_at": np.datetime_as_string(batch.t, unit="s"),
        "easting": fmt_float(batch.e, 1),
        "northing": fmt_float(batch.n, 1),
        "lsoa_code": world.zone_code[batch.zone],
        "crime_type": np.array(CATEGORIES, dtype=object)[batch.cat],
        "origin": ORIGINS[batch.origin],
        "hotspot": batch.hotspot,
        "parent_uid": batch.parent,
    })
