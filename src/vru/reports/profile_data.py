"""The SQL side of a profile: which area is meant, its force and peers, populations, counts.

Everything here reads through the Workspace; the numbers go to ``vru.analysis`` (pure) and the
document is assembled in ``vru.reports.profile``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# The area model is the one shared with the web filters (vru.areas); re-exported for the
# profile's modules.
from vru.areas import (  # noqa: F401
    Area,
    AreaNotFound,
    area_lsoas,
    force_of,
    known_areas,
    lsoa_populations,
    peer_areas,
    resolve_area,
)
from vru.periods import Period
from vru.workspace import Workspace

# Home Office offence codes counted as "violence with injury" in force extracts (HO counting
# rules, violence against the person with injury: homicide, death or serious injury by unlawful
# driving, attempted murder, wounding / GBH, assault with injury).
VWI_OFFENCE_CODES: tuple[str, ...] = (
    "1", "4.1", "4.2", "4.3", "4.4", "4.6", "4.7", "4.8", "4.10", "37.1",
    "2", "5A", "5D", "5E", "8N", "8P",
)


def table_exists(ws: Workspace, name: str) -> bool:
    return ws.table_exists(name)


def table_columns(ws: Workspace, name: str) -> list[str]:
    return [r[0] for r in ws.sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position", [name])]


# --------------------------------------------------------------------------- population
@dataclass
class Population:
    total: float | None
    under25: float | None
    source: str


_AGE_NUM = re.compile(r"\d+")


@lru_cache(maxsize=1024)
def band_is_under25(label: str) -> bool | None:
    """True if an age band lies wholly below 25 (e.g. 'Aged 16 to 24 years', '0-15'),
    False if not, None for 'all'."""
    s = label.lower()
    if s == "all":
        return None
    nums = [int(x) for x in _AGE_NUM.findall(s)]
    if not nums:
        return False
    if "over" in s or "+" in s:
        return False
    return max(nums) <= 24


def population_for(ws: Workspace, area: Area, year: int) -> Population:
    """Residents of the area: LAD mid-year estimate for the year nearest ``year`` when loaded,
    else the sum of its LSOAs' Census 2021 counts. Unavailable (None) without denominators."""
    if not ws.scalar("SELECT count(*) FROM geo_population"):
        return Population(None, None, "no population data loaded")
    under25 = _lsoa_population(ws, area, under25=True)
    if area.lad_codes:
        ph = ",".join("?" * len(area.lad_codes))
        r = ws.sql(
            f"""SELECT year, sum(population), count(DISTINCT area_code) FROM geo_population
                WHERE area_level = 'lad' AND age_band = 'all' AND area_code IN ({ph})
                GROUP BY year ORDER BY abs(year - ?), year DESC LIMIT 1""",
            [*area.lad_codes, year])
        if r and r[0][2] == len(area.lad_codes):
            return Population(float(r[0][1]), under25,
                              f"ONS mid-year population estimate {r[0][0]}")
    total = _lsoa_population(ws, area, under25=False)
    if total:
        return Population(total, under25, "Census 2021 usual residents (sum of LSOAs)")
    return Population(None, None, "no population for this area's LSOAs")


def force_populations(ws: Workspace, pfa_codes: list[str], year: int) -> dict[str, Population]:
    """Residents of police force areas in one query: the ONS mid-year estimate of their local
    authorities for the year nearest ``year`` (``population_for`` per force, which also sums
    LSOAs for the under-25s, is the fallback for a force whose authorities lack one)."""
    if not pfa_codes:
        return {}
    rows = ws.sql(
        """WITH best AS (SELECT year FROM geo_population WHERE area_level = 'lad'
                         AND age_band = 'all' GROUP BY year ORDER BY abs(year - ?), year DESC
                         LIMIT 1)
           SELECT l.pfa_code, any_value(b.year), sum(p.population), count(p.area_code), count(*)
           FROM geo_lad l CROSS JOIN best b
           LEFT JOIN geo_population p ON p.area_code = l.lad_code AND p.area_level = 'lad'
                AND p.age_band = 'all' AND p.year = b.year
           WHERE l.pfa_code IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1""", [year, pfa_codes])
    out = {code: Population(float(total), None, f"ONS mid-year population estimate {yr}")
           for code, yr, total, have, lads in rows if have == lads and total}
    for code in pfa_codes:
        if code not in out:
            out[code] = population_for(ws, resolve_area(ws, code), year)
    return out


def _lsoa_population(ws: Workspace, area: Area, under25: bool) -> float | None:
    lsoas = area.lsoa_codes or area_lsoas(ws, area)
    area.lsoa_codes = lsoas
    if not lsoas:
        return None
    rows = ws.sql(
        "SELECT p.area_code, p.age_band, p.population FROM geo_population p "
        "JOIN (SELECT unnest(?::VARCHAR[]) AS code) a ON a.code = p.area_code "
        "WHERE p.area_level = 'lsoa' AND p.year = (SELECT max(year) FROM geo_population "
        "WHERE area_level = 'lsoa')", [lsoas])
    if not rows:
        return None
    has_all = {c for c, b, _ in rows if b == "all"}
    total = 0.0
    for code, band, pop in rows:
        if under25:
            if band_is_under25(band):
                total += pop
        elif band == "all" or code not in has_all:
            total += pop
    return total or None


# --------------------------------------------------------------------------- police source
def police_sources(ws: Workspace, area: Area, period: Period) -> list[str]:
    """The police sources serving the area's crimes (anti-social behaviour aside: it is not a
    crime record) in the period in the canonical crime view (vru.crime_view decides, per force
    and month), commonest first."""
    r = ws.sql(
        f"""SELECT c.source, count(*) FROM canonical_crimes c WHERE {area.where}
            AND c.month BETWEEN ? AND ? AND c.crime_type <> 'Anti-social behaviour'
            GROUP BY 1 ORDER BY 2 DESC, 1""",
        [*area.params, period.first, period.last])
    return [x[0] for x in r]
