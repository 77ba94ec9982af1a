"""Helpers for a contract's loader: projections to and from the British National Grid, and
counting inserted rows."""

from __future__ import annotations

import threading
from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa

from vru.geo.bng import to_bng, to_lonlat
from vru.sources.contract.sql import ARROW_BATCH, q


class ArrowSlot:
    """An Arrow table that DuckDB reads by the name of a variable holding this slot (its
    replacement scan takes any object with ``__arrow_c_stream__``), filled after the variable
    is bound: the engine binds ``hub_xy`` to the chunk's slot before the loader runs, and
    ``project_bng`` fills it. (Neither ``con.register`` nor a temp table: inside the import's
    transaction both keep every chunk's data until commit; see ``engine._import_chunk``.)"""

    def __init__(self) -> None:
        self.table: pa.Table | None = None

    def __arrow_c_stream__(self, requested_schema=None):
        if self.table is None:
            raise RuntimeError("hub_xy is empty: call project_bng/project_lonlat first")
        return self.table.__arrow_c_stream__(requested_schema)


_slots = threading.local()


def chunk_slot() -> ArrowSlot:
    """A fresh ``hub_xy`` slot for this thread's chunk (see ``ArrowSlot``)."""
    _slots.xy = ArrowSlot()
    return _slots.xy


def chunk_slot_clear() -> None:
    _slots.xy = None


def project_bng(con: duckdb.DuckDBPyConnection, lon: str = "v_longitude",
                lat: str = "v_latitude") -> None:
    """The table hub_xy(file_id, row_number, easting, northing) for valid rows with lon/lat."""
    _project(con, lon, lat, ("easting", "northing"), to_bng)


def project_lonlat(con: duckdb.DuckDBPyConnection, e: str = "v_easting",
                   n: str = "v_northing") -> None:
    """The table hub_xy(file_id, row_number, longitude, latitude) for valid rows with
    easting/northing."""
    _project(con, e, n, ("longitude", "latitude"), to_lonlat)


def _project(con: duckdb.DuckDBPyConnection, a: str, b: str, out: tuple[str, str],
             fn: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]) -> None:
    # pyproj on NumPy arrays in batches: vectorised, and a fraction of a per-row UDF's cost.
    reader = con.execute(
        f"SELECT file_id, row_number, {q(a)} AS a, {q(b)} AS b FROM hub_ok "
        f"WHERE {q(a)} IS NOT NULL AND {q(b)} IS NOT NULL"
    ).to_arrow_reader(ARROW_BATCH)
    batches = []
    schema = pa.schema([("file_id", pa.int64()), ("row_number", pa.int64()),
                        (out[0], pa.float64()), (out[1], pa.float64())])
    for batch in reader:
        x, y = fn(batch.column(2).to_numpy(zero_copy_only=False),
                  batch.column(3).to_numpy(zero_copy_only=False))
        batches.append(pa.record_batch([batch.column(0), batch.column(1), pa.array(x),
                                        pa.array(y)], schema=schema))
    slot = getattr(_slots, "xy", None)
    if slot is None:
        raise RuntimeError("project_bng/project_lonlat run only inside an import's loader")
    slot.table = pa.Table.from_batches(batches, schema=schema)


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

