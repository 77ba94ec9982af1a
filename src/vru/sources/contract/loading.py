"""Helpers for a contract's loader: projections to and from the British National Grid, and
counting inserted rows."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa

from vru.geo.bng import to_bng, to_lonlat
from vru.sources.contract.sql import q


def project_bng(con: duckdb.DuckDBPyConnection, lon: str = "v_longitude",
                lat: str = "v_latitude") -> None:
    """Temp table hub_xy(file_id, row_number, easting, northing) for valid rows with lon/lat."""
    _project(con, lon, lat, ("easting", "northing"), to_bng)


def project_lonlat(con: duckdb.DuckDBPyConnection, e: str = "v_easting",
                   n: str = "v_northing") -> None:
    """Temp table hub_xy(file_id, row_number, longitude, latitude) for valid rows with
    easting/northing."""
    _project(con, e, n, ("longitude", "latitude"), to_lonlat)


def _project(con: duckdb.DuckDBPyConnection, a: str, b: str, out: tuple[str, str],
             fn: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]) -> None:
    # pyproj on NumPy arrays in batches: vectorised, and a fraction of a per-row UDF's cost.
    reader = con.execute(
        f"SELECT file_id, row_number, {q(a)} AS a, {q(b)} AS b FROM hub_ok "
        f"WHERE {q(a)} IS NOT NULL AND {q(b)} IS NOT NULL"
    ).to_arrow_reader(1_000_000)
    batches = []
    schema = pa.schema([("file_id", pa.int64()), ("row_number", pa.int64()),
                        (out[0], pa.float64()), (out[1], pa.float64())])
    for batch in reader:
        x, y = fn(batch.column(2).to_numpy(zero_copy_only=False),
                  batch.column(3).to_numpy(zero_copy_only=False))
        batches.append(pa.record_batch([batch.column(0), batch.column(1), pa.array(x),
                                        pa.array(y)], schema=schema))
    table = pa.Table.from_batches(batches, schema=schema)
    con.register("hub_xy_arrow", table)
    try:
        con.execute("CREATE TEMP TABLE hub_xy AS SELECT * FROM hub_xy_arrow")
    finally:
        con.unregister("hub_xy_arrow")


def gps_pings_loader(table: str, who: str) -> Callable:
    """The loader of a GPS ping contract (tagged people, patrols): ``who`` (the pseudonym or
    reference column) and the fix's time, place, grid position and accuracy into ``table``."""
    def load(ctx) -> int:
        project_bng(ctx.con)
        return inserted(ctx.con, f"""
            INSERT INTO {table} SELECT {who}, v_ping_time, v_longitude, v_latitude,
                   x.easting, x.northing, v_accuracy_m, o.file_id, o.row_number, ?
            FROM hub_ok o LEFT JOIN hub_xy x USING (file_id, row_number)""", [ctx.import_id])
    return load


def inserted(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    """Run an INSERT and return the number of rows it stored."""
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row else 0

