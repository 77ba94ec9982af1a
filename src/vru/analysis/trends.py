"""Time patterns: monthly series with a 12-month rolling line, financial years, seasonality,
and time of day by day of week. Pure functions over pandas/NumPy; no IO.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from vru.periods import MONTH_NAMES, financial_year_label, month_range

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def monthly_series(months, counts, first: date, last: date) -> pd.DataFrame:
    """A complete monthly series (missing months = 0) with the 12-month rolling total and mean.

    ``rolling_12`` is the sum of the 12 months ending in each month (NaN until 12 months are
    available); ``rolling_mean_12`` is that sum divided by 12.
    """
    idx = pd.DatetimeIndex([pd.Timestamp(d) for d in month_range(first, last)])
    s = pd.Series(np.asarray(counts, float), index=pd.DatetimeIndex(pd.to_datetime(months)))
    s = s.groupby(level=0).sum().reindex(idx, fill_value=0.0)
    out = pd.DataFrame({"month": idx, "count": s.to_numpy()})
    roll = out["count"].rolling(12, min_periods=12).sum()
    out["rolling_12"] = roll
    out["rolling_mean_12"] = roll / 12
    return out


def by_financial_year(months, counts) -> pd.DataFrame:
    """Totals per financial year with the number of months of data behind each."""
    df = pd.DataFrame({"month": pd.to_datetime(months), "count": np.asarray(counts, float)})
    if df.empty:
        return pd.DataFrame(columns=["financial_year", "count", "months"])
    df["financial_year"] = [financial_year_label(d.date()) for d in df["month"]]
    g = df.groupby("financial_year").agg(count=("count", "sum"), months=("month", "nunique"))
    return g.reset_index().sort_values("financial_year").reset_index(drop=True)


def covered_span(counts, share: float = 0.1) -> tuple[int, int]:
    """(first, last) index of the months with real coverage: months at either end of the run
    holding under ``share`` of the median month are partial (a few records dated just before
    an extract's first full month, or a month still being loaded) and are left out. The same
    rule as the workspace's coverage view (``crime_coverage``). (0, -1) when nothing is left."""
    c = np.asarray(counts, float)
    if not len(c):
        return 0, -1
    ok = c >= share * float(np.median(c))
    if not ok.any():
        return 0, -1
    idx = np.flatnonzero(ok)
    return int(idx[0]), int(idx[-1])


def seasonality(months, counts) -> pd.DataFrame:
    """Mean count per calendar month and its index (mean / overall monthly mean; 1 = average)."""
    df = pd.DataFrame({"month": pd.to_datetime(months), "count": np.asarray(counts, float)})
    df["calendar_month"] = df["month"].dt.month
    g = df.groupby("calendar_month")["count"].agg(["mean", "size"]).reindex(range(1, 13))
    overall = df["count"].mean() if len(df) else np.nan
    return pd.DataFrame({
        "calendar_month": range(1, 13),
        "month_name": MONTH_NAMES,
        "mean": g["mean"].to_numpy(),
        "years": g["size"].fillna(0).astype(int).to_numpy(),
        "index": (g["mean"] / overall).to_numpy() if overall and overall > 0 else np.nan,
    })


def time_of_day_by_weekday(timestamps) -> np.ndarray:
    """7 x 24 counts (Monday first, hour 0-23) of the timestamps that are not null."""
    ts = pd.to_datetime(pd.Series(timestamps)).dropna()
    grid = np.zeros((7, 24), dtype=np.int64)
    if len(ts):
        np.add.at(grid, (ts.dt.day_of_week.to_numpy(), ts.dt.hour.to_numpy()), 1)
    return grid


def peak_cell(grid: np.ndarray) -> tuple[int, int, int]:
    """(day index, hour, count) of the busiest weekday-hour."""
    d, h = np.unravel_index(int(np.argmax(grid)), grid.shape)
    return int(d), int(h), int(grid[d, h])
