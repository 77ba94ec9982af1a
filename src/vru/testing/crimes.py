"""Synthetic rows straight into ``crimes``, for tests that need exact control of every field.

The one place tests write ``crimes`` rows without an importer (everything else goes through the
importers users use, e.g. ``vru.sources.police_uk.import_police`` on files from
``vru.testing.police_files``). British National Grid coordinates are derived from longitude and
latitude when not given, and grid cells from the workspace's grid (``vru.geo.grid``), so rows
look exactly like imported ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from vru.geo.bng import to_bng
from vru.geo.grid import cell_of
from vru.settings import Grid


def insert_crimes(target: Any, rows: pd.DataFrame | Iterable[dict], *, grid: Grid | None = None,
                  source: str = "police_uk", file_id: int = 1, import_id: int = 1) -> int:
    """Insert rows into ``crimes``; returns how many. ``target`` is a Workspace (one transaction
    is opened) or a connection inside the caller's transaction (then pass ``grid``).
    Missing ``source``/``file_id``/``import_id``/``row_number`` columns get the defaults (row
    numbers count from 1)."""
    df = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if hasattr(target, "transaction"):
        with target.transaction() as con:
            return insert_crimes(con, df, grid=grid or target.settings.grid, source=source,
                                 file_id=file_id, import_id=import_id)
    df = df.copy()
    for col, value in (("source", source), ("file_id", file_id), ("import_id", import_id)):
        if col not in df:
            df[col] = value
    if "row_number" not in df:
        df["row_number"] = np.arange(1, len(df) + 1)
    if "longitude" in df and "easting" not in df:
        lon = pd.to_numeric(df["longitude"], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(df["latitude"], errors="coerce").to_numpy(float)
        e, n = to_bng(lon, lat)
        df["easting"], df["northing"] = e, n
    if "easting" in df and "cell_e" not in df and grid is not None:
        e = pd.to_numeric(df["easting"], errors="coerce").to_numpy(float)
        n = pd.to_numeric(df["northing"], errors="coerce").to_numpy(float)
        ce, cn = cell_of(e, n, grid)
        df["cell_e"] = pd.array(np.where(np.isnan(ce), 0, ce).astype(np.int64), dtype="Int64")
        df["cell_n"] = pd.array(np.where(np.isnan(cn), 0, cn).astype(np.int64), dtype="Int64")
        df.loc[np.isnan(ce), "cell_e"] = pd.NA
        df.loc[np.isnan(cn), "cell_n"] = pd.NA
    for col in ("easting", "northing", "longitude", "latitude"):
        if col in df:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("Float64")  # NaN -> NULL
    target.register("_vru_testing_crimes", df)
    try:
        cols = ", ".join(df.columns)
        target.execute(f"INSERT INTO crimes ({cols}) SELECT {cols} FROM _vru_testing_crimes")
    finally:
        target.unregister("_vru_testing_crimes")
    return len(df)

HOT_LONLAT = (-0.466, 52.136)  # a planted concentration of violence in "Bedford"


def fill_crimes(ws: Any, n: int = 4000, seed: int = 7, months: int = 24) -> None:
    """Synthetic police.uk-like crimes in two areas, with a planted violent hot spot."""
    rng = np.random.default_rng(seed)
    types = ["Violence and sexual offences", "Anti-social behaviour", "Burglary", "Robbery",
             "Shoplifting", "Vehicle crime", "Possession of weapons", "Criminal damage and arson"]
    centres = {"Bedford": (-0.47, 52.135), "Luton": (-0.42, 51.88)}
    rows = []
    hot_n = n // 10
    for i in range(n):
        if i < hot_n:
            area, (lon0, lat0), ctype, spread = "Bedford", HOT_LONLAT, types[0], 0.0006
        else:
            area = "Bedford" if rng.random() < 0.55 else "Luton"
            lon0, lat0 = centres[area]
            ctype, spread = types[int(rng.integers(len(types)))], 0.03
        lon = lon0 + rng.normal(0, spread)
        lat = lat0 + rng.normal(0, spread * 0.6)
        m = int(rng.integers(months))
        month = date(2023 + (m // 12), m % 12 + 1, 1)
        lsoa = f"E0100{int(rng.integers(10)):04d}" if area == "Bedford" else \
            f"E0200{int(rng.integers(10)):04d}"
        lsoa_name = f"{area} {int(lsoa[-3:]):03d}A"
        agency = "City of London Police" if i % 50 == 0 else "Bedfordshire Police"
        no_loc = i % 97 == 0
        rows.append((f"c{i:06d}", month, agency, None if no_loc else lon, None if no_loc else lat,
                     f"On or near Street {i % 40}", lsoa, lsoa_name, ctype, i))
    with ws.transaction() as con:
        con.execute("INSERT INTO imports (import_id, source, started_at, finished_at, user_name, "
                    "files_seen, files_loaded, files_skipped, files_replaced, rows_read, "
                    "rows_loaded, rows_rejected) VALUES (1, 'police_uk', ?, ?, 'test', 1, 1, 0, "
                    "0, ?, ?, 2)", [datetime(2025, 1, 1), datetime(2025, 1, 1), n + 2, n])
        con.execute("INSERT INTO source_files VALUES (1, 1, 'police_uk', 'street', 'x.csv', "
                    "'x.csv', 'abc', 'street/x', 'bedfordshire', NULL, ?, ?, 2, 0, 'active', ?, "
                    "NULL, NULL)",
                    [n + 2, n, datetime(2025, 1, 1)])
        cols = ("crime_id", "month", "reported_by", "longitude", "latitude", "location",
                "lsoa_code", "lsoa_name", "crime_type", "row_number")
        frame = pd.DataFrame(rows, columns=list(cols))
        frame["falls_within"] = frame["reported_by"]
        insert_crimes(con, frame, grid=ws.settings.grid, source="police_uk")
        con.execute("INSERT INTO rejects VALUES (1, 1, 'police_uk', 'street', 5, 'Month', "
                    "'not a month: 2023-13', '{\"Month\": \"2023-13\"}'), (1, 1, 'police_uk', "
                    "'street', 9, 'Crime type', 'unknown crime type', '{\"Crime type\": \"x\"}')")
