"""data.police.uk monthly files -> crimes, outcomes and stop_search, as contracts on the one
import engine (``vru.sources.contract``).

Contract (docs/guide/import-police.md): the three file kinds data.police.uk publishes
(``YYYY-MM-<force>-street.csv``, ``-outcomes.csv``, ``-stop-and-search.csv``), as CSV, .csv.gz,
in folders or in the ZIP its download page produces. Each kind is a :class:`Contract` like a
partner's: its published columns, its row checks with their reject reasons, its flags, its
loader and where its rows live. What differs is declared on the :class:`Source`:

- open data: no data-sharing agreement and no pseudonymisation key; a column data.police.uk
  adds is ignored with a warning; a re-issued file replaces the earlier file of the same
  kind/force/month (its key comes from the file name, planned by :func:`plan`);
- the engine's streaming fast path (``vru.sources.contract.streaming.TwoPassCsv``): each batch
  is read twice by DuckDB's CSV reader (validate, then load joined to the good rows), the good
  rows' lon/lat projected to the British National Grid in between.

All files of one import run are loaded in one transaction (a failure or a kill leaves the
workspace exactly as before); for every file read = loaded + rejected.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path

from vru.geo.grid import cell_sql
from vru.settings import POLICE_UK_CRIME_TYPES, RETIRED_CRIME_TYPES
from vru.sources.contract.engine import import_source
from vru.sources.contract.loading import inserted
from vru.sources.contract.model import Check, Column, Contract, Flag, LoadContext, RetentionTarget, Source
from vru.sources.contract.planning import Plan, Planned
from vru.sources.contract.streaming import TwoPassCsv
from vru.sources.files import (
    DEFAULT_LIMITS,
    ImportRefused,
    InputFile,
    Limits,
    check_columns,
    content_digest,
    discover,
    read_header,
)
from vru.sources.results import ImportSummary, ProgressFn
from vru.workspace import Workspace

SOURCE = "police_uk"
GUIDE = "docs/guide/import-police.md"
SEARCH_TYPES = ("Person search", "Vehicle search", "Person and Vehicle search")
KNOWN_CRIME_TYPES = tuple(POLICE_UK_CRIME_TYPES) + tuple(RETIRED_CRIME_TYPES)

FILE_NAME = re.compile(
    r"^(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-(?P<kind>street|outcomes|stop-and-search)"
    r"\.csv(\.gz)?$",
    re.IGNORECASE,
)


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


# ================================================================================== columns
# Short code columns are trimmed (a stray space must not make a valid code invalid); other
# values are kept as published (``trim=False``).
def _text(name: str, description: str, trim: bool = False) -> Column:
    return Column(name, "text", description=description, trim=trim)


_LOCATED = (
    Column("Longitude", "decimal", description="WGS84 longitude, snapped to a map point",
           trim=False),
    Column("Latitude", "decimal", description="WGS84 latitude, snapped to a map point", trim=False),
    _text("Location", "the map point's description, e.g. 'On or near Bedford Road'"),
    Column("LSOA code", "lsoa", description="the LSOA of the map point (E01/W01 + 6 digits)"),
    _text("LSOA name", "the LSOA's name, e.g. 'Bedford 001A'"),
)
_CRIME_HEAD = (
    _text("Crime ID", "64 hex characters (empty for anti-social behaviour)"),
    _text("Month", "YYYY-MM", trim=True),
    _text("Reported by", "the force that provided the data"),
    _text("Falls within", "the force area the crime falls within", trim=True),
    *_LOCATED,
)
STREET_COLUMNS_DECL = (
    *_CRIME_HEAD,
    _text("Crime type", "one of the police.uk categories", trim=True),
    _text("Last outcome category", "the latest outcome"),
    _text("Context", "free-text context (usually empty)"),
)
OUTCOME_COLUMNS_DECL = (*_CRIME_HEAD, _text("Outcome type", "the outcome", trim=True))
_BOOLEANS = ("Part of a policing operation", "Outcome linked to object of search",
             "Removal of more than just outer clothing")
STOP_SEARCH_COLUMNS_DECL = (
    _text("Type", "person, vehicle, or person and vehicle search", trim=True),
    Column("Date", "datetime", description="ISO 8601 date and time"),
    Column(_BOOLEANS[0], "bool", description="True or False"),
    _text("Policing operation", "the operation's name"),
    Column("Latitude", "decimal", description="WGS84 latitude", trim=False),
    Column("Longitude", "decimal", description="WGS84 longitude", trim=False),
    _text("Gender", "as recorded"),
    _text("Age range", "as recorded"),
    _text("Self-defined ethnicity", "as recorded"),
    _text("Officer-defined ethnicity", "as recorded"),
    _text("Legislation", "the power used"),
    _text("Object of search", "what was searched for"),
    _text("Outcome", "the outcome of the search"),
    Column(_BOOLEANS[1], "bool", description="True or False"),
    Column(_BOOLEANS[2], "bool", description="True or False"),
)
STREET_COLUMNS = [c.name for c in STREET_COLUMNS_DECL]
OUTCOME_COLUMNS = [c.name for c in OUTCOME_COLUMNS_DECL]
STOP_SEARCH_COLUMNS = [c.name for c in STOP_SEARCH_COLUMNS_DECL]

# =================================================================================== checks
# SQL over the columns' text by name (the streaming path's convention); the first failed rule
# names the reject's field, and the reason lists every failed rule, in this order.
COORD_CHECKS = (
    Check("Longitude", '"Longitude" IS NOT NULL AND try_cast("Longitude" AS DOUBLE) IS NULL',
          "longitude is not a number", detail='"Longitude"'),
    Check("Latitude", '"Latitude" IS NOT NULL AND try_cast("Latitude" AS DOUBLE) IS NULL',
          "latitude is not a number", detail='"Latitude"'),
    Check("Longitude", '("Longitude" IS NULL) <> ("Latitude" IS NULL)',
          "only one of longitude/latitude is given"),
    Check("Latitude",
          'try_cast("Longitude" AS DOUBLE) IS NOT NULL AND try_cast("Latitude" AS DOUBLE) IS NOT NULL '
          'AND NOT (try_cast("Longitude" AS DOUBLE) BETWEEN -8.75 AND 1.85 AND '
          'try_cast("Latitude" AS DOUBLE) BETWEEN 49.8 AND 60.95)',
          "coordinates outside Great Britain", detail='"Longitude" || \', \' || "Latitude"'),
)
# DuckDB runs these fixed regular expressions faster than equivalent string tests.
CRIME_CHECKS = (
    Check("Month", '"Month" IS NULL', "missing month"),
    Check("Month", '"Month" IS NOT NULL AND NOT regexp_full_match("Month", \'[0-9]{4}-(0[1-9]|1[0-2])\')',
          "unparseable month (expected YYYY-MM)", detail='"Month"'),
    *COORD_CHECKS,
    Check("LSOA code", '"LSOA code" IS NOT NULL AND NOT regexp_full_match("LSOA code", \'[EW]01[0-9]{6}\')',
          "malformed LSOA code", detail='"LSOA code"'),
    Check("Crime ID", '"Crime ID" IS NOT NULL AND NOT regexp_full_match("Crime ID", \'[0-9a-fA-F]{64}\')',
          "malformed Crime ID", detail='"Crime ID"'),
    Check("Falls within", '"Falls within" IS NULL', "missing Falls within (force)"),
)
STREET_CHECKS = (
    *CRIME_CHECKS,
    Check("Crime type", '"Crime type" IS NULL', "missing crime type"),
    Check("Crime type", f'"Crime type" IS NOT NULL AND "Crime type" NOT IN ({_quoted(KNOWN_CRIME_TYPES)})',
          "unknown crime type", detail='"Crime type"'),
)
OUTCOME_CHECKS = (
    *CRIME_CHECKS,
    Check("Crime ID", '"Crime ID" IS NULL', "missing Crime ID (an outcome must name its crime)"),
    Check("Outcome type", '"Outcome type" IS NULL', "missing outcome type"),
)
STOP_SEARCH_CHECKS = (
    Check("Date", '"Date" IS NULL', "missing date"),
    Check("Date", '"Date" IS NOT NULL AND try_cast("Date" AS TIMESTAMPTZ) IS NULL',
          "unparseable date (expected ISO 8601)", detail='"Date"'),
    Check("Type", f'"Type" IS NULL OR "Type" NOT IN ({_quoted(SEARCH_TYPES)})',
          "unknown search type", detail="coalesce(\"Type\", '(empty)')"),
    *COORD_CHECKS,
    *(Check(name, f'"{name}" IS NOT NULL AND lower("{name}") NOT IN (\'true\', \'false\')',
            "expected True or False", detail=f'"{name}"') for name in _BOOLEANS),
)

# ==================================================================================== flags
NO_LOCATION = Flag("no_location", '"Longitude" IS NULL AND "Latitude" IS NULL')
CRIME_FLAGS = (
    NO_LOCATION,
    Flag("no_lsoa", '"LSOA code" IS NULL AND "Longitude" IS NOT NULL'),
    # evaluated on validated rows only (pass 2): the month is YYYY-MM
    Flag("month_differs_from_file_name", "CAST(\"Month\" || '-01' AS DATE) <> file_month"),
)
STREET_FLAGS = (*CRIME_FLAGS,
                Flag("no_crime_id", "\"Crime ID\" IS NULL AND \"Crime type\" <> 'Anti-social behaviour'"))


# ================================================================================== loaders
# The streaming path's hub_ok: v_<column> is the validated text (the checks guarantee the casts).
_MONTH = "CAST(\"v_Month\" || '-01' AS DATE)"
_LONLAT = 'CAST("v_Longitude" AS DOUBLE), CAST("v_Latitude" AS DOUBLE)'


def _load_street(ctx: LoadContext) -> int:
    ce, cn = cell_sql("easting", "northing", ctx.settings.grid)
    return inserted(ctx.con, f"""
        INSERT INTO crimes (source, crime_id, month, reported_by, falls_within, longitude,
                latitude, easting, northing, cell_e, cell_n, location, lsoa_code, lsoa_name,
                crime_type, last_outcome, context, flags, file_id, row_number, import_id)
        SELECT '{SOURCE}', lower("v_Crime ID"), {_MONTH}, "v_Reported by", "v_Falls within",
               {_LONLAT}, easting, northing, {ce}, {cn}, "v_Location", "v_LSOA code",
               "v_LSOA name", "v_Crime type", "v_Last outcome category", "v_Context", flags,
               file_id, row_number, {int(ctx.import_id)}
        FROM hub_ok""")


def _load_outcomes(ctx: LoadContext) -> int:
    return inserted(ctx.con, f"""
        INSERT INTO outcomes
        SELECT lower("v_Crime ID"), {_MONTH}, "v_Reported by", "v_Falls within", {_LONLAT},
               easting, northing, "v_Location", "v_LSOA code", "v_LSOA name", "v_Outcome type",
               flags, file_id, row_number, {int(ctx.import_id)}
        FROM hub_ok""")


def _load_stop_search(ctx: LoadContext) -> int:
    b = lambda name: f'CAST(lower("v_{name}") AS BOOLEAN)'  # noqa: E731
    return inserted(ctx.con, f"""
        INSERT INTO stop_search
        SELECT file_force,
               coalesce(file_month, date_trunc('month', CAST("v_Date" AS TIMESTAMPTZ))::DATE),
               "v_Type", CAST("v_Date" AS TIMESTAMPTZ), {b(_BOOLEANS[0])}, "v_Policing operation",
               {_LONLAT}, easting, northing, "v_Gender", "v_Age range",
               "v_Self-defined ethnicity", "v_Officer-defined ethnicity", "v_Legislation",
               "v_Object of search", "v_Outcome", {b(_BOOLEANS[1])}, {b(_BOOLEANS[2])}, flags,
               file_id, row_number, {int(ctx.import_id)}
        FROM hub_ok""")


# ================================================================================ contracts
_OPEN = {"source": SOURCE, "extra_columns": "ignore", "guide": GUIDE, "reasons_name_field": False}
STREET = Contract(
    kind="street", title="data.police.uk street-level crime", columns=STREET_COLUMNS_DECL,
    checks=STREET_CHECKS, flags=STREET_FLAGS, load=_load_street,
    retention=(RetentionTarget("crimes", "month", f"source = '{SOURCE}'"),), **_OPEN)
OUTCOMES = Contract(
    kind="outcomes", title="data.police.uk outcomes", columns=OUTCOME_COLUMNS_DECL,
    checks=OUTCOME_CHECKS, flags=CRIME_FLAGS, load=_load_outcomes,
    retention=(RetentionTarget("outcomes", "month"),), **_OPEN)
STOP_SEARCH = Contract(
    kind="stop_search", title="data.police.uk stop and search", columns=STOP_SEARCH_COLUMNS_DECL,
    checks=STOP_SEARCH_CHECKS, flags=(NO_LOCATION,), load=_load_stop_search,
    retention=(RetentionTarget("stop_search", "month"),), **_OPEN)
KIND_COLUMNS = {"street": STREET_COLUMNS, "outcomes": OUTCOME_COLUMNS,
                "stop_search": STOP_SEARCH_COLUMNS}
KIND_TABLE = {c.kind: c.retention[0].table for c in (STREET, OUTCOMES, STOP_SEARCH)}


# ================================================================================= planning
def classify(f: InputFile, header: list[str]) -> tuple[str, str | None, date | None]:
    """The kind of a file (street, outcomes, stop_search), plus force and month from its name."""
    m = FILE_NAME.match(f.name)
    force = month = None
    kind = None
    if m:
        kind = {"street": "street", "outcomes": "outcomes", "stop-and-search": "stop_search"}[
            m["kind"].lower()
        ]
        force = m["force"].lower()
        try:
            month = datetime.strptime(m["month"], "%Y-%m").date()
        except ValueError:
            month = None
    if kind is None:
        # Not a data.police.uk file name: recognise the kind by its columns.
        cols = set(header)
        for k, expected in KIND_COLUMNS.items():
            if cols >= set(expected) and not (k == "outcomes" and cols >= set(STREET_COLUMNS)):
                kind = k
                break
        if kind is None:
            best = min(KIND_COLUMNS, key=lambda k: len(set(KIND_COLUMNS[k]) ^ cols))
            check_columns(f, header, KIND_COLUMNS[best])  # raises, naming the columns
            kind = best
    return kind, force, month


def check_police_columns(f: InputFile, header: list[str], expected: list[str]) -> list[str]:
    """Refuse a file missing a published column (or naming one twice); a column data.police.uk
    adds is ignored (open data: nothing in it can be personal). Returns the warnings."""
    missing = [c for c in expected if c not in header]
    dupes = sorted({c for c in header if header.count(c) > 1})
    if missing or dupes:
        check_columns(f, header, expected)  # raises, naming the columns
    extra = [c for c in header if c not in expected]
    if extra:
        return ["columns not in the police.uk file format, ignored: "
                + ", ".join(repr(c) for c in extra)]
    return []


def plan(source: Source, paths: list[Path | str], limits: Limits = DEFAULT_LIMITS,
         encoding: str | None = None) -> Plan:
    """The engine's planning for police.uk files: the kind (and force and month) from the file
    name, the published columns checked; every file checked before the workspace is touched,
    the import refused if any file is bad. (Files are UTF-8: ``encoding`` is not used.)"""
    skipped: list[tuple[str, str]] = []
    files = discover(paths, limits=limits, skipped=skipped)
    if not files:
        raise ImportRefused("no CSV, .csv.gz or ZIP files found in " + ", ".join(map(str, paths)))
    checked: list[tuple[InputFile, list[str], str, str | None, date | None, list[str]]] = []
    errors: list[str] = []
    for f in files:
        try:
            header = read_header(f)
            kind, force, month = classify(f, header)
            warnings = check_police_columns(f, header, KIND_COLUMNS[kind])
            checked.append((f, header, kind, force, month, warnings))
        except ImportRefused as exc:
            errors.append(str(exc))
    # Checksums in threads: zlib and hashlib release the GIL, so files hash in parallel.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        digests = list(pool.map(_digest, [c[0] for c in checked]))
    planned: list[Planned] = []
    for (f, header, kind, force, month, warnings), digest in zip(checked, digests, strict=True):
        if isinstance(digest, ImportRefused):
            errors.append(str(digest))
            continue
        key = f"{kind}/{force}/{month:%Y-%m}" if force and month else None
        planned.append(Planned(f, source.contract(kind), header, digest[0], "csv", digest[1],
                               "utf-8", warnings=warnings, partition_key=key, force_slug=force,
                               month=month))
    if errors:
        raise ImportRefused(
            f"{len(errors)} file(s) refused, nothing imported:\n  " + "\n  ".join(errors)
        )
    return Plan(planned, skipped)


def _digest(f: InputFile) -> tuple[str, int] | ImportRefused:
    try:
        return content_digest(f)
    except ImportRefused as exc:
        return exc


POLICE_UK = Source(
    name=SOURCE, title="data.police.uk", contracts=(STREET, OUTCOMES, STOP_SEARCH),
    open_data=True, planner=plan, streaming=TwoPassCsv("Longitude", "Latitude"),
    # police.uk files hold no personal identifiers, so the import may spill to the workspace's
    # temp folder: capping memory keeps a 10-million-row import's peak flat.
    memory_limit="1GB", batch_files=48, batch_bytes=96 << 20,
)


def import_police(ws: Workspace, paths: list[Path | str], progress: ProgressFn | None = None,
                  command: str | None = None) -> ImportSummary:
    """Import data.police.uk files atomically. Returns what happened to each file."""
    return import_source(ws, POLICE_UK, paths, progress=progress, command=command)
