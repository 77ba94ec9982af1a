"""Partner data for profiles: find each partner table the data hub loaded, if any, and count.

Each indicator names the data hub's table (migration m0101_hub), its date column and the rows it
counts. A table that is absent or empty gives "no data supplied" rather than a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from vru.reports.profile_data import Area, table_columns, table_exists
from vru.workspace import Workspace


@dataclass(frozen=True)
class PartnerIndicator:
    key: str
    label: str
    supplier: str
    table: str              # the data hub's table (migration m0101_hub)
    date_col: str
    condition: str = "TRUE"  # SQL over the table's columns
    per_population: str = "total"     # total | under25


PARTNER_INDICATORS: tuple[PartnerIndicator, ...] = (
    PartnerIndicator("ed_assaults", "Emergency department assault attendances",
                     "NHS emergency departments (ISTV)", "ed_assaults", "assault_at"),
    PartnerIndicator("admissions_sharp_u25",
                     "Admissions for assault by a sharp object, under-25s",
                     "Hospital admissions (HES-like)", "hospital_admissions", "admission_date",
                     "sharp_object AND age < 25", "under25"),
    PartnerIndicator("fte", "Youth justice first-time entrants", "Youth justice service",
                     "youth_justice_events", "event_date", "upper(event_type) = 'FTE'",
                     "under25"),
    PartnerIndicator("exclusions", "School exclusions and suspensions",
                     "Education (local authority)", "education_exclusions", "event_date",
                     per_population="under25"),
)


@dataclass
class PartnerResult:
    indicator: PartnerIndicator
    table: str | None
    supplied: bool
    count: int | None = None
    previous: int | None = None
    monthly: list[tuple[date, int]] | None = None
    area_method: str = ""
    unplaced: int = 0       # records in the period with no LSOA (cannot be given an area)
    note: str = ""


def partner_counts(ws: Workspace, ind: PartnerIndicator, area: Area, first: date,
                   last_excl: date, prev_first: date) -> PartnerResult:
    """Counts in the area for [first, last_excl) and the previous period of equal length.

    Records are placed in the area by their LSOA (of residence, or of the incident for ED
    assaults). Records without an LSOA are counted as unplaced and reported, not guessed.
    """
    t = ind.table
    if not table_exists(ws, t) or not ws.scalar(f'SELECT count(*) FROM "{t}"'):
        return PartnerResult(ind, None, False, note="no data supplied")
    if ind.date_col not in table_columns(ws, t):
        return PartnerResult(ind, t, False, note=f"{t} has no column {ind.date_col}")
    d = f'CAST("{ind.date_col}" AS DATE)'
    rows = ws.sql(
        f"""SELECT date_trunc('month', {d}) AS m,
                   count(*) FILTER (WHERE lsoa_code IN (SELECT unnest(?::VARCHAR[]))),
                   count(*) FILTER (WHERE lsoa_code IS NULL)
            FROM "{t}" WHERE ({ind.condition}) AND {d} >= ? AND {d} < ?
            GROUP BY 1 ORDER BY 1""",
        [area.lsoa_codes, prev_first, last_excl])
    rows = [(m.date() if hasattr(m, "date") else m, int(n), int(u)) for m, n, u in rows]
    cur = sum(n for m, n, _ in rows if m >= first)
    prev = sum(n for m, n, _ in rows if m < first)
    unplaced = sum(u for m, _, u in rows if m >= first)
    monthly = [(m, n) for m, n, _ in rows if m >= first and n]
    return PartnerResult(ind, t, True, cur, prev, monthly, "by LSOA", unplaced)


def all_partner_counts(ws: Workspace, area: Area, first: date, last_excl: date,
                       prev_first: date) -> dict[str, PartnerResult]:
    return {i.key: partner_counts(ws, i, area, first, last_excl, prev_first)
            for i in PARTNER_INDICATORS}
