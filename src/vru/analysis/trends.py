"""Time patterns: monthly series with a 12-month rolling line, financial years, seasonality,
and time of day by day of week. Pure functions over pandas/NumPy; no IO.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Period:
    """A run of whole months, first and last inclusive (first day of each month)."""

    first: date
    last: date
    label: str

    @property
    def months(self) -> list[date]:
        return month_range(self.first, self.last)

    @property
    def n_months(self) -> int:
        return len(self.months)

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        n = self.n_months
        last = add_months(self.first, -1)
        first = add_months(self.first, -n)
        if is_financial_year(self):
            return Period(first, last, financial_year_label(first))
        return Period(first, last, f"{month_label(first)} to {month_label(last)}")


def add_months(d: date, k: int) -> date:
    m = d.year * 12 + d.month - 1 + k
    return date(m // 12, m % 12 + 1, 1)


def month_range(first: date, last: date) -> list[date]:
    out, d = [], date(first.year, first.month, 1)
    while d <= last:
        out.append(d)
        d = add_months(d, 1)
    return out


def month_label(d: date) -> str:
    return f"{MONTH_NAMES[d.month - 1]} {d.year}"


def financial_year_start(d: date) -> int:
    """The calendar year in which the financial year holding ``d`` starts (April-March)."""
    return d.year if d.month >= 4 else d.year - 1


def financial_year_label(d: date) -> str:
    y = financial_year_start(d)
    return f"{y}/{(y + 1) % 100:02d}"


def is_financial_year(p: Period) -> bool:
    return p.first.month == 4 and p.n_months == 12


# "2023/24", "2023/2024", "FY2023/24" or "2023-2024"; "2023-05" is a month, never a year.
_FY = re.compile(r"^(?:FY\s*)?(\d{4})\s*(?:/\s*(\d{2}|\d{4})|-\s*(\d{4}))$", re.IGNORECASE)
_RANGE = re.compile(r"^(\d{4})-(\d{2})\s*(?:\.\.|to)\s*(\d{4})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(text: str) -> Period:
    """'2023/24' (financial year, April-March), '2023-05..2024-04', or one month '2024-01'."""
    s = text.strip()
    m = _FY.match(s)
    if m:
        y1, y2 = int(m.group(1)), m.group(2) or m.group(3)
        y2i = int(y2) if len(y2) == 4 else (y1 // 100) * 100 + int(y2)
        if y2i != y1 + 1:
            raise ValueError(f"period {text!r}: a financial year runs from one year to the next, "
                             f"e.g. {y1}/{(y1 + 1) % 100:02d}")
        first = date(y1, 4, 1)
        return Period(first, date(y1 + 1, 3, 1), f"{y1}/{(y1 + 1) % 100:02d}")
    m = _RANGE.match(s)
    if m:
        first = _month(m.group(1), m.group(2), text)
        last = _month(m.group(3), m.group(4), text)
        if last < first:
            raise ValueError(f"period {text!r}: the last month is before the first")
        return Period(first, last, f"{month_label(first)} to {month_label(last)}")
    m = _MONTH.match(s)
    if m:
        d = _month(m.group(1), m.group(2), text)
        return Period(d, d, month_label(d))
    raise ValueError(f"period {text!r} not understood: use a financial year like 2023/24 or a "
                     "month range like 2023-05..2024-04")


def _month(y: str, m: str, text: str) -> date:
    mi = int(m)
    if not 1 <= mi <= 12:
        raise ValueError(f"period {text!r}: month {m} is not 01-12")
    return date(int(y), mi, 1)


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
