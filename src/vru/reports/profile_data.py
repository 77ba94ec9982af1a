"""The SQL side of a profile: which area is meant, its force and peers, populations, counts.

Everything here reads through the Workspace; the numbers go to ``vru.analysis`` (pure) and the
document is assembled in ``vru.reports.profile``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from vru.errors import VruError
from vru.periods import Period
from vru.workspace import Workspace

# Home Office offence codes counted as "violence with injury" in force extracts (HO counting
# rules, violence against the person with injury: homicide, death or serious injury by unlawful
# driving, attempted murder, wounding / GBH, assault with injury).
VWI_OFFENCE_CODES: tuple[str, ...] = (
    "1", "4.1", "4.2", "4.3", "4.4", "4.6", "4.7", "4.8", "4.10", "37.1",
    "2", "5A", "5D", "5E", "8N", "8P",
)


class AreaNotFound(VruError, ValueError):
    pass


@dataclass
class Area:
    level: str                    # lad | csp | force
    name: str
    code: str | None
    where: str                    # SQL predicate over canonical_crimes (alias c)
    params: list
    lad_codes: list[str] | None   # LADs making up the area (None without a geography pack)
    method: str                   # how the area was identified (for the methods appendix)
    lsoa_codes: list[str] = field(default_factory=list)

    @property
    def level_name(self) -> str:
        return {"lad": "local authority", "csp": "community safety partnership",
                "force": "police force area"}[self.level]


def table_exists(ws: Workspace, name: str) -> bool:
    return ws.table_exists(name)


def table_columns(ws: Workspace, name: str) -> list[str]:
    return [r[0] for r in ws.sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position", [name])]


def _geo_loaded(ws: Workspace) -> bool:
    return bool(ws.scalar("SELECT count(*) FROM geo_lad"))


def resolve_area(ws: Workspace, text: str) -> Area:
    """Find the area a user named: LAD code/name, CSP code/name, or force code/name.

    With no geography pack, a local authority is found from the police.uk LSOA names
    ("Bedford 001A") and a force from the police.uk "Falls within" field.
    """
    q = text.strip()
    if not q:
        raise AreaNotFound("no area given")
    ql = q.lower()
    if _geo_loaded(ws):
        r = ws.sql("SELECT lad_code, lad_name FROM geo_lad WHERE lower(lad_code) = ? "
                   "OR lower(lad_name) = ?", [ql, ql])
        if r:
            code, name = r[0]
            return Area("lad", name, code, "c.lad_code = ?", [code], [code], "ONS lookup")
        r = ws.sql("SELECT DISTINCT csp_code, csp_name FROM geo_lad WHERE lower(csp_code) = ? "
                   "OR lower(csp_name) = ?", [ql, ql])
        if r:
            code, name = r[0]
            lads = [x[0] for x in ws.sql("SELECT lad_code FROM geo_lad WHERE csp_code = ? "
                                         "ORDER BY lad_code", [code])]
            return Area("csp", name, code, "c.csp_code = ?", [code], lads, "ONS lookup")
        r = ws.sql("SELECT DISTINCT pfa_code, pfa_name FROM geo_lad WHERE lower(pfa_code) = ? "
                   "OR lower(pfa_name) = ? OR lower(pfa_name) || ' police' = ?", [ql, ql, ql])
        if r:
            code, name = r[0]
            lads = [x[0] for x in ws.sql("SELECT lad_code FROM geo_lad WHERE pfa_code = ? "
                                         "ORDER BY lad_code", [code])]
            return Area("force", name, code, "c.pfa_code = ?", [code], lads, "ONS lookup")
    r = ws.sql("SELECT lad_name, count(*) FROM canonical_crimes c WHERE lower(lad_name) = ? "
               "GROUP BY 1", [ql])
    if r:
        name = r[0][0]
        return Area("lad", name, None, "c.lad_name = ?", [name], None,
                    "local authority name taken from the police.uk LSOA names")
    r = ws.sql("SELECT DISTINCT falls_within FROM canonical_crimes WHERE lower(falls_within) = ? "
               "OR lower(falls_within) = ? || ' police'", [ql, ql])
    if r:
        name = r[0][0]
        return Area("force", name, None, "c.falls_within = ?", [name], None,
                    "force taken from the police.uk 'Falls within' field")
    raise AreaNotFound(f"area {text!r} not found; known areas: {', '.join(known_areas(ws)[:30])}")


def known_areas(ws: Workspace) -> list[str]:
    if _geo_loaded(ws):
        names = [r[0] for r in ws.sql(
            "SELECT DISTINCT lad_name FROM canonical_crimes WHERE lad_code IS NOT NULL ORDER BY 1")]
        names += [r[0] for r in ws.sql(
            "SELECT DISTINCT pfa_name FROM canonical_crimes WHERE pfa_name IS NOT NULL ORDER BY 1")]
        return names
    return [r[0] for r in ws.sql(
        "SELECT lad_name FROM canonical_crimes WHERE lad_name IS NOT NULL GROUP BY 1 "
        "HAVING count(*) >= 100 ORDER BY 1")] + [
        r[0] for r in ws.sql("SELECT DISTINCT falls_within FROM canonical_crimes WHERE falls_within "
                             "IS NOT NULL ORDER BY 1")]


def force_of(ws: Workspace, area: Area) -> Area | None:
    """The police force area a LAD or CSP belongs to (None for a force)."""
    if area.level == "force":
        return None
    if area.lad_codes:
        r = ws.sql("SELECT pfa_code, pfa_name FROM geo_lad WHERE lad_code = ? "
                   "AND pfa_code IS NOT NULL", [area.lad_codes[0]])
        if r:
            code, name = r[0]
            lads = [x[0] for x in ws.sql("SELECT lad_code FROM geo_lad WHERE pfa_code = ? "
                                         "ORDER BY lad_code", [code])]
            return Area("force", name, code, "c.pfa_code = ?", [code], lads, "ONS lookup")
    r = ws.sql(f"SELECT falls_within, count(*) n FROM canonical_crimes c WHERE {area.where} "
               "AND falls_within IS NOT NULL GROUP BY 1 ORDER BY n DESC LIMIT 1", area.params)
    if not r:
        return None
    name = r[0][0]
    return Area("force", name, None, "c.falls_within = ?", [name], None,
                "force taken from the police.uk 'Falls within' field")


def peer_areas(ws: Workspace, area: Area, force: Area | None) -> list[Area]:
    """The other local authorities of the same force (the LADs of a force for a force profile).

    Without a geography pack, LADs named in the force's LSOA names that hold at least 2% of its
    records (police.uk also files a few crimes just over the force boundary).
    """
    host = force if force is not None else area
    if host.lad_codes:
        rows = ws.sql("SELECT lad_code, lad_name FROM geo_lad WHERE lad_code IN "
                      f"({','.join('?' * len(host.lad_codes))}) ORDER BY lad_name",
                      host.lad_codes)
        return [Area("lad", n, c, "c.lad_code = ?", [c], [c], "ONS lookup") for c, n in rows]
    rows = ws.sql(
        f"SELECT lad_name, count(*) n FROM canonical_crimes c WHERE {host.where} "
        "AND lad_name IS NOT NULL GROUP BY 1", host.params)
    total = sum(n for _, n in rows) or 1
    return [Area("lad", n, None, "c.lad_name = ?", [n], None,
                 "local authority name taken from the police.uk LSOA names")
            for n, k in sorted(rows) if k / total >= 0.02]


def area_lsoas(ws: Workspace, area: Area) -> list[str]:
    """LSOA codes in the area: from the lookup when loaded, else those its records carry."""
    if area.lad_codes:
        return [r[0] for r in ws.sql(
            f"SELECT lsoa_code FROM geo_lsoa WHERE lad_code IN "
            f"({','.join('?' * len(area.lad_codes))}) ORDER BY 1", area.lad_codes)]
    return [r[0] for r in ws.sql(
        f"SELECT DISTINCT lsoa_code FROM canonical_crimes c WHERE {area.where} "
        "AND lsoa_code IS NOT NULL ORDER BY 1", area.params)]


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


def lsoa_populations(ws: Workspace, lsoas: list[str]) -> dict[str, float]:
    if not lsoas:
        return {}
    rows = ws.sql(
        "SELECT p.area_code, max(CASE WHEN p.age_band = 'all' THEN p.population END), "
        "sum(CASE WHEN p.age_band <> 'all' THEN p.population END) FROM geo_population p "
        "JOIN (SELECT unnest(?::VARCHAR[]) AS code) a ON a.code = p.area_code "
        "WHERE p.area_level = 'lsoa' AND p.year = (SELECT max(year) FROM geo_population "
        "WHERE area_level = 'lsoa') GROUP BY 1", [lsoas])
    return {c: float(a if a is not None else b) for c, a, b in rows if (a or b)}


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
