"""Financial years (1 April - 31 March) and their quarters, as the programme and ledger use them.

A financial year is written ``2024-25``; quarter 1 is April-June, quarter 4 January-March.
Built on the one periods module (``vru.periods``); what is here is the ledger's own spelling of a
year (``2024-25``, as grant letters write it) and quarters of the financial year.
"""

from __future__ import annotations

import re
from datetime import date

from vru.periods import financial_year_start

_FY_RE = re.compile(r"^(?:FY)?\s*(\d{4})\s*[-/]\s*(\d{2}|\d{4})$", re.IGNORECASE)


def fy_of(d: date) -> str:
    y = financial_year_start(d)
    return f"{y}-{(y + 1) % 100:02d}"


def quarter_of(d: date) -> int:
    return (d.month - 4) % 12 // 3 + 1


def parse_fy(text: str) -> str:
    """'2024-25', '2024/25', '2024-2025' -> '2024-25'; ValueError otherwise."""
    m = _FY_RE.match(str(text).strip())
    if not m:
        raise ValueError(f"not a financial year (expected e.g. 2024-25): {text!r}")
    start, end = int(m[1]), int(m[2])
    if (len(m[2]) == 2 and end != (start + 1) % 100) or (len(m[2]) == 4 and end != start + 1):
        raise ValueError(f"not a financial year (the years must be consecutive): {text!r}")
    return f"{start}-{(start + 1) % 100:02d}"


def fy_start_year(fy: str) -> int:
    return int(parse_fy(fy)[:4])


def fy_bounds(fy: str) -> tuple[date, date]:
    y = fy_start_year(fy)
    return date(y, 4, 1), date(y + 1, 3, 31)


def next_fy(fy: str) -> str:
    y = fy_start_year(fy) + 1
    return f"{y}-{(y + 1) % 100:02d}"


def quarter_bounds(fy: str, quarter: int) -> tuple[date, date]:
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, not {quarter!r}")
    y = fy_start_year(fy)
    starts = [date(y, 4, 1), date(y, 7, 1), date(y, 10, 1), date(y + 1, 1, 1)]
    ends = [date(y, 6, 30), date(y, 9, 30), date(y, 12, 31), date(y + 1, 3, 31)]
    return starts[quarter - 1], ends[quarter - 1]


def fy_sql(col: str) -> str:
    """SQL: the financial-year label of a DATE expression."""
    y = f"(year({col}) - CASE WHEN month({col}) < 4 THEN 1 ELSE 0 END)"
    return f"({y}::VARCHAR || '-' || lpad((({y} + 1) % 100)::VARCHAR, 2, '0'))"


def quarter_sql(col: str) -> str:
    return f"(((month({col}) + 8) % 12) // 3 + 1)"
