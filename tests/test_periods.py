"""The one periods module, checked against pandas' Period arithmetic (a maintained library)
and hand-worked cases, never against itself."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from vru import periods


@pytest.mark.parametrize("start", ["1999-12", "2023-01", "2023-11", "2024-02"])
@pytest.mark.parametrize("k", [-25, -13, -12, -1, 0, 1, 2, 11, 12, 14, 37])
def test_add_months_matches_pandas(start, k):
    want = (pd.Period(start, "M") + k).to_timestamp().date()
    assert periods.add_months(date.fromisoformat(start + "-17"), k) == want


def test_month_range_and_counts_match_pandas():
    got = periods.month_range(date(2022, 11, 1), date(2024, 2, 29))
    want = [p.to_timestamp().date() for p in pd.period_range("2022-11", "2024-02", freq="M")]
    assert got == want
    assert periods.months_between(date(2022, 11, 5), date(2024, 2, 1)) == len(want) - 1
    assert periods.month_range(date(2024, 3, 1), date(2024, 2, 1)) == []


def test_quarters_and_financial_years():
    for d in periods.month_range(date(2023, 1, 1), date(2024, 12, 1)):
        assert periods.quarter(d) == pd.Timestamp(d).quarter
        assert periods.quarter_key(d) == f"{d.year}-Q{pd.Timestamp(d).quarter}"
    assert periods.financial_year_label(date(2024, 3, 31)) == "2023/24"
    assert periods.financial_year_label(date(2024, 4, 1)) == "2024/25"
    assert periods.financial_year_start(date(2000, 1, 15)) == 1999


def test_same_day_earlier_clamps_to_month_end():
    assert periods.same_day_months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert periods.same_day_months_before(date(2023, 3, 31), 1) == date(2023, 2, 28)
    assert periods.same_day_months_before(date(2024, 1, 15), 13) == date(2022, 12, 15)


def test_last_months_and_period_end():
    p = periods.last_months(date(2024, 3, 1), 12)
    assert (p.first, p.last, p.n_months, p.end) == (date(2023, 4, 1), date(2024, 3, 1), 12,
                                                    date(2024, 4, 1))
    assert periods.last_months(date(2024, 3, 1), 12, first=date(2023, 9, 1)).first == date(2023, 9, 1)
    assert periods.parse_month("2024-02") == date(2024, 2, 1)
    with pytest.raises(ValueError, match="not YYYY-MM"):
        periods.parse_month("2024/02")
    assert periods.month_full("Sep") == "September"


def test_financial_quarters_match_pandas_fiscal_quarters():
    for d in periods.month_range(date(2023, 1, 1), date(2025, 12, 1)):
        q = pd.Timestamp(d).to_period("Q-MAR")  # fiscal year ending in March
        assert periods.financial_quarter(d) == q.quarter
        first, last = periods.financial_quarter_bounds(periods.financial_year_start(d), q.quarter)
        assert (first, last) == (q.start_time.date(), q.end_time.date())
    assert periods.financial_year_bounds(2024) == (date(2024, 4, 1), date(2025, 3, 31))
    for text in ("2024-25", "2024/25", "2024-2025", "FY2024/25"):
        assert periods.parse_financial_year(text) == 2024
    for bad in ("2024-26", "2024", "24-25"):
        with pytest.raises(ValueError, match="not a financial year"):
            periods.parse_financial_year(bad)
    with pytest.raises(ValueError, match="quarter must be 1-4"):
        periods.financial_quarter_bounds(2024, 5)
