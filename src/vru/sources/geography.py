"""Geography packs: ONS files -> geo_lsoa, geo_lad, geo_lsoa_boundary, geo_population,
geo_deprivation.

Two layouts are accepted (docs/guide/geography.md):
- the ONS layout of ``../shared/data/geography`` (LSOA boundary GeoJSON for 2011 and 2021 with
  their LAD codes, LAD23 -> CSP23 -> PFA23 lookup, LA code history, LSOA centroids, Census 2021
  population by LSOA x age, mid-year LAD population (xlsx), IoD 2019 for England and Wales);
- the vru pack layout (``lsoa.csv``, ``lad.csv``, ``population.csv``, ``deprivation.csv`` and an
  optional ``lsoa_boundaries.geojson``), which the synthetic world writes.

A geography import replaces the geography tables in one transaction; importing the same files
again is a no-op (component checksums are compared).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from vru.engine import DUCKDB as SQL
from vru.geo.bng import to_bng
from vru.sources.files import ImportRefused
from vru.workspace import Workspace

GEO_TABLES = ("geo_lsoa", "geo_lad", "geo_lsoa_boundary", "geo_population", "geo_deprivation")

ONS_FILES = {
    "lsoa21": "lsoa/lsoa21_boundaries_ew.geojson.gz",
    "lsoa11": "lsoa/lsoa11_boundaries_ew.geojson.gz",
    "lad_csp_pfa": "lookups/lad23_csp23_pfa23.csv",
    "la_codes": "lookups/la_all_codes.csv",
    "centroids": "lookups/lsoa_latlong.csv.gz",
    "pop_lsoa": "population/census21_lsoa21_age.csv.gz",
    "pop_lad": "population/LAD23_Mid_Year_pop_2011_to_2023.xlsx",
    "imd_eng": "deprivation/iod2019_eng.csv.gz",
    "imd_wal": "deprivation/iod2019_wal.csv.gz",
}
PACK_FILES = {
    "lsoa": "lsoa.csv",
    "lad": "lad.csv",
    "population": "population.csv",
    "deprivation": "deprivation.csv",
    "boundaries": "lsoa_boundaries.geojson",
}
AGE_BANDS = {
    "Aged 15 years and under": "0-15",
    "Aged 16 to 24 years": "16-24",
    "Aged 25 to 34 years": "25-34",
    "Aged 35 to 49 years": "35-49",
    "Aged 50 to 64 years": "50-64",
    "Aged 65 years and over": "65+",
}


@dataclass
class GeoSummary:
    layout: str
    skipped: bool
    rows: dict[str, int] = field(default_factory=dict)
    components: list[str] = field(default_factory=list)


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def detect_layout(root: Path) -> tuple[str, dict[str, Path]]:
    root = Path(root)
    if not root.is_dir():
        raise ImportRefused(f"{root}: not a folder (a geography pack is a folder)")
    if (root / "lsoa.csv").exists():
        found = {k: root / v for k, v in PACK_FILES.items() if (root / v).exists()}
        missing = [v for k, v in PACK_FILES.items() if k in ("lsoa", "lad") and k not in found]
        if missing:
            raise ImportRefused(f"{root}: vru geography pack lacks {', '.join(missing)}")
        return "vru", found
    found = {k: root / v for k, v in ONS_FILES.items() if (root / v).exists()}
    if "lsoa21" not in found and "lsoa11" not in found:
        raise ImportRefused(
            f"{root}: no geography found; expected {ONS_FILES['lsoa21']} (ONS layout) or "
            "lsoa.csv (vru pack layout)"
        )
    return "ons", found


def import_geography(ws: Workspace, root: Path | str, boundaries: bool = True) -> GeoSummary:
    """Load a geography pack, replacing the workspace's geography atomically."""
    layout, files = detect_layout(Path(root))
    if not boundaries:
        files.pop("boundaries", None)
    sums = {k: _sha(p) for k, p in files.items()}
    if layout == "ons" and not boundaries:
        sums["no_boundaries"] = "1"
    previous = {
        (c, s) for c, s in ws.sql(
            "SELECT component, sha256 FROM geo_packs WHERE loaded_at = "
            "(SELECT max(loaded_at) FROM geo_packs)"
        )
    }
    if previous and previous == set(sums.items()):
        return GeoSummary(layout, True, _row_counts(ws), sorted(files))
    with ws.transaction() as con:
        for t in GEO_TABLES:
            con.execute(f"DELETE FROM {t}")
        if layout == "vru":
            _load_vru_pack(con, files)
        else:
            _load_ons(con, files, boundaries)
        now = datetime.now()
        for comp, sha in sorted(sums.items()):
            path = str(files.get(comp, ""))
            rows = 0
            con.execute("INSERT INTO geo_packs VALUES (?, ?, ?, ?, ?)", [now, comp, path, sha, rows])
    return GeoSummary(layout, False, _row_counts(ws), sorted(files))


def _row_counts(ws: Workspace) -> dict[str, int]:
    return {t: ws.scalar(f"SELECT count(*) FROM {t}") for t in GEO_TABLES}


def _csv(path: Path) -> str:
    return SQL.csv_scan(str(path))


# ------------------------------------------------------------------------------- vru layout
def _load_vru_pack(con, files: dict[str, Path]) -> None:
    con.execute(
        f"""INSERT INTO geo_lsoa (lsoa_code, vintage, lsoa_name, lad_code, longitude, latitude,
                                  lsoa11_code)
            SELECT lsoa_code, CAST(vintage AS INTEGER), lsoa_name, lad_code,
                   CAST(longitude AS DOUBLE), CAST(latitude AS DOUBLE),
                   CASE WHEN CAST(vintage AS INTEGER) = 2011 THEN lsoa_code END
            FROM {_csv(files['lsoa'])}"""
    )
    con.execute(
        f"""INSERT INTO geo_lad SELECT lad_code, lad_name, csp_code, csp_name, pfa_code, pfa_name
            FROM {_csv(files['lad'])}"""
    )
    if "population" in files:
        con.execute(
            f"""INSERT INTO geo_population SELECT area_code, area_level, CAST(year AS INTEGER),
                       age_band, CAST(population AS DOUBLE) FROM {_csv(files['population'])}"""
        )
    if "deprivation" in files:
        con.execute(
            f"""INSERT INTO geo_deprivation SELECT lsoa11_code, CAST(imd_rank AS INTEGER),
                       CAST(imd_decile AS INTEGER) FROM {_csv(files['deprivation'])}"""
        )
    if "boundaries" in files:
        con.execute(
            f"""INSERT INTO geo_lsoa_boundary
                SELECT f.properties.lsoa_code::VARCHAR, 2021, to_json(f.geometry)::VARCHAR
                FROM (SELECT unnest(features) AS f FROM read_json('{files['boundaries']}',
                      maximum_object_size = 2000000000))"""
        )
    _finish_lsoa(con)


# ------------------------------------------------------------------------------- ONS layout
def _load_ons(con, files: dict[str, Path], boundaries: bool) -> None:
    for vintage in (2021, 2011):
        key = f"lsoa{str(vintage)[2:]}"
        if key not in files:
            continue
        cd, nm = f"LSOA{str(vintage)[2:]}CD", f"LSOA{str(vintage)[2:]}NM"
        geom = "to_json(f.geometry)::VARCHAR" if boundaries else "NULL"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE feat AS
                SELECT f.properties.{cd}::VARCHAR AS code, f.properties.{nm}::VARCHAR AS name,
                       f.properties.LADCD_ACTIVE::VARCHAR AS lad, {geom} AS geom
                FROM (SELECT unnest(features) AS f FROM read_json('{files[key]}',
                      maximum_object_size = 2000000000))"""
        )
        con.execute(
            f"""INSERT INTO geo_lsoa (lsoa_code, vintage, lsoa_name, lad_code, lsoa11_code)
                SELECT code, {vintage}, name, lad, CASE WHEN {vintage} = 2011 THEN code END
                FROM feat WHERE code NOT IN (SELECT lsoa_code FROM geo_lsoa)"""
        )
        if boundaries:
            con.execute(
                f"""INSERT INTO geo_lsoa_boundary SELECT code, {vintage}, geom FROM feat
                    WHERE code NOT IN (SELECT lsoa_code FROM geo_lsoa_boundary)"""
            )
        con.execute("DROP TABLE feat")
    if "lad_csp_pfa" in files:
        con.execute(
            f"""INSERT INTO geo_lad
                SELECT DISTINCT ON (LAD23CD) LAD23CD, LAD23NM, CSP23CD, CSP23NM, PFA23CD, PFA23NM
                FROM {_csv(files['lad_csp_pfa'])} ORDER BY LAD23CD, CSP23CD"""
        )
    if "la_codes" in files:
        # Any LAD the LSOAs name that the CSP/PFA lookup lacks keeps at least its name.
        con.execute(
            f"""INSERT INTO geo_lad (lad_code, lad_name)
                SELECT DISTINCT LADCD_ACTIVE, LADNM_ACTIVE FROM {_csv(files['la_codes'])}
                WHERE LADCD_ACTIVE IN (SELECT lad_code FROM geo_lsoa)
                  AND LADCD_ACTIVE NOT IN (SELECT lad_code FROM geo_lad)"""
        )
    if "centroids" in files:
        con.execute(
            f"""UPDATE geo_lsoa SET longitude = c.lon, latitude = c.lat
                FROM (SELECT LSOACD AS code, CAST(longitude AS DOUBLE) AS lon,
                             CAST(latitude AS DOUBLE) AS lat FROM {_csv(files['centroids'])}) c
                WHERE c.code = geo_lsoa.lsoa_code"""
        )
    if "pop_lsoa" in files:
        cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in AGE_BANDS.items())
        con.execute(
            f"""INSERT INTO geo_population
                SELECT lsoa21_code, 'lsoa', 2021, CASE age_group {cases} ELSE age_group END,
                       CAST(usual_residents AS DOUBLE)
                FROM {_csv(files['pop_lsoa'])}"""
        )
        con.execute(
            """INSERT INTO geo_population
               SELECT area_code, 'lsoa', 2021, 'all', sum(population) FROM geo_population
               WHERE area_level = 'lsoa' GROUP BY area_code"""
        )
    if "pop_lad" in files:
        _load_mid_year(con, files["pop_lad"])
    for key, rank, decile in (("imd_eng", "index_of_multiple_deprivation_imd_rank",
                               "index_of_multiple_deprivation_imd_decile"),
                              ("imd_wal", "wimd_2019_rank", "wimd_2019_decile")):
        if key in files:
            con.execute(
                f"""INSERT INTO geo_deprivation SELECT lsoa11_code, CAST({rank} AS INTEGER),
                           CAST({decile} AS INTEGER) FROM {_csv(files[key])}"""
            )
    _finish_lsoa(con)


def _load_mid_year(con, path: Path) -> None:
    """ONS mid-year estimates (MYE4 sheet: Code, Name, Geography, Mid-2023 ... Mid-2011)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if "MYE4" not in wb.sheetnames:
            raise ImportRefused(f"{path}: no MYE4 sheet (mid-year population time series)")
        rows = wb["MYE4"].iter_rows(values_only=True)
        years: list[tuple[int, int]] = []
        codes, yrs, pops = [], [], []
        for row in rows:
            if not years:
                if row and row[0] == "Code":
                    years = [(i, int(str(v).split("-")[1])) for i, v in enumerate(row)
                             if isinstance(v, str) and v.startswith("Mid-")]
                continue
            if not row or not row[0]:
                continue
            for i, year in years:
                if isinstance(row[i], int | float):
                    codes.append(str(row[0]))
                    yrs.append(year)
                    pops.append(float(row[i]))
    finally:
        wb.close()
    if not years:
        raise ImportRefused(f"{path}: MYE4 sheet has no 'Code' header row")
    con.register("mye", pa.table({"code": codes, "year": yrs, "pop": pops}))
    con.execute("INSERT INTO geo_population SELECT code, 'lad', year, 'all', pop FROM mye")
    con.unregister("mye")


def _finish_lsoa(con) -> None:
    """BNG centroids; and for LSOAs without a 2011 code, the nearest 2011 LSOA's code
    (deprivation is published on 2011 LSOAs; nearest centroid is a documented approximation)."""
    from scipy.spatial import cKDTree

    arr = con.execute(
        "SELECT lsoa_code, longitude, latitude, lsoa11_code FROM geo_lsoa "
        "WHERE longitude IS NOT NULL"
    ).fetchnumpy()
    if not len(arr["lsoa_code"]):
        return
    e, n = to_bng(arr["longitude"], arr["latitude"])
    codes = np.asarray(arr["lsoa_code"], dtype=object)
    l11 = np.asarray(arr["lsoa11_code"], dtype=object)
    have_imd = {r[0] for r in con.execute("SELECT lsoa11_code FROM geo_deprivation").fetchall()}
    # A 2021 code that is also a 2011 code keeps its own deprivation record.
    l11 = np.array([c if (x is None and c in have_imd) else x for c, x in zip(codes, l11,
                                                                             strict=True)],
                   dtype=object)
    is11 = np.array([c in have_imd for c in codes])
    if is11.any() and (~is11).any():
        tree = cKDTree(np.column_stack([e[is11], n[is11]]))
        _, idx = tree.query(np.column_stack([e[~is11], n[~is11]]))
        l11[~is11] = codes[is11][idx]
    con.register("cent", pa.table({"code": codes.astype(str), "e": e, "n": n,
                                   "l11": pa.array(list(l11), type=pa.string())}))
    con.execute(
        """UPDATE geo_lsoa SET easting = c.e, northing = c.n, lsoa11_code = c.l11
           FROM cent c WHERE c.code = geo_lsoa.lsoa_code"""
    )
    con.unregister("cent")
