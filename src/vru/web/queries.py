"""The SQL behind the pages and the API: filters, aggregates, record-level rows, data hub.

Everything here returns *raw* numbers; disclosure control and record scoping for the signed-in
user are applied at the exit (``vru.web.exit``), never in these queries, so the same figures
feed privileged and controlled views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from vru import areas
from vru.settings import Settings
from vru.workspace import Workspace

SERIOUS_VIOLENCE = "serious_violence"

# Human labels for the crime sources (the data hub and status show these, not the ids).
SOURCE_LABELS = {"police_uk": "data.police.uk street-level crime",
                 "police_rms": "Force crime extract (RMS)"}
KIND_LABELS = {"street": "street-level crime", "outcomes": "outcomes",
               "stop_search": "stop and search"}


# The web's area filter picks a local authority by name, from the one area model (vru.areas)
# shared with the profiles.
AREA_KIND = "lad"


@dataclass(frozen=True)
class Filters:
    area: str | None = None          # the name of an area of AREA_KIND; None = all
    month_from: date | None = None
    month_to: date | None = None
    crime_type: str | None = None    # a police.uk category, 'serious_violence', or None = all

    def as_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "month_from": self.month_from.isoformat()[:7] if self.month_from else None,
            "month_to": self.month_to.isoformat()[:7] if self.month_to else None,
            "crime_type": self.crime_type,
        }


def where(f: Filters, settings: Settings, alias: str = "c") -> tuple[str, list[Any]]:
    parts, params = ["TRUE"], []
    if f.area:
        parts.append(areas.predicate(AREA_KIND, "name", alias))
        params.append(f.area)
    if f.month_from:
        parts.append(f"{alias}.month >= ?")
        params.append(f.month_from)
    if f.month_to:
        parts.append(f"{alias}.month <= ?")
        params.append(f.month_to)
    if f.crime_type == SERIOUS_VIOLENCE:
        # The workspace definition, the same on both sources (vru.crime_view).
        parts.append(f"{alias}.serious_violence")
    elif f.crime_type:
        parts.append(f"{alias}.crime_type = ?")
        params.append(f.crime_type)
    return " AND ".join(parts), params


# --------------------------------------------------------------------------- reference lists
def area_names(ws: Workspace) -> list[str]:
    """The areas the area filter offers."""
    return areas.names(ws, AREA_KIND)


def crime_types(ws: Workspace) -> list[str]:
    return [r[0] for r in ws.sql("SELECT DISTINCT crime_type FROM canonical_crimes ORDER BY 1")]


def month_span(ws: Workspace) -> tuple[date | None, date | None]:
    row = ws.sql("SELECT min(month), max(month) FROM canonical_crimes")[0]
    return row[0], row[1]


def data_version(ws: Workspace) -> tuple:
    """Changes whenever crimes are loaded, replaced or purged, or the precedence rules or the
    serious-violence definition change (used to key caches)."""
    return tuple(ws.sql(
        "SELECT (SELECT count(*) FROM crimes), (SELECT max(import_id) FROM imports), "
        "(SELECT count(*) FROM source_files WHERE status = 'active'), "
        "(SELECT string_agg(concat_ws('|', rank, source, force_name, month_from, month_to), ';' "
        "ORDER BY rank, source) FROM crime_source_rules), "
        "(SELECT string_agg(key || '=' || value, ';' ORDER BY key, value) FROM crime_definition)"
    )[0])


# --------------------------------------------------------------------------- aggregates
def monthly_by_area(ws: Workspace, settings: Settings, f: Filters) -> list[tuple[str, date, int]]:
    w, p = where(f, settings)
    return ws.sql(
        f"SELECT coalesce(c.{areas.KINDS[AREA_KIND].name}, '(unknown area)') AS area, c.month, "
        "count(*)::BIGINT "
        f"FROM canonical_crimes c WHERE {w} GROUP BY ALL ORDER BY 1, 2", p
    )


def monthly_by_type(ws: Workspace, settings: Settings, f: Filters) -> list[tuple[str, date, int]]:
    w, p = where(f, settings)
    return ws.sql(
        f"SELECT c.crime_type, c.month, count(*)::BIGINT FROM canonical_crimes c WHERE {w} "
        "GROUP BY ALL ORDER BY 1, 2", p
    )


def grid_counts(ws: Workspace, settings: Settings, f: Filters) -> list[tuple[int, int, int]]:
    w, p = where(f, settings)
    return ws.sql(
        f"SELECT c.cell_e, c.cell_n, count(*)::BIGINT FROM canonical_crimes c "
        f"WHERE {w} AND c.cell_e IS NOT NULL GROUP BY ALL", p
    )


def lsoa_counts(ws: Workspace, settings: Settings, f: Filters) -> list[tuple]:
    """(lsoa_code, lsoa_name, count, boundary GeoJSON or None, centroid lon, lat)."""
    w, p = where(f, settings)
    return ws.sql(
        f"WITH k AS (SELECT c.lsoa_code, any_value(c.lsoa_name) AS lsoa_name, "
        f"count(*)::BIGINT AS n FROM canonical_crimes c WHERE {w} AND c.lsoa_code IS NOT NULL "
        "GROUP BY 1) "
        "SELECT k.lsoa_code, k.lsoa_name, k.n, b.geojson, g.longitude, g.latitude FROM k "
        "LEFT JOIN geo_lsoa_boundary b USING (lsoa_code) LEFT JOIN geo_lsoa g USING (lsoa_code)",
        p,
    )


def lsoa_centroids_from_crimes(ws: Workspace, codes: list[str]) -> dict[str, tuple[float, float]]:
    """Mean crime location per LSOA: a stand-in centroid when no geography pack is loaded."""
    if not codes:
        return {}
    rows = ws.sql(
        "SELECT lsoa_code, avg(longitude), avg(latitude) FROM canonical_crimes "
        "WHERE lsoa_code IN (SELECT unnest(?)) AND longitude IS NOT NULL GROUP BY 1", [codes]
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def points(ws: Workspace, settings: Settings, f: Filters, agency: str | None,
           limit: int) -> list[tuple]:
    """Record-level rows; ``agency`` restricts them to one agency's own records."""
    w, p = where(f, settings)
    if agency is not None:
        w += " AND " + AGENCY_SQL + " = ?"
        p.append(agency)
    return ws.sql(
        f"SELECT c.crime_id, c.month, c.crime_type, c.location, c.lsoa_code, c.longitude, "
        f"c.latitude, c.last_outcome, c.reported_by FROM canonical_crimes c "
        f"WHERE {w} AND c.longitude IS NOT NULL ORDER BY c.month DESC, c.file_id, c.row_number "
        f"LIMIT {int(limit)}", p
    )


# The agency a crime record belongs to: the force that recorded it. A partner user's
# ``agency`` is compared with this.
AGENCY_SQL = "coalesce(c.reported_by, c.source)"


# --------------------------------------------------------------------------- data hub
def table_exists(ws: Workspace, name: str) -> bool:
    return ws.table_exists(name)


def imports(ws: Workspace, limit: int = 50) -> list[dict[str, Any]]:
    return _dicts(ws, "SELECT import_id, source, started_at, finished_at, user_name, files_seen, "
                  "files_loaded, files_skipped, files_replaced, rows_read, rows_loaded, "
                  f"rows_rejected FROM imports ORDER BY import_id DESC LIMIT {int(limit)}")


def sources_summary(ws: Workspace) -> list[dict[str, Any]]:
    """Per source and kind: a human label, files, rows, the first and last month of its records
    (from the records' own dates, for every source) and when it was last loaded."""
    rows = _dicts(ws, "SELECT source, kind, count(*) AS files, sum(rows_read) AS rows_read, "
                  "sum(rows_loaded) AS rows_loaded, sum(rows_rejected) AS rows_rejected, "
                  "min(month) AS first_month, max(month) AS last_month, max(loaded_at) AS "
                  "last_loaded FROM source_files WHERE status = 'active' "
                  "GROUP BY ALL ORDER BY 1, 2")
    spans = source_spans(ws)
    for r in rows:
        r["label"] = source_label(r["source"])
        lo, hi = spans.get(r["source"], (r["first_month"], r["last_month"]))
        r["first_month"] = lo.strftime("%Y-%m") if lo is not None else None
        r["last_month"] = hi.strftime("%Y-%m") if hi is not None else None
        r["last_loaded"] = (r["last_loaded"].isoformat(sep=" ", timespec="minutes")
                            if r["last_loaded"] else None)
    return rows


def coverage(ws: Workspace) -> list[dict[str, Any]]:
    """The canonical crime view's coverage: per force and month, the serving source (None = a
    gap), what each source holds and each source's serious-violence count."""
    from vru import crime_view

    return crime_view.coverage_rows(ws)


def rejects_summary(ws: Workspace) -> list[dict[str, Any]]:
    return _dicts(ws, "SELECT source, kind, coalesce(field, '') AS field, reason, count(*) AS rows "
                  "FROM rejects GROUP BY ALL ORDER BY rows DESC LIMIT 200")


def rejects_sample(ws: Workspace, limit: int = 100) -> list[dict[str, Any]]:
    return _dicts(ws, "SELECT r.source, r.kind, f.name AS file, r.row_number, r.field, r.reason, "
                  "CAST(r.raw AS VARCHAR) AS raw FROM rejects r LEFT JOIN source_files f "
                  f"USING (file_id) ORDER BY r.file_id, r.row_number LIMIT {int(limit)}")


def any_table(ws: Workspace, name: str, limit: int = 500) -> list[dict[str, Any]]:
    """All columns of a table another capability owns (shown as-is when it exists)."""
    if not table_exists(ws, name):
        return []
    return _dicts(ws, f'SELECT * FROM "{name}" LIMIT {int(limit)}')


def _dicts(ws: Workspace, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cur = ws.reader().execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


# --------------------------------------------------------------------------- basemap
def basemap_lsoas(ws: Workspace) -> list[tuple]:
    """(lsoa_code, lsoa_name, lad_code, lad_name, pfa_code, pfa_name, boundary GeoJSON, lon, lat)
    for the local authorities the crimes fall in (the geography pack's own geometry)."""
    return ws.sql(
        "SELECT g.lsoa_code, g.lsoa_name, g.lad_code, d.lad_name, d.pfa_code, d.pfa_name, "
        "b.geojson, g.longitude, g.latitude FROM geo_lsoa g "
        "LEFT JOIN geo_lad d USING (lad_code) LEFT JOIN geo_lsoa_boundary b USING (lsoa_code) "
        "WHERE g.lad_code IN (SELECT DISTINCT lad_code FROM canonical_crimes "
        "WHERE lad_code IS NOT NULL) ORDER BY g.lsoa_code")


def source_spans(ws: Workspace) -> dict[str, tuple]:
    """source -> (first, last) date of its records, from each source's own date column (the
    one retention counts from), so every source has its first and last month."""
    from vru.sources.registry import SOURCES

    out: dict[str, tuple] = {}
    row = ws.sql("SELECT min(month), max(month) FROM crimes WHERE source = 'police_uk'")[0]
    if row[0] is not None:
        out["police_uk"] = row
    for name, src in SOURCES.items():
        lo = hi = None
        for contract in src.contracts:
            for t in getattr(contract, "retention", ()) or ():
                if not table_exists(ws, t.table):
                    continue
                r = ws.sql(f"SELECT CAST(min({t.date_column}) AS DATE), "
                           f"CAST(max({t.date_column}) AS DATE) FROM {t.table} "
                           f"WHERE {t.where}")[0]
                if r[0] is not None:
                    lo = r[0] if lo is None else min(lo, r[0])
                    hi = r[1] if hi is None else max(hi, r[1])
        if lo is not None:
            out[name] = (lo, hi)
    return out


def source_label(source: str) -> str:
    from vru.sources.registry import SOURCES

    if source in SOURCE_LABELS:
        return SOURCE_LABELS[source]
    s = SOURCES.get(source)
    return s.title if s is not None else source.replace("_", " ")
