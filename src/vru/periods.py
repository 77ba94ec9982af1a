"""The one periods module: months, quarters, financial years and periods of whole months.

Every layer (sources, workspace, analysis, reports, web, synth) counts months here, so there is
one answer to "the month after", "the 12 months before", "which quarter", "which financial
year". Months are ``date`` objects on the first of the month. No dependencies beyond the
standard library, so the lowest layer can use it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")
MONTH_NAMES_FULL = ("January", "February", "March", "April", "May", "June", "July", "August",
                    "September", "October", "November", "December")


# ------------------------------------------------------------------------------------ months
def month_start(d: date) -> date:
    """The first day of the month holding ``d``."""
    return date(d.year, d.month, 1)


def month_index(d: date) -> int:
    """Months since year 0 (January of year 0 = 0): differences give whole months."""
    return d.year * 12 + d.month - 1


def from_month_index(i: int) -> date:
    return date(i // 12, i % 12 + 1, 1)


def add_months(d: date, k: int) -> date:
    """The first of the month ``k`` months after (before, when negative) the month of ``d``."""
    return from_month_index(month_index(d) + k)


def next_month(d: date) -> date:
    return add_months(d, 1)


def months_between(first: date, last: date) -> int:
    """Whole months from ``first``'s month to ``last``'s month (0 when the same month)."""
    return month_index(last) - month_index(first)


def month_range(first: date, last: date) -> list[date]:
    """Every month from ``first``'s to ``last``'s, inclusive (empty when last < first)."""
    return [from_month_index(i) for i in range(month_index(first), month_index(last) + 1)]


def same_day_months_before(d: date, months: int) -> date:
    """The same day ``months`` calendar months earlier, clamped to that month's last day."""
    m = add_months(d, -months)
    return date(m.year, m.month, min(d.day, calendar.monthrange(m.year, m.month)[1]))


def month_key(d: date) -> str:
    """``YYYY-MM``, the month's key in files, settings and JSON."""
    return f"{d.year:04d}-{d.month:02d}"


def parse_month(text: str | date | None) -> date | None:
    """``YYYY-MM`` (or a date, or None) as the month's first day; a clear error otherwise."""
    if text is None or isinstance(text, date):
        return text
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ValueError(f"month {text!r} is not YYYY-MM") from None


def month_label(d: date) -> str:
    """``Apr 2023``."""
    return f"{MONTH_NAMES[d.month - 1]} {d.year}"


def month_full(short: str) -> str:
    """``Apr`` -> ``April``."""
    return MONTH_NAMES_FULL[MONTH_NAMES.index(short)]


# ---------------------------------------------------------------------------------- quarters
def quarter(d: date) -> int:
    """Calendar quarter, 1-4."""
    return (d.month - 1) // 3 + 1


def quarter_key(d: date) -> str:
    """``2023-Q2``."""
    return f"{d.year}-Q{quarter(d)}"


# --------------------------------------------------------------------------- financial years
def financial_year_start(d: date) -> int:
    """The calendar year in which the financial year holding ``d`` starts (April-March)."""
    return d.year if d.month >= 4 else d.year - 1


def financial_year_label(d: date) -> str:
    """``2023/24`` for any date from April 2023 to March 2024."""
    y = financial_year_start(d)
    return f"{y}/{(y + 1) % 100:02d}"


def financial_year_bounds(start_year: int) -> tuple[date, date]:
    """First and last day of the financial year starting in April of ``start_year``."""
    return date(start_year, 4, 1), date(start_year + 1, 3, 31)


def financial_quarter(d: date) -> int:
    """Quarter of the financial year, 1-4 (April-June is 1, January-March is 4)."""
    return (d.month - 4) % 12 // 3 + 1


def financial_quarter_bounds(start_year: int, q: int) -> tuple[date, date]:
    """First and last day of quarter ``q`` of the financial year starting in ``start_year``."""
    if q not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, not {q!r}")
    first = add_months(date(start_year, 4, 1), 3 * (q - 1))
    last = add_months(first, 3) - timedelta(days=1)
    return first, last


_FY_ANY = re.compile(r"^(?:FY)?\s*(\d{4})\s*[-/]\s*(\d{2}|\d{4})$", re.IGNORECASE)


def parse_financial_year(text: str) -> int:
    """'2024-25', '2024/25', '2024-2025', 'FY2024/25' -> 2024 (the year it starts)."""
    m = _FY_ANY.match(str(text).strip())
    if not m:
        raise ValueError(f"not a financial year (expected e.g. 2024-25): {text!r}")
    start, end = int(m[1]), int(m[2])
    if (len(m[2]) == 2 and end != (start + 1) % 100) or (len(m[2]) == 4 and end != start + 1):
        raise ValueError(f"not a financial year (the years must be consecutive): {text!r}")
    return start


# ----------------------------------------------------------------------------------- periods
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
        return months_between(self.first, self.last) + 1

    @property
    def end(self) -> date:
        """The first day after the period (for half-open ``date < end`` filters)."""
        return next_month(self.last)

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        n = self.n_months
        last = add_months(self.first, -1)
        first = add_months(self.first, -n)
        if is_financial_year(self):
            return Period(first, last, financial_year_label(first))
        return Period(first, last, f"{month_label(first)} to {month_label(last)}")


def is_financial_year(p: Period) -> bool:
    return p.first.month == 4 and p.n_months == 12


def last_months(last: date, n: int, first: date | None = None) -> Period:
    """The ``n`` months ending with ``last``'s month (starting no earlier than ``first``)."""
    start = add_months(last, -(n - 1))
    if first is not None:
        start = max(start, month_start(first))
    end = month_start(last)
    return Period(start, end, f"{month_label(start)} to {month_label(end)}")


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
