"""Names a reader recognises for grid cells: the street most of the cell's records are "on or
near" (data.police.uk's anonymised locations) and its neighbourhood (the LSOA most of them fall
in, or the nearest LSOA centroid of the geography pack when the records carry none), instead of
a grid code like ``150m_E443400_N0292950``."""

from __future__ import annotations

import re

from vru.workspace import Workspace

# police.uk's location text is "On or near <place>"; these places name no street (a street is
# preferred; one of them names the cell only when its records give no street).
_NOT_A_STREET = re.compile(r"^(parking area|supermarket|petrol station|shopping area|"
                           r"sports/recreation area|further/higher educational building|"
                           r"nightclub|hospital|police station|theatre/concert hall|"
                           r"bus/coach station|conference/exhibition centre|pedestrian subway|"
                           r"airport/airfield|prison)$", re.IGNORECASE)


def place_of(location: str | None) -> str | None:
    """The place in a police.uk location ("On or near Bromham Road" -> "Bromham Road")."""
    if not location:
        return None
    text = re.sub(r"^\s*on or near\s+", "", location, flags=re.IGNORECASE).strip()
    return None if not text or text.lower() == "no location" else text


def street_of(location: str | None) -> str | None:
    """The street in a police.uk location; None for a place that is not a street."""
    text = place_of(location)
    return None if text is None or _NOT_A_STREET.match(text) else text


def cell_names(ws: Workspace, cells: list[tuple[float, float]], size: float,
               first, last) -> list[str]:
    """A name for each grid cell (lower-left easting and northing, side ``size`` metres) from
    the records located in it between months ``first`` and ``last``: "Street, LSOA name" (or
    "Supermarket, LSOA name" when no record names a street), or "near LSOA name" (nearest centroid) when the
    cell holds no record with a neighbourhood. Names repeated in the list get a compass hint
    ("north", "south-west"...) of where the cell sits among its namesakes."""
    if not cells:
        return []
    values = ", ".join(f"({i}, {float(e)}, {float(n)})" for i, (e, n) in enumerate(cells))
    rows = ws.sql(
        f"""WITH k(i, e0, n0) AS (VALUES {values})
            SELECT k.i, list(c.location), mode(c.lsoa_name)
            FROM k JOIN canonical_crimes c ON c.easting >= k.e0 AND c.easting < k.e0 + ?
                 AND c.northing >= k.n0 AND c.northing < k.n0 + ?
                 AND c.month BETWEEN ? AND ?
            GROUP BY k.i""", [size, size, first, last])
    found = {int(i): (locs, lsoa) for i, locs, lsoa in rows}
    names = []
    for i, (e, n) in enumerate(cells):
        locs, lsoa = found.get(i, ([], None))
        streets = [s for s in (street_of(x) for x in locs or []) if s] or [
            p for p in (place_of(x) for x in locs or []) if p]
        street = max(sorted(set(streets)), key=streets.count) if streets else None
        if lsoa is None:
            lsoa = _nearest_lsoa(ws, e + size / 2, n + size / 2)
            lsoa = f"near {lsoa}" if lsoa else None
        names.append(", ".join(x for x in (street, lsoa) if x) or "an unnamed place")
    return _disambiguate(names, cells)


def _nearest_lsoa(ws: Workspace, e: float, n: float) -> str | None:
    row = ws.sql("SELECT lsoa_name FROM geo_lsoa WHERE easting IS NOT NULL AND lsoa_name IS NOT "
                 "NULL ORDER BY (easting - ?) ^ 2 + (northing - ?) ^ 2 LIMIT 1", [e, n])
    return row[0][0] if row else None


def _disambiguate(names: list[str], cells: list[tuple[float, float]]) -> list[str]:
    out = list(names)
    for name in set(names):
        idx = [i for i, x in enumerate(names) if x == name]
        if len(idx) < 2:
            continue
        ce = sum(cells[i][0] for i in idx) / len(idx)
        cn = sum(cells[i][1] for i in idx) / len(idx)
        for i in idx:
            de, dn = cells[i][0] - ce, cells[i][1] - cn
            ns = "north" if dn > 0 else "south" if dn < 0 else ""
            ew = "east" if de > 0 else "west" if de < 0 else ""
            out[i] = f"{name} ({'-'.join(x for x in (ns, ew) if x) or 'centre'})"
    return out
