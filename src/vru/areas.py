"""The one area model: the kinds of area a VRU works with, and which area a user means.

Used by the web filters (``vru.web.queries``) and the profile / SNA builder
(``vru.reports.profile_data``), so an area is the same thing on every surface. A kernel over the
workspace (like ``vru.crime_view``): it reads through the Workspace and never imports sources,
analysis, reports, web or cli.

Kinds, largest first: police force area, community safety partnership, local authority and
neighbourhood (LSOA). Each names its code and name columns in the canonical crime view
(``canonical_crimes``, which carries the geography pack's lookups), so a filter on an area is one
SQL predicate. With the geography pack loaded an area is found in the ONS lookups (``geo_lad``,
``geo_lsoa``); without it a local authority is found from the police.uk LSOA names ("Bedford
001A") and a force from the police.uk "Falls within" field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vru.errors import VruError
from vru.workspace import Workspace


@dataclass(frozen=True)
class AreaKind:
    key: str        # force | csp | lad | lsoa
    label: str      # as a document names it
    code: str       # the code column in canonical_crimes / crimes_geo
    name: str       # the name column


KINDS: dict[str, AreaKind] = {k.key: k for k in (
    AreaKind("force", "police force area", "pfa_code", "pfa_name"),
    AreaKind("csp", "community safety partnership", "csp_code", "csp_name"),
    AreaKind("lad", "local authority", "lad_code", "lad_name"),
    AreaKind("lsoa", "neighbourhood (LSOA)", "lsoa_code", "lsoa_name"),
)}


class AreaNotFound(VruError, ValueError):
    pass


def predicate(kind: str, by: str = "code", alias: str = "c") -> str:
    """SQL over canonical_crimes (``alias``): the row is in the area of that kind whose code
    (``by='code'``) or name (``by='name'``) is the parameter."""
    k = KINDS[kind]
    return f"{alias}.{k.code if by == 'code' else k.name} = ?"


@dataclass
class Area:
    level: str                    # a key of KINDS
    name: str
    code: str | None
    where: str                    # SQL predicate over canonical_crimes (alias c)
    params: list
    lad_codes: list[str] | None   # LADs making up the area (None without a geography pack)
    method: str                   # how the area was identified (for the methods appendix)
    lsoa_codes: list[str] = field(default_factory=list)

    @property
    def level_name(self) -> str:
        return KINDS[self.level].label


_LOOKUP = "ONS lookup"
_FROM_LSOA_NAMES = "local authority name taken from the police.uk LSOA names"
_FROM_FALLS_WITHIN = "force taken from the police.uk 'Falls within' field"


def _geo_loaded(ws: Workspace) -> bool:
    return bool(ws.scalar("SELECT count(*) FROM geo_lad"))


def _from_lookup(ws: Workspace, kind: str, code: str, name: str) -> Area:
    """An area of the geography pack, with the local authorities it is made of."""
    if kind == "lad":
        lads = [code]
    else:
        lads = [x[0] for x in ws.sql(f"SELECT lad_code FROM geo_lad WHERE {KINDS[kind].code} = ? "
                                     "ORDER BY lad_code", [code])]
    return Area(kind, name, code, predicate(kind), [code], lads, _LOOKUP)


def local_authority_by_name(name: str) -> Area:
    """A local authority known only by the name its records carry (no geography pack)."""
    return Area("lad", name, None, predicate("lad", "name"), [name], None, _FROM_LSOA_NAMES)


def force_by_falls_within(name: str) -> Area:
    """A force known only by police.uk's "Falls within" (no geography pack)."""
    return Area("force", name, None, "c.falls_within = ?", [name], None, _FROM_FALLS_WITHIN)


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
        for kind, extra in (("lad", ""), ("csp", ""), ("force", " OR lower(pfa_name) || ' police' = ?")):
            k = KINDS[kind]
            r = ws.sql(f"SELECT DISTINCT {k.code}, {k.name} FROM geo_lad WHERE lower({k.code}) = ? "
                       f"OR lower({k.name}) = ?{extra}", [ql, ql] + ([ql] if extra else []))
            if r:
                return _from_lookup(ws, kind, *r[0])
    r = ws.sql("SELECT lad_name, count(*) FROM canonical_crimes c WHERE lower(lad_name) = ? "
               "GROUP BY 1", [ql])
    if r:
        return local_authority_by_name(r[0][0])
    r = ws.sql("SELECT DISTINCT falls_within FROM canonical_crimes WHERE lower(falls_within) = ? "
               "OR lower(falls_within) = ? || ' police'", [ql, ql])
    if r:
        return force_by_falls_within(r[0][0])
    raise AreaNotFound(f"area {text!r} not found; known areas: {', '.join(known_areas(ws)[:30])}")


def names(ws: Workspace, kind: str) -> list[str]:
    """The names of the areas of one kind that the canonical crimes fall in (e.g. the web's
    area filter lists the local authorities)."""
    col = KINDS[kind].name
    return [r[0] for r in ws.sql(f"SELECT DISTINCT {col} FROM canonical_crimes "
                                 f"WHERE {col} IS NOT NULL ORDER BY 1")]


def known_areas(ws: Workspace) -> list[str]:
    if _geo_loaded(ws):
        lads = [r[0] for r in ws.sql(
            "SELECT DISTINCT lad_name FROM canonical_crimes WHERE lad_code IS NOT NULL ORDER BY 1")]
        return lads + names(ws, "force")
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
            return _from_lookup(ws, "force", *r[0])
    r = ws.sql(f"SELECT falls_within, count(*) n FROM canonical_crimes c WHERE {area.where} "
               "AND falls_within IS NOT NULL GROUP BY 1 ORDER BY n DESC LIMIT 1", area.params)
    return force_by_falls_within(r[0][0]) if r else None


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
        return [_from_lookup(ws, "lad", c, n) for c, n in rows]
    rows = ws.sql(
        f"SELECT lad_name, count(*) n FROM canonical_crimes c WHERE {host.where} "
        "AND lad_name IS NOT NULL GROUP BY 1", host.params)
    total = sum(n for _, n in rows) or 1
    return [local_authority_by_name(n) for n, k in sorted(rows) if k / total >= 0.02]


def area_lsoas(ws: Workspace, area: Area) -> list[str]:
    """LSOA codes in the area: from the lookup when loaded, else those its records carry."""
    if area.lad_codes:
        return [r[0] for r in ws.sql(
            f"SELECT lsoa_code FROM geo_lsoa WHERE lad_code IN "
            f"({','.join('?' * len(area.lad_codes))}) ORDER BY 1", area.lad_codes)]
    return [r[0] for r in ws.sql(
        f"SELECT DISTINCT lsoa_code FROM canonical_crimes c WHERE {area.where} "
        "AND lsoa_code IS NOT NULL ORDER BY 1", area.params)]


def lsoa_populations(ws: Workspace, lsoas: list[str]) -> dict[str, float]:
    """Residents per LSOA (latest year; 'all' ages, else the sum of the bands)."""
    if not lsoas:
        return {}
    rows = ws.sql(
        "SELECT p.area_code, max(CASE WHEN p.age_band = 'all' THEN p.population END), "
        "sum(CASE WHEN p.age_band <> 'all' THEN p.population END) FROM geo_population p "
        "JOIN (SELECT unnest(?::VARCHAR[]) AS code) a ON a.code = p.area_code "
        "WHERE p.area_level = 'lsoa' AND p.year = (SELECT max(year) FROM geo_population "
        "WHERE area_level = 'lsoa') GROUP BY 1", [lsoas])
    return {c: float(a if a is not None else b) for c, a, b in rows if (a or b)}
