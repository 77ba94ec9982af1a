"""data.police.uk monthly files -> crimes, outcomes and stop_search.

Contract (docs/guide/import-police.md): the three file kinds data.police.uk publishes
(``YYYY-MM-<force>-street.csv``, ``-outcomes.csv``, ``-stop-and-search.csv``), as CSV, .csv.gz,
in folders or in the ZIP its download page produces.

Pipeline per file, all inside one transaction per import run (a failure or a kill leaves the
workspace exactly as before):
1. refuse the file if its columns are not exactly the kind's columns (any order);
2. skip it if the same content (sha256 of the decompressed bytes) is already loaded; if another
   file is active for the same kind/force/month, replace that file's rows (recorded);
3. validate (pass 1): DuckDB's CSV reader reads the files of one kind together (all text,
   WITH ORDINALITY for row numbers), or Python's csv module reads a file with structural faults
   (ragged rows, bad quoting, bad UTF-8) so that every bad row is kept with its number; each row
   either loads (possibly with flags, e.g. ``no_location``) or goes to ``rejects`` with field and
   reason; read = loaded + rejected per file;
4. project the good rows' lon/lat to the British National Grid (pyproj on NumPy arrays);
5. load (pass 2): read the files again straight into the canonical table, joined to pass 1's
   good rows, with the grid cell computed in SQL.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from vru.geo.bng import to_bng
from vru.geo.grid import cell_sql
from vru.settings import POLICE_UK_CRIME_TYPES, RETIRED_CRIME_TYPES
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
from vru.sources.provenance import finish_import, start_import, write_import_log
from vru.sources.results import FileResult, ImportSummary, ProgressFn
from vru.workspace import Workspace

SOURCE = "police_uk"
BATCH_FILES = 48  # at most this many files per DuckDB scan...
BATCH_BYTES = 96 << 20  # ...and about this much CSV text, to bound memory on big imports
IMPORT_MEMORY_LIMIT = "1GB"  # DuckDB buffer memory during an import (it spills beyond)

STREET_COLUMNS = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]
OUTCOME_COLUMNS = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Outcome type",
]
STOP_SEARCH_COLUMNS = [
    "Type", "Date", "Part of a policing operation", "Policing operation", "Latitude", "Longitude",
    "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity", "Legislation",
    "Object of search", "Outcome", "Outcome linked to object of search",
    "Removal of more than just outer clothing",
]
KIND_COLUMNS = {"street": STREET_COLUMNS, "outcomes": OUTCOME_COLUMNS, "stop_search": STOP_SEARCH_COLUMNS}
KIND_TABLE = {"street": "crimes", "outcomes": "outcomes", "stop_search": "stop_search"}
SEARCH_TYPES = ("Person search", "Vehicle search", "Person and Vehicle search")

FILE_NAME = re.compile(
    r"^(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-(?P<kind>street|outcomes|stop-and-search)"
    r"\.csv(\.gz)?$",
    re.IGNORECASE,
)


@dataclass
class _Planned:
    f: InputFile
    kind: str
    header: list[str]
    sha256: str
    size: int
    force: str | None
    month: date | None
    warnings: list[str] = field(default_factory=list)

    @property
    def partition_key(self) -> str | None:
        if self.force and self.month:
            return f"{self.kind}/{self.force}/{self.month:%Y-%m}"
        return None


# ---------------------------------------------------------------------------------- planning
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


def plan(paths: list[Path | str], limits: Limits = DEFAULT_LIMITS,
         skipped: list[tuple[str, str]] | None = None) -> list[_Planned]:
    """Check every file before touching the workspace; refuse the import if any file is bad."""
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
    planned: list[_Planned] = []
    for (f, header, kind, force, month, warnings), digest in zip(checked, digests, strict=True):
        if isinstance(digest, ImportRefused):
            errors.append(str(digest))
        else:
            planned.append(_Planned(f, kind, header, digest[0], digest[1], force, month,
                                    warnings))
    if errors:
        raise ImportRefused(
            f"{len(errors)} file(s) refused, nothing imported:\n  " + "\n  ".join(errors)
        )
    return planned


def _digest(f: InputFile) -> tuple[str, int] | ImportRefused:
    try:
        return content_digest(f)
    except ImportRefused as exc:
        return exc


# ---------------------------------------------------------------------------------- import
@functools.cache
def _projector() -> ThreadPoolExecutor:
    """One worker thread for pyproj. Its transformer (~0.15 s to build, one per thread) is built
    while DuckDB reads the files (DuckDB releases the GIL), not after."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vru-bng")
    pool.submit(to_bng, [0.0], [52.0])
    return pool


def import_police(ws: Workspace, paths: list[Path | str], progress: ProgressFn | None = None,
                  command: str | None = None) -> ImportSummary:
    """Import data.police.uk files atomically. Returns what happened to each file."""
    _projector()
    skipped: list[tuple[str, str]] = []
    planned = plan(paths, Limits.from_settings(ws.settings), skipped)
    results: list[FileResult] = []
    tmp_dir = ws.path / "tmp"
    tmp_dir.mkdir(exist_ok=True)
    # police.uk files hold no personal identifiers, so the import may spill to the workspace's
    # temp folder: capping memory keeps a 10-million-row import's peak flat.
    with ws.memory_limit(IMPORT_MEMORY_LIMIT), ws.transaction() as con:
        active = {
            row[0]: row[1]
            for row in con.execute(
                "SELECT sha256 || '/' || kind, file_id FROM source_files "
                "WHERE source = ? AND status = 'active'", [SOURCE]
            ).fetchall()
        }
        by_partition = {
            row[0]: (row[1], row[2])
            for row in con.execute(
                "SELECT partition_key, file_id, kind FROM source_files "
                "WHERE source = ? AND status = 'active' AND partition_key IS NOT NULL", [SOURCE]
            ).fetchall()
        }
        import_id = start_import(ws, con, SOURCE, command)
        seen_in_run: set[str] = set()
        todo: list[_Planned] = []
        for p in planned:
            key = f"{p.sha256}/{p.kind}"
            if key in active or key in seen_in_run:
                results.append(FileResult(p.f.name, p.kind, "skipped", warnings=p.warnings))
                continue
            seen_in_run.add(key)
            todo.append(p)
        # Files with the same kind and column order are staged and validated together.
        groups: dict[tuple[str, tuple[str, ...]], list[_Planned]] = {}
        for p in todo:
            groups.setdefault((p.kind, tuple(p.header)), []).append(p)
        done = len(results)
        for batch in groups.values():
            for chunk in _chunks(batch, BATCH_FILES):
                if progress:
                    progress(chunk[0].f.name, done, len(planned))
                loaded = _load_batch(ws, con, chunk, import_id, tmp_dir)
                for p, res in zip(chunk, loaded, strict=True):
                    pk = p.partition_key
                    if pk and pk in by_partition:
                        old_id, _ = by_partition[pk]
                        removed = con.execute(
                            f"DELETE FROM {KIND_TABLE[p.kind]} WHERE file_id = ?", [old_id]
                        ).fetchone()[0]
                        con.execute("DELETE FROM rejects WHERE file_id = ?", [old_id])
                        con.execute(
                            "UPDATE source_files SET status = 'replaced' WHERE file_id = ?", [old_id]
                        )
                        con.execute(
                            "INSERT INTO file_replacements VALUES (?, ?, ?, ?, ?)",
                            [old_id, res.file_id, pk, removed, datetime.now()],
                        )
                        res.status = "replaced"
                        res.replaced_file_ids.append(old_id)
                    if pk:
                        by_partition[pk] = (res.file_id, p.kind)
                    results.append(res)
                done += len(chunk)
        summary = ImportSummary(SOURCE, import_id, results, skipped=skipped)
        finish_import(con, summary)
    if progress:
        progress("", len(planned), len(planned))
    write_import_log(ws, summary)
    return summary


def _chunks(items: list[_Planned], size: int) -> list[list[_Planned]]:
    out: list[list[_Planned]] = []
    current: list[_Planned] = []
    volume = 0
    for p in items:
        if current and (len(current) >= size or volume + p.size > BATCH_BYTES):
            out.append(current)
            current, volume = [], 0
        current.append(p)
        volume += p.size
    if current:
        out.append(current)
    return out


def _csv_source(header: list[str]) -> str:
    """The rows of the files in ``fid_map`` as c0..cN, fid, file_month, file_force and o (DuckDB's
    ordinality: rows are numbered across the scan in file order, so a file's row number is
    ``o - o0`` with ``o0`` its first ordinality minus one; checked per file, not assumed).

    Structural faults never abort the scan (that would abort the transaction): DuckDB records
    them in stg_rej, and those files are re-read by Python's csv module."""
    names = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    cols = ", ".join(f"r.c{i}" for i in range(len(header)))
    return f"""(SELECT {cols}, m.fid, m.file_month, m.file_force, r.ordinality AS o
        FROM read_csv($files, header = true, auto_detect = false, delim = ',',
            quote = '"', escape = '"', columns = {{{names}}}, strict_mode = true,
            null_padding = false, filename = true, ignore_errors = true,
            store_rejects = true, rejects_table = 'stg_rej',
            rejects_scan = 'stg_rej_scan') WITH ORDINALITY r
        JOIN fid_map m ON r.filename = m.filename)"""


def _arrow_source(header: list[str]) -> str:
    """Rows read by Python (files with structural faults): same columns as _csv_source."""
    cols = ", ".join(f"r.c{i}" for i in range(len(header)))
    return (f"(SELECT {cols}, r.fid, m.file_month, m.file_force, r.o "
            f"FROM stg_arrow r JOIN fid_map m ON r.fid = m.fid)")


def _scan(con: duckdb.DuckDBPyConnection, p: _Planned, src: str, params: dict) -> None:
    """Pass 1: validate every row; append to temp table ``scan`` (fid, o, bad, problems, raw,
    lon, lat). The problem list and the raw row are built only for rejected rows (a CASE
    evaluates its branch only where it applies); good rows keep just their coordinates."""
    rejects, _flags = _checks(p)
    bad = " OR ".join(f"({cond}) IS TRUE" for _fld, cond, _reason in rejects)
    problems = ", ".join(
        f"CASE WHEN {cond} THEN {{'field': '{fld}', 'reason': {reason}}} END"
        for fld, cond, reason in rejects
    )
    lon, lat = _col(p, "Longitude"), _col(p, "Latitude")
    con.execute(
        f"""INSERT INTO scan
            SELECT fid, o, bad,
                   CASE WHEN bad THEN list_filter([{problems}], x -> x IS NOT NULL) END,
                   CASE WHEN bad THEN {_raw_json(p)} END,
                   CASE WHEN NOT bad THEN CAST({lon} AS DOUBLE) END,
                   CASE WHEN NOT bad THEN CAST({lat} AS DOUBLE) END
            FROM (SELECT *, {bad} AS bad FROM {src})""",
        params,
    )


def _bad_files(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Files of the last CSV scan with structural faults, or not numbered contiguously."""
    redo = {r[0] for r in con.execute(
        """SELECT m.fid FROM stg_rej e JOIN stg_rej_scan s USING (scan_id, file_id)
                               JOIN fid_map m ON m.filename = s.file_path
           UNION SELECT fid FROM scan GROUP BY fid HAVING max(o) - min(o) + 1 <> count(*)"""
    ).fetchall()}
    for t in ("stg_rej", "stg_rej_scan"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return redo


def _parse_python(con: duckdb.DuckDBPyConnection, p: _Planned, fid: int) -> pa.Table:
    """Slow path for one file with structural faults: Python's csv module, row by row.

    Good rows are returned as an Arrow table (c0..cN, fid, o); faulty rows go to stg_bad.
    """
    good: list[list[str | None]] = [[] for _ in p.header]
    ords: list[int] = []
    bad: list[tuple[int, int, str, str]] = []
    width = len(p.header)
    with p.f.open_binary() as fh:
        data = fh.read()
    text = data.decode("utf-8", errors="surrogateescape").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    with suppress(StopIteration, csv.Error):
        next(reader)
    n = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            n += 1
            bad.append((fid, n, f"malformed CSV row ({exc})", _json_list([])))
            continue
        if not row:
            continue  # a blank line is not a row
        n += 1
        if any("\udc80" <= ch <= "\udcff" for cell in row for ch in cell):
            safe = [c.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for c in row]
            bad.append((fid, n, "row is not valid UTF-8 text", _json_list(safe)))
            continue
        if len(row) != width:
            bad.append((fid, n, f"row has {len(row)} fields, expected {width}", _json_list(row)))
            continue
        ords.append(n)
        for i, cell in enumerate(row):
            good[i].append(cell if cell != "" else None)
    if bad:
        con.executemany("INSERT INTO stg_bad VALUES (?, ?, ?, ?)", [list(b) for b in bad])
    return pa.table(
        {**{f"c{i}": pa.array(col, type=pa.string()) for i, col in enumerate(good)},
         "fid": pa.array([fid] * len(ords), type=pa.int64()),
         "o": pa.array(ords, type=pa.int64())}
    )


def _json_list(values: list[str]) -> str:
    import json

    return json.dumps(values, ensure_ascii=False)


# Short code columns are trimmed (a stray space must not make a valid code invalid); other
# values are kept as published. DuckDB's CSV reader already reads an empty field as NULL;
# trimming every column would cost more than the rest of the validation together.
_TRIMMED = {"Month", "LSOA code", "Crime type", "Falls within", "Outcome type", "Type", "Date",
            "Part of a policing operation", "Outcome linked to object of search",
            "Removal of more than just outer clothing"}


def _col(p: _Planned, name: str) -> str:
    """The text of the named column of the staged file (NULL if empty)."""
    c = f"c{p.header.index(name)}"
    if name not in _TRIMMED:
        return c
    # trim() only where a value starts or ends with a space: LIKE is ~5x cheaper than trim().
    return f"CASE WHEN {c} LIKE ' %' OR {c} LIKE '% ' THEN nullif(trim({c}), '') ELSE {c} END"


def _quoted_list(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _coord_checks(p: _Planned) -> list[tuple[str, str, str]]:
    lon, lat = _col(p, "Longitude"), _col(p, "Latitude")
    return [
        ("Longitude", f"{lon} IS NOT NULL AND try_cast({lon} AS DOUBLE) IS NULL",
         f"'longitude is not a number: ' || {lon}"),
        ("Latitude", f"{lat} IS NOT NULL AND try_cast({lat} AS DOUBLE) IS NULL",
         f"'latitude is not a number: ' || {lat}"),
        ("Longitude", f"({lon} IS NULL) <> ({lat} IS NULL)",
         "'only one of longitude/latitude is given'"),
        ("Latitude",
         f"try_cast({lon} AS DOUBLE) IS NOT NULL AND try_cast({lat} AS DOUBLE) IS NOT NULL AND NOT "
         f"(try_cast({lon} AS DOUBLE) BETWEEN -8.75 AND 1.85 AND "
         f"try_cast({lat} AS DOUBLE) BETWEEN 49.8 AND 60.95)",
         f"'coordinates outside Great Britain: ' || {lon} || ', ' || {lat}"),
    ]


def _month_checks(p: _Planned) -> list[tuple[str, str, str]]:
    month = _col(p, "Month")
    return [
        ("Month", f"{month} IS NULL", "'missing month'"),
        # DuckDB runs these fixed regular expressions faster than equivalent string tests.
        ("Month", f"{month} IS NOT NULL AND NOT regexp_full_match({month}, '[0-9]{{4}}-(0[1-9]|1[0-2])')",
         f"'unparseable month (expected YYYY-MM): ' || {month}"),
    ]


def _lsoa_checks(p: _Planned) -> list[tuple[str, str, str]]:
    code = _col(p, "LSOA code")
    return [
        ("LSOA code", f"{code} IS NOT NULL AND NOT regexp_full_match({code}, '[EW]01[0-9]{{6}}')",
         f"'malformed LSOA code: ' || {code}"),
    ]


def _checks(p: _Planned) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """(rejection checks as (field, condition, reason expr), flags as (flag, condition))."""
    rejects: list[tuple[str, str, str]] = []
    flags: list[tuple[str, str]] = []
    if p.kind in ("street", "outcomes"):
        rejects += _month_checks(p) + _coord_checks(p) + _lsoa_checks(p)
        cid = _col(p, "Crime ID")
        rejects.append(("Crime ID", f"{cid} IS NOT NULL AND NOT regexp_full_match({cid}, '[0-9a-fA-F]{{64}}')",
                        f"'malformed Crime ID: ' || {cid}"))
        rejects.append(("Falls within", f"{_col(p, 'Falls within')} IS NULL", "'missing Falls within (force)'"))
        flags.append(("no_location", f"{_col(p, 'Longitude')} IS NULL AND {_col(p, 'Latitude')} IS NULL"))
        flags.append(("no_lsoa", f"{_col(p, 'LSOA code')} IS NULL AND {_col(p, 'Longitude')} IS NOT NULL"))
        flags.append(("month_differs_from_file_name",
                      # evaluated on validated rows only (pass 2): the month is YYYY-MM
                      f"CAST({_col(p, 'Month')} || '-01' AS DATE) <> file_month"))
    if p.kind == "street":
        ctype = _col(p, "Crime type")
        known = _quoted_list(POLICE_UK_CRIME_TYPES + RETIRED_CRIME_TYPES)
        rejects.append(("Crime type", f"{ctype} IS NULL", "'missing crime type'"))
        rejects.append(("Crime type", f"{ctype} IS NOT NULL AND {ctype} NOT IN ({known})",
                        f"'unknown crime type: ' || {ctype}"))
        flags.append(("no_crime_id",
                      f"{_col(p, 'Crime ID')} IS NULL AND {ctype} <> 'Anti-social behaviour'"))
    if p.kind == "outcomes":
        rejects.append(("Crime ID", f"{_col(p, 'Crime ID')} IS NULL",
                        "'missing Crime ID (an outcome must name its crime)'"))
        rejects.append(("Outcome type", f"{_col(p, 'Outcome type')} IS NULL", "'missing outcome type'"))
    if p.kind == "stop_search":
        d = _col(p, "Date")
        rejects.append(("Date", f"{d} IS NULL", "'missing date'"))
        rejects.append(("Date", f"{d} IS NOT NULL AND try_cast({d} AS TIMESTAMPTZ) IS NULL",
                        f"'unparseable date (expected ISO 8601): ' || {d}"))
        t = _col(p, "Type")
        rejects.append(("Type", f"{t} IS NULL OR {t} NOT IN ({_quoted_list(SEARCH_TYPES)})",
                        f"'unknown search type: ' || coalesce({t}, '(empty)')"))
        rejects += _coord_checks(p)
        for name in ("Part of a policing operation", "Outcome linked to object of search",
                     "Removal of more than just outer clothing"):
            v = _col(p, name)
            rejects.append((name, f"{v} IS NOT NULL AND lower({v}) NOT IN ('true', 'false')",
                            f"'expected True or False: ' || {v}"))
        flags.append(("no_location", f"{_col(p, 'Longitude')} IS NULL AND {_col(p, 'Latitude')} IS NULL"))
    return rejects, flags


def _raw_json(p: _Planned) -> str:
    pairs = ", ".join(f"'{h.replace(chr(39), chr(39) * 2)}': c{i}" for i, h in enumerate(p.header))
    return f"to_json({{{pairs}}})" if p.header else "NULL"


def _load_batch(ws: Workspace, con: duckdb.DuckDBPyConnection, batch: list[_Planned],
                import_id: int, tmp_dir: Path) -> list[FileResult]:
    """Import files of one kind and header in two streaming passes over the CSV text.

    Pass 1 (``_scan``) validates every row and keeps rejected rows with their problems, and the
    coordinates of good rows. pyproj projects those to the British National Grid (a vectorised
    library call; DuckDB spatial's ST_Transform gives the same numbers but slower). Pass 2 reads
    the files again straight into the canonical table, joined to the good rows by (file,
    ordinality); a guard compares each row's longitude with pass 1's and stops the import if
    the two passes ever disagree. Nothing row-sized is materialised but the narrow ``scan``
    table, so memory stays flat however large the files.
    """
    p = batch[0]
    file_ids = [ws.next_id(con, "file_seq") for _ in batch]
    for t in ("scan", "good", "stg_bad"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    con.execute("CREATE TEMP TABLE scan (fid BIGINT, o BIGINT, bad BOOLEAN, "
                "problems STRUCT(field VARCHAR, reason VARCHAR)[], raw JSON, lon DOUBLE, lat DOUBLE)")
    con.execute("CREATE TEMP TABLE stg_bad (fid BIGINT, ord BIGINT, reason VARCHAR, raw JSON)")
    with ExitStack() as stack:
        locals_ = [stack.enter_context(q.f.local_path(tmp_dir)) for q in batch]
        con.register("fid_map", pa.table({
            "filename": [str(x) for x in locals_],
            "fid": pa.array(file_ids, type=pa.int64()),
            "file_month": pa.array([q.month for q in batch], type=pa.date32()),
            "file_force": pa.array([q.force for q in batch], type=pa.string()),
        }))
        stack.callback(con.unregister, "fid_map")
        clean = [str(x) for x in locals_]
        _scan(con, p, _csv_source(p.header), {"files": clean})
        redo = _bad_files(con)
        if redo:
            # Faulty files are read by Python. The others are scanned again without them, so
            # that pass 2 numbers their rows exactly as pass 1 did.
            con.execute("DELETE FROM scan")
            clean = [str(x) for x, fid in zip(locals_, file_ids, strict=True) if fid not in redo]
            if clean:
                _scan(con, p, _csv_source(p.header), {"files": clean})
                if _bad_files(con):
                    raise RuntimeError("a file changed while it was being imported")
        read: dict[int, int] = {}  # rows read per file (structurally faulty rows added below)
        if clean:
            read |= _load_good(ws, con, p, _csv_source(p.header), {"files": clean}, import_id)
        for q, fid in zip(batch, file_ids, strict=True):
            if fid not in redo:
                continue
            con.execute("DELETE FROM scan")
            con.register("stg_arrow", _parse_python(con, q, fid))
            try:
                _scan(con, p, _arrow_source(p.header), {})
                read |= _load_good(ws, con, p, _arrow_source(p.header), {}, import_id)
            finally:
                con.unregister("stg_arrow")
        con.execute(
            "INSERT INTO rejects SELECT ?, fid, ?, ?, ord, NULL, reason, raw FROM stg_bad",
            [import_id, SOURCE, p.kind],
        )
    table = KIND_TABLE[p.kind]
    ids = ",".join(map(str, file_ids))
    counts = {fid: [read.get(fid, 0), 0, 0, 0] for fid in file_ids}  # read, loaded, rejected, flagged
    for fid, loaded, flagged in con.execute(
        f"SELECT file_id, count(*), count(*) FILTER (WHERE len(flags) > 0) FROM {table} "
        f"WHERE file_id IN ({ids}) GROUP BY 1"
    ).fetchall():
        counts[fid][1], counts[fid][3] = loaded, flagged
    for fid, rejected in con.execute(
        f"SELECT file_id, count(*) FROM rejects WHERE file_id IN ({ids}) GROUP BY 1"
    ).fetchall():
        counts[fid][2] = rejected
    for fid, faulty in con.execute("SELECT fid, count(*) FROM stg_bad GROUP BY 1").fetchall():
        counts[fid][0] += faulty
    results = []
    now = datetime.now()
    for q, fid in zip(batch, file_ids, strict=True):
        read, loaded, rejected, flagged = counts[fid]
        if read != loaded + rejected:  # a bug, never a data problem: fail the whole import
            raise RuntimeError(f"{q.f.display}: read {read} != loaded {loaded} + rejected {rejected}")
        con.execute(
            "INSERT INTO source_files (file_id, import_id, source, kind, path, name, sha256, "
            "partition_key, force_slug, month, rows_read, rows_loaded, rows_rejected, "
            "rows_flagged, status, loaded_at, encoding, warnings) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, 'utf-8', ?::VARCHAR[])",
            [fid, import_id, SOURCE, q.kind, q.f.display, q.f.name, q.sha256, q.partition_key,
             q.force, q.month, read, loaded, rejected, flagged, now, q.warnings],
        )
        results.append(FileResult(q.f.name, q.kind, "loaded", read, loaded, rejected, flagged, fid,
                                  warnings=list(q.warnings)))
    for t in ("scan", "good", "stg_bad", "off"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return results


def _load_good(ws: Workspace, con: duckdb.DuckDBPyConnection, p: _Planned, src: str,
               params: dict, import_id: int) -> dict[int, int]:
    """Rejects from ``scan``; BNG for the good rows; pass 2 into the canonical table.
    Returns the rows pass 1 read per file."""
    con.execute("CREATE OR REPLACE TEMP TABLE off AS "
                "SELECT fid, min(o) - 1 AS o0, count(*) AS n FROM scan GROUP BY fid")
    con.execute(
        """INSERT INTO rejects
           SELECT ?, fid, ?, ?, o - o0, problems[1].field,
                  array_to_string(list_transform(problems, x -> x.reason), '; '), raw
           FROM scan JOIN off USING (fid) WHERE bad""",
        [import_id, SOURCE, p.kind],
    )
    arrs = con.execute(
        "SELECT fid, o, o - o0 AS row_number, coalesce(lon, 'NaN') AS lon, "
        "coalesce(lat, 'NaN') AS lat FROM scan JOIN off USING (fid) WHERE NOT bad"
    ).fetchnumpy()
    lon = np.asarray(arrs["lon"], dtype="float64")  # NaN: no coordinates (NULL again below)
    lat = np.asarray(arrs["lat"], dtype="float64")
    e, n = _projector().submit(to_bng, lon, lat).result() if len(lon) else (np.array([]), np.array([]))
    con.register("good_arrow", pa.table({
        "fid": np.asarray(arrs["fid"], dtype="int64"), "o": np.asarray(arrs["o"], dtype="int64"),
        "row_number": np.asarray(arrs["row_number"], dtype="int64"),
        "lon": pa.array(lon, from_pandas=True), "e": pa.array(e, from_pandas=True),
        "n": pa.array(n, from_pandas=True),
    }))
    try:
        # A native temp table (not a scan of the Arrow object) lets DuckDB hash-join in parallel.
        con.execute("CREATE OR REPLACE TEMP TABLE good AS SELECT * FROM good_arrow")
    finally:
        con.unregister("good_arrow")
    _insert_rows(ws, con, p, src, params, import_id)
    return dict(con.execute("SELECT fid, n FROM off").fetchall())


def _insert_rows(ws: Workspace, con: duckdb.DuckDBPyConnection, p: _Planned, src: str,
                 params: dict, import_id: int) -> None:
    c = lambda name: _col(p, name)  # noqa: E731 - short alias keeps the SQL readable
    lon = f"CAST({c('Longitude')} AS DOUBLE)"
    lat = f"CAST({c('Latitude')} AS DOUBLE)"
    _rejects, flags = _checks(p)
    cases = ", ".join(f"CASE WHEN {cond} THEN '{name}' END" for name, cond in flags)
    flag_sql = f"list_filter([{cases}]::VARCHAR[], x -> x IS NOT NULL)"
    # The guard: pass 2 must meet exactly the rows pass 1 validated (same file, same number,
    # same longitude), or the import stops.
    where = (f"FROM {src} s JOIN good b ON b.fid = s.fid AND b.o = s.o "
             f"WHERE CASE WHEN b.lon IS NOT DISTINCT FROM {lon} THEN true "
             f"ELSE error('police.uk import: the second pass met a different row') END")
    if p.kind == "street":
        month = f"CAST({c('Month')} || '-01' AS DATE)"  # validated YYYY-MM by pass 1
        ce, cn = cell_sql("b.e", "b.n", ws.settings.grid)
        con.execute(
            f"""INSERT INTO crimes (source, crime_id, month, reported_by, falls_within, longitude,
                    latitude, easting, northing, cell_e, cell_n, location, lsoa_code, lsoa_name,
                    crime_type, last_outcome, context, flags, file_id, row_number, import_id)
                SELECT '{SOURCE}', lower({c('Crime ID')}), {month},
                       {c('Reported by')}, {c('Falls within')}, {lon}, {lat}, b.e, b.n, {ce}, {cn},
                       {c('Location')}, {c('LSOA code')}, {c('LSOA name')}, {c('Crime type')},
                       {c('Last outcome category')}, {c('Context')}, {flag_sql}, s.fid,
                       b.row_number, {import_id}
                {where}""",
            params,
        )
    elif p.kind == "outcomes":
        month = f"CAST({c('Month')} || '-01' AS DATE)"
        con.execute(
            f"""INSERT INTO outcomes
                SELECT lower({c('Crime ID')}), {month},
                       {c('Reported by')}, {c('Falls within')}, {lon}, {lat}, b.e, b.n,
                       {c('Location')}, {c('LSOA code')}, {c('LSOA name')}, {c('Outcome type')},
                       {flag_sql}, s.fid, b.row_number, {import_id}
                {where}""",
            params,
        )
    else:
        month = f"coalesce(file_month, date_trunc('month', CAST({c('Date')} AS TIMESTAMPTZ))::DATE)"
        force = "file_force"
        b = lambda name: f"CAST(lower({c(name)}) AS BOOLEAN)"  # noqa: E731
        con.execute(
            f"""INSERT INTO stop_search
                SELECT {force}, {month}, {c('Type')}, CAST({c('Date')} AS TIMESTAMPTZ),
                       {b('Part of a policing operation')}, {c('Policing operation')}, {lon}, {lat},
                       b.e, b.n, {c('Gender')}, {c('Age range')}, {c('Self-defined ethnicity')},
                       {c('Officer-defined ethnicity')}, {c('Legislation')}, {c('Object of search')},
                       {c('Outcome')}, {b('Outcome linked to object of search')},
                       {b('Removal of more than just outer clothing')}, {flag_sql}, s.fid,
                       b.row_number, {import_id}
                {where}""",
            params,
        )
