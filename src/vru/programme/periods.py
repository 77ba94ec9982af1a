"""Financial years (1 April - 31 March) and their quarters, as the programme and ledger use them.

A financial year is written ``2024-25``; quarter 1 is April-June, quarter 4 January-March.
Thin wrappers over the one periods module (``vru.periods``), in the programme's own labels.
"""

from __future__ import annotations

from datetime import date

from vru import periods


def _label(y: int) -> str:
    return f"{y}-{(y + 1) % 100:02d}"


def fy_of(d: date) -> str:
    return _label(periods.financial_year_start(d))


def quarter_of(d: date) -> int:
    return periods.financial_quarter(d)


def parse_fy(text: str) -> str:
    """'2024-25', '2024/25', '2024-2025' -> '2024-25'; ValueError otherwise."""
    return _label(periods.parse_financial_year(text))


def fy_start_year(fy: str) -> int:
    return periods.parse_financial_year(fy)


def fy_bounds(fy: str) -> tuple[date, date]:
    return periods.financial_year_bounds(fy_start_year(fy))


def next_fy(fy: str) -> str:
    return _label(fy_start_year(fy) + 1)


def quarter_bounds(fy: str, quarter: int) -> tuple[date, date]:
    return periods.financial_quarter_bounds(fy_start_year(fy), quarter)


def fy_sql(col: str) -> str:
    """SQL: the financial-year label of a DATE expression."""
    y = f"(year({col}) - CASE WHEN month({col}) < 4 THEN 1 ELSE 0 END)"
    return f"({y}::VARCHAR || '-' || lpad((({y} + 1) % 100)::VARCHAR, 2, '0'))"


def quarter_sql(col: str) -> str:
    return f"(((month({col}) + 8) % 12) // 3 + 1)"
