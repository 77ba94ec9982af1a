"""Trends: periods, monthly series and rolling totals, financial years, seasonality, hours."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from vru import periods
from vru.analysis import trends


def test_parse_financial_year_and_ranges():
    p = periods.parse_period("2023/24")
    assert (p.first, p.last, p.n_months) == (date(2023, 4, 1), date(2024, 3, 1), 12)
    assert periods.is_financial_year(p)
    assert p.previous().label == "2022/23"
    assert periods.parse_period("2023-2024").label == "2023/24"
    r = periods.parse_period("2023-05..2024-04")
    assert (r.first, r.last, r.n_months) == (date(2023, 5, 1), date(2024, 4, 1), 12)
    prev = r.previous()
    assert (prev.first, prev.last) == (date(2022, 5, 1), date(2023, 4, 1))
    assert periods.parse_period("2024-01").n_months == 1
    for bad in ("2023/25", "2024-04..2023-05", "2023-13..2024-01", "last year"):
        with pytest.raises(ValueError):
            periods.parse_period(bad)


def test_financial_year_labels():
    assert periods.financial_year_label(date(2024, 3, 31)) == "2023/24"
    assert periods.financial_year_label(date(2024, 4, 1)) == "2024/25"
    assert periods.financial_year_label(date(1999, 12, 1)) == "1999/00"


def test_monthly_series_fills_gaps_and_rolls_twelve_months():
    months = [date(2022, 1, 1), date(2022, 3, 1), date(2022, 3, 1), date(2023, 6, 1)]
    counts = [5, 2, 3, 7]
    s = trends.monthly_series(months, counts, date(2022, 1, 1), date(2023, 6, 1))
    assert len(s) == 18
    assert s["count"].tolist()[:3] == [5, 0, 5]
    # Independent: the rolling 12-month total by explicit slicing.
    c = s["count"].to_numpy()
    for i in range(len(c)):
        expect = c[i - 11:i + 1].sum() if i >= 11 else np.nan
        got = s["rolling_12"].iloc[i]
        assert (np.isnan(expect) and np.isnan(got)) or got == expect
    assert s["rolling_mean_12"].iloc[-1] == pytest.approx(c[-12:].sum() / 12)


def test_by_financial_year_counts_months_behind_each_total():
    months = pd.date_range("2021-05-01", "2024-04-01", freq="MS")
    counts = np.arange(len(months))
    fy = trends.by_financial_year(months, counts).set_index("financial_year")
    assert fy.loc["2021/22", "months"] == 11
    assert fy.loc["2024/25", "months"] == 1
    assert fy.loc["2022/23", "count"] == counts[11:23].sum()


def test_seasonality_index_recovers_a_planted_peak():
    months = pd.date_range("2020-01-01", "2023-12-01", freq="MS")
    counts = np.where(months.month == 7, 200, 100)
    s = trends.seasonality(months, counts).set_index("month_name")
    overall = counts.mean()
    assert s.loc["Jul", "index"] == pytest.approx(200 / overall)
    assert s.loc["Jan", "index"] == pytest.approx(100 / overall)
    assert s.loc["Jul", "years"] == 4


def test_time_of_day_grid_matches_pandas_crosstab():
    rng = np.random.default_rng(3)
    base = np.datetime64("2023-01-02T00:00")
    ts = base + rng.integers(0, 60 * 24 * 365, 5000).astype("timedelta64[m]")
    stamps = list(pd.to_datetime(ts)) + [None]
    grid = trends.time_of_day_by_weekday(stamps)
    s = pd.Series(pd.to_datetime(ts))
    ref = pd.crosstab(s.dt.day_of_week, s.dt.hour).reindex(index=range(7), columns=range(24),
                                                          fill_value=0)
    np.testing.assert_array_equal(grid, ref.to_numpy())
    d, h, c = trends.peak_cell(grid)
    assert c == grid.max() and grid[d, h] == c
    assert trends.time_of_day_by_weekday([datetime(2024, 1, 5, 23, 30)])[4, 23] == 1
