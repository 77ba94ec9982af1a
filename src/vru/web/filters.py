"""Parsing the shared filter parameters (area, period, crime type) from a request."""

from __future__ import annotations

from datetime import date

from fastapi import HTTPException, Query

from vru.web.queries import Filters

MONTH_PATTERN = r"^\d{4}-\d{2}$"


def parse_month(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        y, m = value.split("-")
        return date(int(y), int(m), 1)
    except ValueError:
        raise HTTPException(422, f"{name}: {value!r} is not a month (YYYY-MM)") from None


def filters(
    area: str | None = Query(None, max_length=200,
                             description="Local authority name; omit for all."),
    month_from: str | None = Query(None, alias="from", max_length=7,
                                   description="First month, YYYY-MM."),
    month_to: str | None = Query(None, alias="to", max_length=7,
                                 description="Last month, YYYY-MM."),
    crime_type: str | None = Query(None, max_length=100, description=(
        "A police.uk crime category, or 'serious_violence' (the workspace's definition); "
        "omit for all crime.")),
) -> Filters:
    f = Filters(
        area=area or None,
        month_from=parse_month(month_from, "from"),
        month_to=parse_month(month_to, "to"),
        crime_type=crime_type or None,
    )
    if f.month_from and f.month_to and f.month_from > f.month_to:
        raise HTTPException(422, "'from' is after 'to'")
    return f


def period(
    month_from: str | None = Query(None, alias="from", max_length=7,
                                   description="First month, YYYY-MM (default: 11 months "
                                               "before the last)."),
    month_to: str | None = Query(None, alias="to", max_length=7,
                                 description="Last month, YYYY-MM (default: the latest month)."),
) -> tuple[date | None, date | None]:
    """The overview's period (from, to)."""
    a, b = parse_month(month_from, "from"), parse_month(month_to, "to")
    if a and b and a > b:
        raise HTTPException(422, "'from' is after 'to'")
    return a, b
