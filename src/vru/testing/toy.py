"""A small, fully known force area for profile tests ("Testshire": three local authorities).

(Part of ``vru.testing``; was ``tests/profiles/toy.py``.)

Everything is written through the workspace's own tables (created by the real migrations), and
the generator keeps its own record of what it wrote (``Truth``) so tests compare the profile
with counts computed here in Python, not with the profile's SQL.

The data deliberately contain small counts (robbery, weapons, some LSOAs, some partner months)
so disclosure control has something to suppress.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from vru.geo.bng import to_lonlat
from vru.testing.crimes import insert_crimes
from vru.workspace import Workspace

PFA = ("E23999001", "Testshire")
LADS = (("E07999001", "Alderton"), ("E07999002", "Brookfield"), ("E07999003", "Carrow"))
N_LSOA = 8
BANDS = (("Aged 15 years and under", 300.0), ("Aged 16 to 24 years", 200.0),
         ("Aged 25 to 64 years", 800.0), ("Aged 65 years and over", 200.0))
LSOA_POP = sum(p for _, p in BANDS)          # 1,500 per LSOA
LAD_POP_2023 = 12_600.0                      # mid-year estimate used for LAD rates
MONTHS = [date(2021 + (m + 3) // 12, (m + 3) % 12 + 1, 1) for m in range(36)]  # Apr21..Mar24
ORIGIN_E, ORIGIN_N = 500_000, 240_000
SV_CATS = ("Violence and sexual offences", "Robbery", "Possession of weapons")
# (crime type, HO offence code, base monthly rate per LSOA)
TYPES = (("Violence and sexual offences", "8N", 2.2), ("Violence and sexual offences", "5A", 0.25),
         ("Robbery", "34B", 0.012), ("Possession of weapons", "10A", 0.02),
         ("Burglary", "28E", 0.6), ("Drugs", "92A", 0.3))


def lsoa_code(lad_i: int, i: int) -> str:
    return f"E0199{lad_i}{i:03d}"


@dataclass
class Truth:
    crimes: list[dict] = field(default_factory=list)
    partner: dict[str, list[dict]] = field(default_factory=dict)

    def count(self, lad: str, first: date, last: date, pred) -> int:
        return sum(1 for c in self.crimes if c["lad"] == lad and first <= c["month"] <= last
                   and pred(c))


def build(ws: Workspace, seed: int = 6, partners: bool = True, population: bool = True,
          source: str = "police_rms") -> Truth:
    rng = np.random.default_rng(seed)
    truth = Truth()
    with ws.transaction() as con:
        for li, (code, name) in enumerate(LADS):
            con.execute("INSERT INTO geo_lad VALUES (?, ?, ?, ?, ?, ?)",
                        [code, name, f"E2299900{li + 1}", f"{name} CSP", *PFA])
            if population:
                con.execute("INSERT INTO geo_population VALUES (?, 'lad', 2023, 'all', ?)",
                            [code, LAD_POP_2023])
            for i in range(N_LSOA):
                lc = lsoa_code(li, i + 1)
                e0 = ORIGIN_E + li * 4000 + (i % 4) * 1000
                n0 = ORIGIN_N + (i // 4) * 1000
                lon, lat = to_lonlat(np.array([e0, e0 + 1000, e0 + 1000, e0, e0]),
                                     np.array([n0, n0, n0 + 1000, n0 + 1000, n0]))
                clon, clat = to_lonlat(np.array([e0 + 500.0]), np.array([n0 + 500.0]))
                con.execute("INSERT INTO geo_lsoa (lsoa_code, vintage, lsoa_name, lad_code, "
                            "longitude, latitude, easting, northing, lsoa11_code) VALUES "
                            "(?, 2021, ?, ?, ?, ?, ?, ?, ?)",
                            [lc, f"{name} {i + 1:03d}A", code, float(clon[0]), float(clat[0]),
                             e0 + 500.0, n0 + 500.0, lc])
                geom = {"type": "Polygon", "coordinates": [[[float(x), float(y)]
                                                            for x, y in zip(lon, lat,
                                                                            strict=True)]]}
                con.execute("INSERT INTO geo_lsoa_boundary VALUES (?, 2021, ?)",
                            [lc, json.dumps(geom)])
                con.execute("INSERT INTO geo_deprivation VALUES (?, ?, ?)",
                            [lc, 1000 * (i + 1), i + 1])
                if population:
                    for band, pop in BANDS:
                        con.execute("INSERT INTO geo_population VALUES (?, 'lsoa', 2021, ?, ?)",
                                    [lc, band, pop])
        rows = []
        rn = 0
        for li, (_code, name) in enumerate(LADS):
            lad_factor = (1.6, 1.0, 0.7)[li]
            for i in range(N_LSOA):
                lc = lsoa_code(li, i + 1)
                # More deprived (lower decile) LSOAs get more violence.
                depr = 1.6 - 0.15 * i
                e0 = ORIGIN_E + li * 4000 + (i % 4) * 1000
                n0 = ORIGIN_N + (i // 4) * 1000
                for mi, m in enumerate(MONTHS):
                    trend = 1.0 + 0.006 * mi
                    season = 1.0 + 0.2 * np.sin(2 * np.pi * (m.month - 4) / 12)
                    for ctype, ho, base in TYPES:
                        lam = base * lad_factor * depr * trend * season
                        for _ in range(rng.poisson(lam)):
                            rn += 1
                            day = int(rng.integers(1, 28))
                            hour = int(rng.choice(24, p=_HOURS))
                            at = datetime(m.year, m.month, day, hour, int(rng.integers(0, 60)))
                            e = e0 + float(rng.uniform(0, 1000))
                            n = n0 + float(rng.uniform(0, 1000))
                            age = int(rng.integers(10, 70))
                            sex = "M" if rng.random() < 0.6 else "F"
                            pid = f"P{int(rng.integers(0, 400)):04d}" if rng.random() < 0.5 \
                                else None
                            knife = bool(ctype != "Burglary" and rng.random() < 0.1)
                            rec = {"lad": name, "lsoa": lc, "month": m, "type": ctype, "ho": ho,
                                   "at": at, "age": age, "sex": sex, "knife": knife,
                                   "e": e, "n": n, "pid": pid}
                            truth.crimes.append(rec)
                            rows.append(rec)
        lon, lat = to_lonlat(np.array([r["e"] for r in rows]), np.array([r["n"] for r in rows]))
        con.execute("INSERT INTO source_files VALUES (1, 1, ?, 'crimes', 'toy', 'toy', 'x', "
                    "NULL, NULL, NULL, ?, ?, 2, 0, 'active', now(), NULL, NULL)",
                    [source, len(rows) + 2, len(rows)])
        con.execute("INSERT INTO imports (import_id, source, started_at, rows_read, "
                    "rows_loaded, rows_rejected) VALUES (1, ?, now(), ?, ?, 2)",
                    [source, len(rows) + 2, len(rows)])
        for k in (1, 2):
            con.execute("INSERT INTO rejects VALUES (1, 1, ?, 'crimes', ?, 'month', "
                        "'not a date', NULL)", [source, k])
        g = ws.settings.grid.cell_size_m
        rms = source == "police_rms"
        df = pd.DataFrame({
            "source": source, "crime_id": [f"C{k}" for k in range(len(rows))],
            "month": [r["month"] for r in rows],
            "occurred_from": pd.Series([r["at"] if rms else None for r in rows],
                                       dtype="datetime64[us]"),
            "falls_within": "Testshire Police", "longitude": lon, "latitude": lat,
            "easting": [r["e"] for r in rows], "northing": [r["n"] for r in rows],
            "cell_e": [int(r["e"] // g * g) for r in rows],
            "cell_n": [int(r["n"] // g * g) for r in rows],
            "lsoa_code": [r["lsoa"] for r in rows],
            "lsoa_name": [f"{r['lad']} {int(r['lsoa'][-3:]):03d}A" for r in rows],
            "crime_type": [r["type"] for r in rows],
            "ho_offence_code": [r["ho"] if rms else None for r in rows],
            "victim_age": pd.array([r["age"] if rms else None for r in rows], dtype="Int64"),
            "victim_sex": [r["sex"] if rms else None for r in rows],
            "suspect_pid": [r["pid"] if rms else None for r in rows],
            "knife_flag": pd.array([r["knife"] if rms else None for r in rows],
                                   dtype="boolean"),
            "file_id": 1, "row_number": np.arange(1, len(rows) + 1), "import_id": 1,
        })
        insert_crimes(con, df)
        if partners:
            _partners(con, rng, truth)
    return truth


# Hour-of-day profile: violence peaks late evening.
_HOURS = np.array([4, 3, 3, 2, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 6], float)
_HOURS /= _HOURS.sum()


def _partners(con, rng: np.random.Generator, truth: Truth) -> None:
    ed, adm, yj, exc = [], [], [], []
    rn = 0
    for li, (_code, name) in enumerate(LADS):
        for i in range(N_LSOA):
            lc = lsoa_code(li, i + 1)
            for m in MONTHS:
                for _ in range(rng.poisson(3.0 * (1.6, 1.0, 0.7)[li])):
                    rn += 1
                    at = datetime(m.year, m.month, int(rng.integers(1, 28)),
                                  int(rng.choice(24, p=_HOURS)))
                    loc = str(rng.choice(["Street", "Pub or club", "Home", "Other"]))
                    ed.append(["ED1", m, m + timedelta(days=27), at + timedelta(hours=1), at,
                               "Fist", loc, lc, "lsoa", 2, rn, 2])
                    truth.partner.setdefault("ed", []).append({"lad": name, "month": m,
                                                               "loc": loc})
                for _ in range(rng.poisson(0.05)):
                    rn += 1
                    age = int(rng.integers(12, 40))
                    adm.append([f"H{rn}", m, "X99", True, True, age, lc, 2, rn, 2])
                    truth.partner.setdefault("adm", []).append({"lad": name, "month": m,
                                                                "age": age})
                for _ in range(rng.poisson(0.04)):
                    rn += 1
                    yj.append([f"Y{rn}", "pnc_id", "FTE", m, 15, lc, 2, rn, 2])
                    truth.partner.setdefault("fte", []).append({"lad": name, "month": m})
                for _ in range(rng.poisson(0.3)):
                    rn += 1
                    exc.append([f"U{rn}", "100001", m, "SUSPENSION", "PA", lc, 2, rn, 2])
                    truth.partner.setdefault("exc", []).append({"lad": name, "month": m})
    # One ED record with no location: counted as unplaced, never given an area.
    ed.append(["ED1", MONTHS[-1], MONTHS[-1], None, datetime(2024, 3, 5, 23), "Knife", "Street",
               None, "none", 2, rn + 1, 2])
    _insert(con, "ed_assaults", pd.DataFrame(ed, columns=[
        "site_code", "period_start", "period_end", "arrival_at", "assault_at", "assault_method",
        "location_type", "lsoa_code", "geo_method", "file_id", "row_number", "import_id"]))
    _insert(con, "hospital_admissions", pd.DataFrame(adm, columns=[
        "patient_pid", "admission_date", "icd10_cause", "assault", "sharp_object", "age",
        "lsoa_code", "file_id", "row_number", "import_id"]))
    _insert(con, "youth_justice_events", pd.DataFrame(yj, columns=[
        "person_pid", "pid_kind", "event_type", "event_date", "age", "lsoa_code", "file_id",
        "row_number", "import_id"]))
    _insert(con, "education_exclusions", pd.DataFrame(exc, columns=[
        "pupil_pid", "school_urn", "event_date", "exclusion_type", "reason_code", "lsoa_code",
        "file_id", "row_number", "import_id"]))


def _insert(con, table: str, df: pd.DataFrame) -> None:
    con.register("_toy_df", df)
    cols = ", ".join(df.columns)
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _toy_df")
    con.unregister("_toy_df")


def type_counts(truth: Truth, lad: str, first: date, last: date) -> Counter:
    return Counter(c["type"] for c in truth.crimes
                   if c["lad"] == lad and first <= c["month"] <= last)
