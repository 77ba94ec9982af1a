"""Event files read for one analysis without importing them into the workspace: dated events
with projected coordinates (e.g. the NYC shootings, a force extract) and patrol GPS tracks.

Used by `vru hotspots gistar|nearrepeat|backtest --csv` and `vru hotspots dosage --gps`. Every refusal
is an :class:`EventFileError` naming the file, and the row and field where one is at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vru.errors import VruError
from vru.periods import month_range, parse_month

EPOCH = pd.Timestamp("1970-01-01")


class EventFileError(VruError, ValueError):
    """An event file that cannot be used; the message names the file (row, field)."""


@dataclass
class DatedEvents:
    """Located events: x, y in metres of the file's projected CRS, t in days since 1970-01-01
    (whole days), and what was read (``data``)."""

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray
    data: dict

    def by_month(self, start: str | None = None, end: str | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """The events from month ``start`` to ``end`` (YYYY-MM, inclusive) as (x, y, month step,
        month labels); every month from the first to the last counts as covered (a file of
        events cannot tell a gap from a quiet month). ``data`` gains the period."""
        months = (EPOCH + pd.to_timedelta(self.t, unit="D")).to_period("M")
        lab = months.astype(str).to_numpy()
        keep = np.ones(len(lab), bool)
        if start:
            keep &= lab >= parse_month(start).strftime("%Y-%m")
        if end:
            keep &= lab <= parse_month(end).strftime("%Y-%m")
        if not keep.any():
            raise EventFileError(f"{self.data.get('file')}: no events in that period")
        lab = lab[keep]
        labels = [m.strftime("%Y-%m") for m in month_range(parse_month(min(lab)),
                                                           parse_month(max(lab)))]
        pos = {m: i for i, m in enumerate(labels)}
        self.data.update(months=[labels[0], labels[-1]], events_in_period=int(keep.sum()))
        return (self.x[keep], self.y[keep], np.array([pos[m] for m in lab], np.int64), labels)


def _read(path: Path, **kw) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **kw)
    except (OSError, ValueError) as exc:
        raise EventFileError(f"{path}: cannot read: {exc}") from exc


def read_dated_events(path: Path, x_col: str, y_col: str, date_col: str,
                      crs: str = "EPSG:27700", dedupe: str | None = None) -> DatedEvents:
    """Rows of ``path`` with a date and a location (rows without either are counted, not
    used); ``dedupe`` keeps one row per value of that column (e.g. INCIDENT_KEY); x/y are
    converted to metres with the CRS's unit (US feet for EPSG:2263)."""
    from pyproj import CRS

    df = _read(path, low_memory=False)
    missing = [c for c in (x_col, y_col, date_col, dedupe) if c and c not in df.columns]
    if missing:
        raise EventFileError(f"{path}: no column(s) {', '.join(missing)}")
    rows_read = len(df)
    if dedupe:
        df = df.drop_duplicates(dedupe)
    dates = pd.to_datetime(df[date_col], errors="coerce")
    if len(df) and dates.isna().all():
        raise EventFileError(f"{path}: field {date_col!r}: no row holds a date (row 1: "
                             f"{df[date_col].iloc[0]!r})")
    try:
        factor = CRS.from_user_input(crs).axis_info[0].unit_conversion_factor
    except Exception as exc:  # noqa: BLE001 - pyproj raises several kinds
        raise EventFileError(f"--crs {crs!r}: {exc}") from exc
    x = pd.to_numeric(df[x_col], errors="coerce").to_numpy(float) * factor
    y = pd.to_numeric(df[y_col], errors="coerce").to_numpy(float) * factor
    t = np.floor(((dates - EPOCH) / pd.Timedelta(days=1)).to_numpy(float))
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(t)
    data = {"file": str(path), "rows_read": rows_read, "deduplicated_on": dedupe,
            "events": int(len(df)), "events_used": int(ok.sum()),
            "rejected_no_date_or_location": int((~ok).sum()), "crs": crs,
            "metres_per_unit": factor}
    return DatedEvents(x[ok], y[ok], t[ok], data)


def read_gps(path: Path) -> pd.DataFrame:
    """Patrol GPS pings: columns patrol_id, timestamp and easting/northing or lon/lat (WGS84);
    returns patrol_id, timestamp, x, y (British National Grid)."""
    from vru.geo.bng import to_bng

    df = _read(path, dtype=str)
    for c in ("patrol_id", "timestamp"):
        if c not in df.columns:
            raise EventFileError(f"{path}: no column {c!r}")
    ts = pd.to_datetime(df["timestamp"], errors="coerce")
    if ts.isna().any():
        i = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise EventFileError(f"{path}: row {i + 1}, field 'timestamp': "
                             f"{df['timestamp'].iloc[i]!r} is not a date-time")
    if {"easting", "northing"} <= set(df.columns):
        cols = ("easting", "northing")
    elif {"lon", "lat"} <= set(df.columns) or {"longitude", "latitude"} <= set(df.columns):
        cols = ("lon", "lat") if "lon" in df.columns else ("longitude", "latitude")
    else:
        raise EventFileError(f"{path}: needs easting/northing or lon/lat columns")
    a = pd.to_numeric(df[cols[0]], errors="coerce")
    b = pd.to_numeric(df[cols[1]], errors="coerce")
    bad = a.isna() | b.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        field = cols[0] if a.isna().iloc[i] else cols[1]
        raise EventFileError(f"{path}: row {i + 1}, field {field!r}: {df[field].iloc[i]!r} is "
                             f"not a number")
    if cols[0] == "easting":
        x, y = a.to_numpy(float), b.to_numpy(float)
    else:
        x, y = to_bng(a.to_numpy(float), b.to_numpy(float))
    return pd.DataFrame({"patrol_id": df["patrol_id"], "timestamp": ts, "x": x, "y": y})


def read_plan(path: Path) -> pd.DataFrame:
    """A patrol plan written by `vru hotspots plan` (plan.csv): needs unit_id, x, y."""
    df = _read(path)
    for c in ("unit_id", "x", "y"):
        if c not in df.columns:
            raise EventFileError(f"{path}: no column {c!r}")
    return df
