"""Contract-driven import of partner files: one engine for every data-hub source.

A source module declares its *contract* (columns, types, required fields, code lists, identifier
columns, cross-field checks, flags) and a small loader that maps validated rows onto canonical
tables. This engine does everything else, the same way for every source:

1. plan: find the files (CSV, .csv.gz, XLSX, ZIP members, and source-specific forms such as the
   ISTV XML), read each header, pick the contract whose columns match, refuse the whole import
   (naming file and columns) before touching the workspace if any file is unusable;
2. governance: refuse a source without a data-sharing agreement in force; load the
   pseudonymisation key (never stored) and refuse a key that differs from the workspace's;
3. skip files whose content checksum is already loaded (re-import is a no-op);
4. stage the files in DuckDB with every value as text, in *batches*: files with the same contract
   and header are staged, validated and loaded together (at most ``BATCH_FILES`` files and about
   ``BATCH_BYTES``), every row carrying its ``file_id`` and its ``row_number`` within its file, so
   that a folder of many small files pays DuckDB's fixed planning cost once per batch, not once
   per file. Everything below still holds per file. Identifier columns are replaced by
   pseudonyms *in the staging query itself*: the distinct raw values are mapped in memory
   (normalise, check, keyed HMAC) and joined in, so no table, temp table, log, reject or error
   message ever holds a raw identifier;
5. validate in SQL: typed values, required fields, code lists, ranges, dates not in the future,
   duplicates, cross-field checks; every failing row goes to ``rejects`` with file, row, field and
   reason (raw = the staged row, identifiers pseudonymised);
6. load the good rows through the source's loader; record provenance in ``source_files`` and
   ``imports``; check read = loaded + rejected per file;
7. apply resubmissions (``partition``) in file order: a later file with the same key replaces the
   earlier one, whether it came in an earlier import or earlier in this one.

All files of one import run are loaded in one ``ws.transaction()``: any failure leaves the
workspace as it was.
"""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from vru.geo.bng import to_bng, to_lonlat
from vru.privacy import agreements
from vru.privacy.pseudonymise import Pseudonymiser, PseudonymKeyError, load_key
from vru.settings import Settings
from vru.sources.files import ImportRefused, InputFile, content_digest, discover, has_glob_chars
from vru.sources.provenance import finish_import, start_import, write_import_log
from vru.sources.results import FileResult, ImportSummary, ProgressFn  # noqa: F401 - re-exported
from vru.workspace import Workspace

TYPES = ("text", "int", "decimal", "date", "datetime", "code", "bool", "lsoa", "postcode",
         "icd10", "time", "id")

# Accepted text: dates YYYY-MM-DD or DD/MM/YYYY; date-times YYYY-MM-DD HH:MM[:SS] (or with T)
# or DD/MM/YYYY HH:MM[:SS].
DAYFIRST_DATETIME = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
EARLIEST = "1900-01-01"


# ================================================================================ the contract
@dataclass(frozen=True)
class Column:
    """One input column. ``type='id'`` columns are identifiers: consumed by an Identifier and
    never stored (only their pseudonym is)."""

    name: str
    type: str = "text"
    required: bool = False
    codes: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    future_ok: bool = False         # dates/datetimes: allow values after today
    description: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type}")


@dataclass(frozen=True)
class Identifier:
    """Identifier columns replaced by one pseudonym column at import."""

    name: str                       # pseudonym column in staging/canonical tables, e.g. patient_pid
    kind: str                       # nhs_number | upn | pnc_id | name_dob
    columns: tuple[str, ...]        # the raw input columns it consumes
    required: bool = False


@dataclass(frozen=True)
class Check:
    """A cross-field rule: ``bad`` is SQL over typed values (``v_<column>``), true for a bad row."""

    field: str
    bad: str
    reason: str


@dataclass(frozen=True)
class Flag:
    """A kept-but-noted condition (SQL over typed values) recorded in the row's ``flags``."""

    name: str
    when: str


@dataclass(frozen=True)
class RetentionTarget:
    """Where a kind's rows live, and which date retention counts from."""

    table: str
    date_column: str
    where: str = "TRUE"


@dataclass(frozen=True)
class Once:
    """A key that may be loaded only once across files: a row whose (typed, non-empty) ``column``
    value is already stored (``stored``: SQL selecting the stored keys), or is loaded by an
    earlier file of the same import, is rejected with ``reason``.

    The engine evaluates it, not a ``Check``: in a batch the earlier files' rows are not stored
    yet, so the rule is applied to them too (a row is rejected when an earlier file has a valid
    row with the same key), exactly as if the files were imported one after the other. It is
    reported last among a row's problems and documented with the row rules."""

    column: str
    stored: str
    reason: str


@dataclass
class LoadContext:
    """What a loader gets, once per batch (one or more files with the same contract and header).

    The loader contract: insert every row of the temp view ``hub_ok`` (the batch's valid rows)
    into the canonical table(s) and return the number of rows stored (the engine refuses a
    count that differs). ``hub_ok`` holds ``file_id`` and ``row_number`` (1 = first data row of
    that file), the typed values ``v_<column>``, the pseudonym columns and ``flags``; store the
    row's own ``file_id`` and ``row_number`` (provenance) and ``import_id`` from here.
    ``project_bng`` / ``project_lonlat`` make the temp table ``hub_xy`` keyed by
    ``(file_id, row_number)``: join it ``USING (file_id, row_number)``.
    """

    con: duckdb.DuckDBPyConnection
    import_id: int
    settings: Settings
    agreement: agreements.Agreement


Loader = Callable[[LoadContext], int]


@dataclass(frozen=True)
class Contract:
    source: str
    kind: str
    title: str
    columns: tuple[Column, ...]
    load: Loader
    retention: tuple[RetentionTarget, ...]
    identifiers: tuple[Identifier, ...] = ()
    checks: tuple[Check, ...] = ()
    flags: tuple[Flag, ...] = ()
    unique: tuple[str, ...] = ()    # columns that must be unique within a file
    partition: str | None = None    # SQL key: a later file with the same key replaces the earlier
    once: Once | None = None        # a key loaded only once, across files and imports

    def __post_init__(self) -> None:
        if self.once is not None and self.partition is not None:
            # Replacements are applied after the batches are loaded; a replaced file's keys
            # would still count as loaded for the files after it.
            raise ValueError(f"{self.source}/{self.kind}: a contract cannot have both a "
                             "`once` key and a `partition`")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def stored(self) -> list[Column]:
        """Columns staged as text (everything but raw identifiers)."""
        return [c for c in self.columns if c.type != "id"]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def required_names(self) -> set[str]:
        req = {c.name for c in self.columns if c.required}
        for ident in self.identifiers:
            if ident.required and len(ident.columns) == 1:
                req.add(ident.columns[0])
        return req


# A reader for a non-CSV form: yields the header (contract column names) then rows.
FormReader = Callable[[InputFile, "Contract"], tuple[list[str], Iterator[tuple[int, list[Any]]]]]


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    contracts: tuple[Contract, ...]
    extra_readers: dict[str, tuple[str, FormReader]] = field(default_factory=dict)
    # suffix -> (contract kind, reader), e.g. {".xml": ("assaults", read_istv_xml)}

    def contract(self, kind: str) -> Contract:
        for c in self.contracts:
            if c.kind == kind:
                return c
        raise KeyError(kind)

    @property
    def suffixes(self) -> tuple[str, ...]:
        return (".csv", ".csv.gz", ".xlsx", *self.extra_readers)

    @property
    def needs_key(self) -> bool:
        return any(c.identifiers for c in self.contracts)


# ================================================================================ results
# FileResult, ImportSummary and ProgressFn live in vru.sources.results (shared with police_uk).




# ================================================================================ planning
def normalise_header(name: str) -> str:
    out = "".join(ch if ch.isalnum() else "_" for ch in name.strip().lower())
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


@dataclass
class _Planned:
    f: InputFile
    contract: Contract
    header: list[str]          # contract column names, in file order
    sha256: str
    form: str                  # csv | xlsx | extra suffix
    size: int = 0              # bytes of (decompressed) content


def _form(f: InputFile, source: Source) -> str:
    n = f.name.lower()
    for suffix in source.extra_readers:
        if n.endswith(suffix):
            return suffix
    if n.endswith(".xlsx"):
        return "xlsx"
    return "csv"


def _header_csv(f: InputFile) -> list[str]:
    # Decode the first line only: a bad byte further down is a row problem, not a file problem.
    try:
        with f.open_binary() as fh:
            first = fh.read(1 << 16).split(b"\n", 1)[0]
        row = next(csv.reader([first.decode("utf-8-sig").rstrip("\r")]), None)
    except UnicodeDecodeError:
        raise ImportRefused(f"{f.display}: not a UTF-8 text CSV file") from None
    except (OSError, EOFError, csv.Error, zipfile.BadZipFile) as exc:
        raise ImportRefused(f"{f.display}: cannot be read as CSV ({type(exc).__name__})") from None
    if not row or all(not c.strip() for c in row):
        raise ImportRefused(f"{f.display}: empty file (no header row)")
    return row


def _open_xlsx(f: InputFile):
    import openpyxl  # read-only mode streams the sheet from the ZIP; no temp copies are written

    try:
        if f.member:
            with f.open_binary() as fh:
                data = io.BytesIO(fh.read())
            wb = openpyxl.load_workbook(data, read_only=True, data_only=True)
        else:
            wb = openpyxl.load_workbook(f.path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for bad workbooks
        raise ImportRefused(f"{f.display}: not a readable Excel .xlsx workbook "
                            f"({type(exc).__name__})") from None
    return wb


def _header_xlsx(f: InputFile) -> list[str]:
    wb = _open_xlsx(f)
    try:
        ws = wb.worksheets[0]
        row = next(ws.iter_rows(max_row=1, values_only=True), None)
    finally:
        wb.close()
    if not row or all(v is None or not str(v).strip() for v in row):
        raise ImportRefused(f"{f.display}: empty first sheet (no header row)")
    header = [("" if v is None else str(v)) for v in row]
    while header and not header[-1].strip():
        header.pop()
    return header


def choose_contract(f: InputFile, source: Source,
                    raw_header: list[str]) -> tuple[Contract, list[str]]:
    """Map a file's header to the source's contract whose columns it matches."""
    header = [normalise_header(h) for h in raw_header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ImportRefused(f"{f.display}: duplicated columns: {', '.join(dupes)}")
    best: tuple[int, Contract, list[str], list[str]] | None = None
    for c in source.contracts:
        unknown = [h for h in header if h not in c.names]
        missing = sorted(c.required_names() - set(header))
        score = len(unknown) + len(missing)
        if score == 0:
            return c, header
        if best is None or score < best[0]:
            best = (score, c, unknown, missing)
    assert best is not None
    _, c, unknown, missing = best
    problems = []
    if missing:
        problems.append("missing required columns: " + ", ".join(missing))
    if unknown:
        problems.append("columns not in the contract: " + ", ".join(unknown))
    raise ImportRefused(
        f"{f.display}: columns do not match the {source.name} '{c.kind}' contract; "
        + "; ".join(problems) + f" (see docs/guide/hub-{source.name.replace('_', '-')}.md)"
    )


def plan(source: Source, paths: list[Path | str]) -> list[_Planned]:
    files = discover(paths, source.suffixes)
    if not files:
        raise ImportRefused(
            f"no {', '.join(source.suffixes)} or ZIP files found in " + ", ".join(map(str, paths))
        )
    planned: list[_Planned] = []
    errors: list[str] = []
    for f in files:
        try:
            form = _form(f, source)
            if form in source.extra_readers:
                kind, reader = source.extra_readers[form]
                contract = source.contract(kind)
                header, _rows = reader(f, contract)   # header only: the generator is not run
            else:
                raw = _header_xlsx(f) if form == "xlsx" else _header_csv(f)
                contract, header = choose_contract(f, source, raw)
            sha256, size = content_digest(f)
            planned.append(_Planned(f, contract, header, sha256, form, size))
        except ImportRefused as exc:
            errors.append(str(exc))
    if errors:
        raise ImportRefused(
            f"{len(errors)} file(s) refused, nothing imported:\n  " + "\n  ".join(errors)
        )
    return planned


# ================================================================================ import
BATCH_FILES = 64        # at most this many files are staged and validated together...
BATCH_BYTES = 64 << 20  # ...and about this much content, so that memory stays bounded
XLSX_WEIGHT = 8         # an .xlsx is a ZIP: its cells take several times its size in memory


def import_source(ws: Workspace, source: Source, paths: list[Path | str],
                  progress: ProgressFn | None = None, command: str | None = None,
                  key: bytes | None = None) -> ImportSummary:
    """Import partner files for one source, atomically. Returns what happened to each file."""
    agreement = agreements.in_force(ws.reader(), source.name)
    planned = plan(source, paths)
    pseudo: Pseudonymiser | None = None
    if source.needs_key:
        pseudo = Pseudonymiser(key if key is not None else load_key(ws.path))
    results: list[FileResult | None] = [None] * len(planned)
    with ws.transaction() as con:
        if pseudo is not None:
            _check_key(con, pseudo)
        # Any content loaded before is skipped, whatever became of it since (replaced by a
        # later submission, or purged by retention): re-running an import never changes data.
        active = {
            (r[0], r[1]): r[2] for r in con.execute(
                "SELECT sha256, kind, max(file_id) FROM source_files WHERE source = ? "
                "GROUP BY ALL", [source.name]).fetchall()
        }
        by_partition = {
            r[0]: r[1] for r in con.execute(
                "SELECT partition_key, file_id FROM source_files WHERE source = ? "
                "AND status = 'active' AND partition_key IS NOT NULL", [source.name]).fetchall()
        }
        import_id = start_import(ws, con, source.name, command)
        seen: set[tuple[str, str]] = set()
        todo: list[int] = []
        for i, p in enumerate(planned):
            k = (p.sha256, p.contract.kind)
            if k in active or k in seen:
                results[i] = FileResult(p.f.name, p.contract.kind, "skipped")
                continue
            seen.add(k)
            todo.append(i)
        # File ids in file order, whatever batch a file lands in.
        file_ids = {i: ws.next_id(con, "file_seq") for i in todo}
        pkeys: dict[int, str] = {}
        done = len(planned) - len(todo)
        for batch in _batches(planned, todo):
            if progress:
                progress(planned[batch[0]].f.name, done, len(planned))
            loaded = _import_batch(ws, con, source, [(planned[i], file_ids[i]) for i in batch],
                                   import_id, agreement, pseudo)
            for i, (res, pkey) in zip(batch, loaded, strict=True):
                results[i] = res
                if pkey is not None:
                    pkeys[i] = pkey
            done += len(batch)
        # Resubmissions in file order, as if the files had been imported one by one: the
        # later of two files with the same key (in this run or an earlier one) wins.
        for i in todo:
            pkey = pkeys.get(i)
            if pkey is None:
                continue
            res = results[i]
            assert res is not None and res.file_id is not None
            old = by_partition.get(pkey)
            if old is not None:
                _replace(con, planned[i].contract, old, res.file_id, pkey)
                res.status = "replaced"
                res.replaced_file_ids.append(old)
            by_partition[pkey] = res.file_id
        assert all(r is not None for r in results)
        summary = ImportSummary(source.name, import_id, [r for r in results if r is not None])
        finish_import(con, summary)
    if progress:
        progress("", len(planned), len(planned))
    write_import_log(ws, summary)
    return summary


def _batches(planned: list[_Planned], todo: list[int]) -> list[list[int]]:
    """Indices of the files to stage and validate together, in processing order.

    A batch holds files with the same contract and header (so the same columns in the same
    places), at most BATCH_FILES of them and about BATCH_BYTES of content. A contract with a
    ``once`` key is order-dependent (a file's rows are checked against the files before it), so
    its batches are runs of consecutive files, processed in file order.
    """
    groups: dict[tuple[Any, ...], list[int]] = {}
    run = 0
    previous: tuple[str, tuple[str, ...]] | None = None
    for i in todo:
        p = planned[i]
        same = (p.contract.kind, tuple(p.header))
        if same != previous:
            run, previous = run + 1, same
        groups.setdefault((*same, run if p.contract.once else 0), []).append(i)
    out: list[list[int]] = []
    for members in groups.values():  # in the order of each group's first file
        chunk: list[int] = []
        volume = 0
        for i in members:
            p = planned[i]
            weight = p.size * (XLSX_WEIGHT if p.form == "xlsx" else 1)
            if chunk and (len(chunk) >= BATCH_FILES or volume + weight > BATCH_BYTES):
                out.append(chunk)
                chunk, volume = [], 0
            chunk.append(i)
            volume += weight
        if chunk:
            out.append(chunk)
    return out


def _check_key(con: duckdb.DuckDBPyConnection, pseudo: Pseudonymiser) -> None:
    row = con.execute("SELECT fingerprint FROM pseudonym_key LIMIT 1").fetchone()
    if row is None:
        con.execute("INSERT INTO pseudonym_key VALUES (?, ?)", [pseudo.fingerprint, datetime.now()])
    elif row[0] != pseudo.fingerprint:
        raise PseudonymKeyError(
            "the pseudonymisation key differs from the key this workspace's data was "
            "pseudonymised with (fingerprint mismatch): pseudonyms would not match earlier "
            "imports. Use the original key."
        )


def _replace(con: duckdb.DuckDBPyConnection, contract: Contract, old_id: int, new_id: int,
             pkey: str) -> None:
    removed = 0
    for t in {r.table for r in contract.retention}:
        removed += con.execute(f"DELETE FROM {t} WHERE file_id = ?", [old_id]).fetchone()[0]
    con.execute("DELETE FROM rejects WHERE file_id = ?", [old_id])
    con.execute("UPDATE source_files SET status = 'replaced' WHERE file_id = ?", [old_id])
    con.execute("INSERT INTO file_replacements VALUES (?, ?, ?, ?, ?)",
                [old_id, new_id, pkey, removed, datetime.now()])


# ================================================================================ one file
def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _clean(expr: str) -> str:
    return f"nullif(trim({expr}, ' \t\r\n'), '')"


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW IF EXISTS hub_ok")
    for t in ("hub_chk", "hub_xy", "hub_bad", "hub_dups"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    con.execute("DROP VIEW IF EXISTS hub_stg")


@contextlib.contextmanager
def _no_spill(ws: Workspace, enabled: bool) -> Iterator[None]:
    """While raw identifiers flow through DuckDB (staging and validation), forbid spilling to
    its temp folder (inside the workspace): an import that needs more memory than DuckDB's
    memory_limit then fails cleanly instead of writing raw identifiers to disk. The setting is
    global, so it is set and restored on a separate cursor (valid even if the import's
    transaction has failed)."""
    if not enabled:
        yield
        return
    cur = ws.reader()
    try:
        cur.execute("SET max_temp_directory_size = '0KB'")
        yield
    finally:
        cur.execute("RESET max_temp_directory_size")
        cur.close()


def _import_batch(ws: Workspace, con: duckdb.DuckDBPyConnection, source: Source,
                  batch: list[tuple[_Planned, int]], import_id: int,
                  agreement: agreements.Agreement, pseudo: Pseudonymiser | None
                  ) -> list[tuple[FileResult, str | None]]:
    """Stage, validate and load files with the same contract and header together.

    Returns, per file in batch order, its result and its partition key (if any)."""
    c = batch[0][0].contract
    _drop_temp(con)
    con.execute("CREATE TEMP TABLE hub_bad (file_id BIGINT, row_number BIGINT, reason VARCHAR)")
    registered: list[str] = []
    try:
        probe = ws.reader()
        try:
            src_sql = _batch_relation(con, probe, source, batch, registered)
        finally:
            probe.close()
        with _no_spill(ws, enabled=bool(c.identifiers)):
            _stage(con, c, batch[0][0].header, src_sql, pseudo, registered)
            _validate(con, c)
        loaded = c.load(LoadContext(con, import_id, ws.settings, agreement))
        # Per file: valid, invalid, flagged and structurally bad rows, and whether its rows are
        # numbered 1..n with nothing missing (verified, not assumed: the file's rows may come
        # from one multi-file scan).
        counts = {r[0]: r[1:] for r in con.execute(
            """WITH r AS (
                   SELECT file_id, row_number, len(problems) = 0 AS ok,
                          len(problems) = 0 AND len(flags) > 0 AS flagged, false AS broken
                   FROM hub_chk
                   UNION ALL SELECT file_id, row_number, false, false, true FROM hub_bad)
               SELECT file_id, count(*) FILTER (WHERE ok),
                      count(*) FILTER (WHERE NOT ok AND NOT broken),
                      count(*) FILTER (WHERE flagged), count(*) FILTER (WHERE broken),
                      min(row_number) = 1 AND max(row_number) = count(*)
               FROM r GROUP BY file_id""").fetchall()}
        n_ok = sum(v[0] for v in counts.values())
        if loaded != n_ok:
            raise RuntimeError(f"{c.source}/{c.kind} loader stored {loaded} of {n_ok} valid rows")
        for p, fid in batch:
            if fid in counts and not counts[fid][4]:
                raise RuntimeError(f"{p.f.display}: rows are not numbered contiguously")
        _write_rejects(con, c, import_id)
        pkeys: dict[int, str] = {}
        if c.partition:
            # A file has a key when all its valid rows share one (non-empty) value.
            for fid, distinct, key in con.execute(
                f"""SELECT file_id, count(DISTINCT k) + max(CASE WHEN k IS NULL THEN 1 ELSE 0 END),
                           max(k)
                    FROM (SELECT file_id, {c.partition} AS k FROM hub_ok) GROUP BY file_id"""
            ).fetchall():
                if distinct == 1 and key is not None:
                    pkeys[fid] = str(key)
        out: list[tuple[FileResult, str | None]] = []
        values: list[Any] = []
        now = datetime.now()
        for p, fid in batch:
            ok, bad, flagged, broken, _ = counts.get(fid, (0, 0, 0, 0, True))
            rows_read = ok + bad + broken
            pkey = pkeys.get(fid)
            out.append((FileResult(p.f.name, c.kind, "loaded", rows_read, ok, bad + broken,
                                   flagged, fid), pkey))
            values += [fid, import_id, c.source, c.kind, p.f.display, p.f.name, p.sha256, pkey,
                       rows_read, ok, bad + broken, flagged, now]
        con.execute(
            "INSERT INTO source_files (file_id, import_id, source, kind, path, name, sha256, "
            "partition_key, rows_read, rows_loaded, rows_rejected, rows_flagged, loaded_at, "
            "force_slug, month, status) "
            "SELECT *, NULL, NULL, 'active' FROM (VALUES "
            + ", ".join(["(" + ", ".join(["?"] * 13) + ")"] * len(batch)) + ")",
            values,
        )
        return out
    finally:
        for name in registered:
            con.unregister(name)
        with contextlib.suppress(duckdb.Error):  # after an error the transaction rolls back
            _drop_temp(con)


# ---------------------------------------------------------------------------- reading
def _batch_relation(con: duckdb.DuckDBPyConnection, probe: duckdb.DuckDBPyConnection,
                    source: Source, batch: list[tuple[_Planned, int]],
                    registered: list[str]) -> str:
    """SQL for the batch's rows as text columns c0..cN plus file_id and row_number (1 = the
    first data row of its file).

    Plain CSV files on disk are read by DuckDB's CSV reader (fast, parallel), all in one scan
    once a probe has proved that each parses cleanly and numbers its rows contiguously.
    Everything else, and CSV files with structural faults, is read file by file in Python into
    an in-memory Arrow table (never a temp file: the rows still hold raw identifiers here).
    """
    n = len(batch[0][0].header)
    cs = ", ".join(f"c{i}" for i in range(n))
    # A path DuckDB would take for a glob pattern goes to the Python reader (no temp copy: the
    # rows still hold raw identifiers here).
    on_disk = [(p, fid) for p, fid in batch
               if p.form == "csv" and not p.f.member and not has_glob_chars(p.f.path)]
    fast, offsets = _probe_csv(probe, on_disk, n)
    parts = []
    if fast:
        parts.append(f"SELECT file_id, row_number, {cs} FROM {_csv_scan(fast, n, offsets)}")
    slow = [(p, fid) for p, fid in batch if fid not in offsets]
    if slow:
        tables = []
        for p, fid in slow:
            if p.form == "csv":
                rows = _iter_csv_python(p.f, n, con, fid)
            elif p.form == "xlsx":
                rows = _iter_xlsx(p.f, p.contract, p.header)
            else:
                _kind, reader = source.extra_readers[p.form]
                _header, rows = reader(p.f, p.contract)
            tables.append(_to_arrow(rows, n, fid))
        con.register("hub_src", pa.concat_tables(tables))
        registered.append("hub_src")
        parts.append(f"SELECT file_id, row_number, {cs} FROM hub_src")
    return "(" + " UNION ALL ".join(parts) + ")"


def _csv_scan(files: list[tuple[_Planned, int]], n: int, offsets: dict[int, int]) -> str:
    """DuckDB's CSV reader over the files: c0..cN, file_id, row_number = the scan's ordinality
    less the file's offset (the rows of the files before it in the scan)."""
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n))
    opts = (f"header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
            f"columns = {{{cols}}}, strict_mode = true, null_padding = false")
    if len(files) == 1:
        (p, fid), = files
        return (f"(SELECT *, {fid} AS file_id, ordinality - {offsets.get(fid, 0)} AS row_number "
                f"FROM read_csv({_lit(str(p.f.path))}, {opts}) WITH ORDINALITY)")
    paths = ", ".join(_lit(str(p.f.path)) for p, _ in files)
    fid_of = " ".join(f"WHEN {_lit(str(p.f.path))} THEN {fid}" for p, fid in files)
    off_of = " ".join(f"WHEN {fid} THEN {offsets.get(fid, 0)}" for _, fid in files)
    return (f"(SELECT *, ordinality - CASE file_id {off_of} END AS row_number FROM "
            f"(SELECT *, CASE filename {fid_of} END AS file_id "
            f"FROM read_csv([{paths}], {opts}, filename = true) WITH ORDINALITY))")


def _probe_csv(probe: duckdb.DuckDBPyConnection, files: list[tuple[_Planned, int]], n: int
               ) -> tuple[list[tuple[_Planned, int]], dict[int, int]]:
    """The files DuckDB's CSV reader parses cleanly, numbering each file's rows contiguously,
    and each one's offset in a scan of them all.

    One cheap pass over all files first; if it fails, each file on its own, then the clean ones
    together again. The probes run on a separate cursor: a parse error must not abort the
    import's transaction."""

    def run(group: list[tuple[_Planned, int]]) -> dict[int, int] | None:
        try:
            rows = probe.execute(
                "SELECT file_id, count(*), min(row_number), max(row_number) "
                f"FROM {_csv_scan(group, n, {})} GROUP BY ALL").fetchall()
        except duckdb.Error:
            # DuckDB's message quotes the offending line (it may hold identifiers): drop it.
            return None
        fids = {fid for _, fid in group}
        if any(fid not in fids or cnt != hi - lo + 1 for fid, cnt, lo, hi in rows):
            return None
        offsets = {fid: lo - 1 for fid, _, lo, _ in rows}
        if len(group) == 1 and offsets.get(group[0][1], 0) != 0:
            return None
        return {fid: offsets.get(fid, 0) for fid in fids}

    if not files:
        return [], {}
    offsets = run(files)
    if offsets is not None:
        return files, offsets
    if len(files) == 1:
        return [], {}
    clean = [f for f in files if run([f]) is not None]
    offsets = run(clean) if clean else None
    if offsets is None:
        return [], {}
    return clean, offsets


def _to_arrow(rows: Iterable[tuple[int, list[Any]]], n: int, file_id: int) -> pa.Table:
    cols: list[list[str | None]] = [[] for _ in range(n)]
    nums: list[int] = []
    for num, values in rows:
        nums.append(num)
        for i in range(n):
            v = values[i] if i < len(values) else None
            cols[i].append(None if v is None else str(v))
    return pa.table({**{f"c{i}": pa.array(cols[i], type=pa.string()) for i in range(n)},
                     "file_id": pa.array([file_id] * len(nums), type=pa.int64()),
                     "row_number": pa.array(nums, type=pa.int64())})


def _iter_csv_python(f: InputFile, width: int, con: duckdb.DuckDBPyConnection, file_id: int
                     ) -> Iterator[tuple[int, list[Any]]]:
    """Row by row with Python's csv module; structurally bad rows go to hub_bad (no content)."""
    with f.open_binary() as fh:
        data = fh.read()
    text = data.decode("utf-8", errors="surrogateescape").lstrip("\ufeff")
    del data
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        next(reader)
    except (StopIteration, csv.Error):
        return
    n = 0
    bad: list[tuple[int, str]] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            n += 1
            bad.append((n, "malformed CSV row (bad quoting)"))
            continue
        if not row:
            continue  # a blank line is not a row
        n += 1
        if any("\udc80" <= ch <= "\udcff" for cell in row for ch in cell):
            bad.append((n, "row is not valid UTF-8 text"))
            continue
        if len(row) != width:
            bad.append((n, f"row has {len(row)} fields, expected {width}"))
            continue
        yield n, row
    if bad:
        con.executemany("INSERT INTO hub_bad VALUES (?, ?, ?)", [[file_id, *b] for b in bad])


def excel_text(v: Any, ctype: str) -> str | None:
    """An Excel cell as the text a CSV export would hold (dates ISO, whole numbers no '.0')."""
    if v is None:
        return None
    if isinstance(v, datetime):
        if ctype == "date":
            return v.date().isoformat()
        if ctype == "time":
            return v.strftime("%H:%M:%S")
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.strftime("%H:%M:%S")
    if isinstance(v, bool):
        return "Y" if v else "N"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def _iter_xlsx(f: InputFile, c: Contract, header: list[str]) -> Iterator[tuple[int, list[Any]]]:
    types = [c.column(h).type for h in header]
    wb = _open_xlsx(f)
    try:
        rows = wb.worksheets[0].iter_rows(min_row=2, values_only=True)
        n = 0
        for row in rows:
            if row is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue  # blank rows are not data
            n += 1
            yield n, [excel_text(row[i] if i < len(row) else None, types[i])
                      for i in range(len(header))]
    finally:
        wb.close()


# ---------------------------------------------------------------------------- staging
def _stage(con: duckdb.DuckDBPyConnection, c: Contract, header: list[str], src: str,
           pseudo: Pseudonymiser | None, registered: list[str]) -> None:
    """The view hub_stg: the batch's rows as trimmed text, identifiers already pseudonymised."""
    pos = {h: i for i, h in enumerate(header)}
    select = ["s.file_id", "s.row_number"]
    for col in c.stored:
        if col.name in pos:
            select.append(f"{_clean(f's.c{pos[col.name]}')} AS {_q(col.name)}")
        else:
            select.append(f"NULL::VARCHAR AS {_q(col.name)}")
    joins = []
    for g, ident in enumerate(c.identifiers):
        assert pseudo is not None
        exprs = [(_clean(f"s.c{pos[n]}") if n in pos else "NULL::VARCHAR") for n in ident.columns]
        keys = ", ".join(f"{e} AS k{j}" for j, e in enumerate(exprs))
        distinct = con.execute(f"SELECT DISTINCT {keys} FROM {src} s").fetchall()
        pids, problems = pseudo.map_values(ident.kind, distinct)
        m = {f"k{j}": pa.array([r[j] for r in distinct], type=pa.string())
             for j in range(len(exprs))}
        m["pid"] = pa.array(pids, type=pa.string())
        m["problem"] = pa.array(problems, type=pa.string())
        del distinct
        name = f"hub_map{g}"
        con.register(name, pa.table(m))
        registered.append(name)
        on = " AND ".join(f"m{g}.k{j} IS NOT DISTINCT FROM {e}" for j, e in enumerate(exprs))
        joins.append(f"LEFT JOIN {name} m{g} ON {on}")
        select.append(f"m{g}.pid AS {_q(ident.name)}")
        select.append(f"m{g}.problem AS {_q(ident.name + '__problem')}")
    # A view, not a table: the files are read once more, straight into validation.
    con.execute(
        f"CREATE TEMP VIEW hub_stg AS SELECT {', '.join(select)} FROM {src} s {' '.join(joins)}"
    )


# ---------------------------------------------------------------------------- validation
def _typed(col: Column) -> str:
    x = _q(col.name)
    t = col.type
    if t == "int":
        # TRY_CAST alone would round '19.5' to 20: accept only whole-number text.
        return f"CASE WHEN regexp_full_match({x}, '[+-]?[0-9]+') THEN TRY_CAST({x} AS BIGINT) END"
    if t == "decimal":
        return f"CASE WHEN isfinite(TRY_CAST({x} AS DOUBLE)) THEN TRY_CAST({x} AS DOUBLE) END"
    # ISO text goes through DuckDB's cast (about 25x faster than try_strptime with a list of
    # formats); day-first UK text through strptime.
    if t == "date":
        return (f"coalesce(CASE WHEN length({x}) = 10 AND {x} NOT LIKE '%/%' "
                f"THEN TRY_CAST({x} AS DATE) END, "
                f"CASE WHEN {x} LIKE '%/%' THEN CAST(try_strptime({x}, '%d/%m/%Y') AS DATE) END, "
                f"CASE WHEN length({x}) > 10 AND {x} NOT LIKE '%/%' "
                f"THEN CAST(TRY_CAST({x} AS TIMESTAMP) AS DATE) END)")
    if t == "datetime":
        return (f"coalesce(CASE WHEN length({x}) >= 16 AND {x} NOT LIKE '%/%' "
                f"THEN TRY_CAST({x} AS TIMESTAMP) END, "
                f"CASE WHEN {x} LIKE '%/%' THEN try_strptime({x}, {DAYFIRST_DATETIME!r}) END)")
    if t == "time":
        return f"CAST(try_strptime({x}, {TIME_FORMATS!r}) AS TIME)"
    if t == "code":
        codes = ", ".join(_lit(v) for v in col.codes)
        return f"CASE WHEN upper({x}) IN ({codes}) THEN upper({x}) END"
    if t == "bool":
        return (f"CASE WHEN upper({x}) IN ('Y', 'YES', 'TRUE', '1') THEN true "
                f"WHEN upper({x}) IN ('N', 'NO', 'FALSE', '0') THEN false END")
    if t == "lsoa":
        return f"CASE WHEN regexp_full_match(upper({x}), '[EW]01[0-9]{{6}}') THEN upper({x}) END"
    if t == "postcode":
        pc = f"upper(regexp_replace({x}, '\\s+', '', 'g'))"
        return (f"CASE WHEN regexp_full_match({pc}, '[A-Z]{{1,2}}[0-9][A-Z0-9]?[0-9][A-Z]{{2}}') "
                f"THEN regexp_replace({pc}, '([0-9][A-Z]{{2}})$', ' \\1') END")
    if t == "icd10":
        ic = f"upper(replace({x}, '.', ''))"
        return f"CASE WHEN regexp_full_match({ic}, '[A-Z][0-9]{{2}}[0-9A-Z]?') THEN {ic} END"
    return x  # text


def _expected(col: Column) -> str:
    return {
        "int": "not a whole number",
        "decimal": "not a number",
        "date": "not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
        "datetime": "not a date and time (expected YYYY-MM-DD HH:MM[:SS] or DD/MM/YYYY HH:MM)",
        "time": "not a time of day (expected HH:MM)",
        "code": "not in the code list (" + ", ".join(col.codes) + ")",
        "bool": "not a yes/no value (Y/N)",
        "lsoa": "not an LSOA code (E01/W01 + 6 digits)",
        "postcode": "not a UK postcode",
        "icd10": "not an ICD-10 code",
    }.get(col.type, "invalid")


def _problem(field_: str, reason_sql: str) -> str:
    return f"{{'field': {_lit(field_)}, 'reason': {reason_sql}}}"


def _column_problem(col: Column) -> str:
    x, v = _q(col.name), _q("v_" + col.name)
    shown = f"'''' || left({x}, 40) || ''''"
    parts = [f"WHEN {x} IS NULL THEN "
             + (_problem(col.name, "'required value missing'") if col.required else "NULL")]
    if col.type == "text":
        if col.max_length:
            parts.append(f"WHEN length({x}) > {col.max_length} THEN "
                         + _problem(col.name, _lit(f"longer than {col.max_length} characters")))
    else:
        parts.append(f"WHEN {v} IS NULL THEN "
                     + _problem(col.name, f"{_lit(_expected(col) + ': ')} || {shown}"))
    if col.type in ("int", "decimal"):
        if col.min is not None:
            parts.append(f"WHEN {v} < {col.min} THEN "
                         + _problem(col.name, f"'below the minimum {col.min:g}: ' || {shown}"))
        if col.max is not None:
            parts.append(f"WHEN {v} > {col.max} THEN "
                         + _problem(col.name, f"'above the maximum {col.max:g}: ' || {shown}"))
    if col.type in ("date", "datetime"):
        parts.append(f"WHEN {v} < DATE '{EARLIEST}' THEN "
                     + _problem(col.name, f"'before {EARLIEST}: ' || {shown}"))
        if not col.future_ok:
            parts.append(f"WHEN {v} > current_date + INTERVAL 1 DAY THEN "
                         + _problem(col.name, f"'in the future: ' || {shown}"))
    return "CASE " + " ".join(parts) + " END"


def _validate(con: duckdb.DuckDBPyConnection, c: Contract) -> None:
    typed = [f"{_typed(col)} AS {_q('v_' + col.name)}" for col in c.stored]
    dup_join = ""
    if c.unique:
        # Duplicates within a file, found by a GROUP BY over the file and key columns alone (a
        # narrow scan), kept only for keys seen more than once; far cheaper than a window over
        # every row.
        cols = {col.name: col for col in c.stored}
        key_exprs = [f"{_typed(cols[k])} AS k{j}" for j, k in enumerate(c.unique)]
        groups = ", ".join(f"k{j}" for j in range(len(c.unique)))
        con.execute(
            f"CREATE TEMP TABLE hub_dups AS SELECT file_id, {groups}, min(row_number) AS __first "
            f"FROM (SELECT file_id, row_number, {', '.join(key_exprs)} FROM hub_stg) "
            f"GROUP BY ALL HAVING count(*) > 1"
        )
        on = " AND ".join(["d.file_id = t.file_id",
                           *(f"d.k{j} = t.{_q('v_' + k)}" for j, k in enumerate(c.unique))])
        dup_join = f"LEFT JOIN hub_dups d ON {on}"
    problems = [_column_problem(col) for col in c.stored]
    for ident in c.identifiers:
        pid, prob = _q(ident.name), _q(ident.name + "__problem")
        label = ident.columns[0] if len(ident.columns) == 1 else "+".join(ident.columns)
        missing = (_problem(label, "'required value missing'") if ident.required else "NULL")
        problems.append(f"CASE WHEN {prob} IS NOT NULL THEN {_problem(label, prob)} "
                        f"WHEN {pid} IS NULL THEN {missing} END")
    if c.unique:
        nonnull = " AND ".join(f"{_q('v_' + k)} IS NOT NULL" for k in c.unique)
        problems.append(f"CASE WHEN {nonnull} AND __first IS NOT NULL "
                        f"AND __first <> row_number THEN "
                        + _problem(c.unique[0], "'duplicate of row ' || __first") + " END")
    for chk in c.checks:
        problems.append(f"CASE WHEN {chk.bad} THEN {_problem(chk.field, _lit(chk.reason))} END")
    once = ""
    if c.once is not None:
        v, bad = _q("v_" + c.once.column), _problem(c.once.column, _lit(c.once.reason))
        # Stored before this batch...
        problems.append(f"CASE WHEN {v} IN ({c.once.stored}) THEN {bad} END")
        # ... or loaded by an earlier file of the batch: the first file (in file order) with a
        # valid row for the key loads it; the same key in any later file is rejected. (The
        # first valid row is valid whatever comes after it, so this is exactly the outcome of
        # importing the files one by one.) The window carries every column, so it is added
        # only when a narrow scan finds a key in more than one file of the batch.
        key = _typed(c.column(c.once.column))
        repeated = con.execute(
            f"SELECT count(*) FROM (SELECT {key} AS k FROM hub_stg GROUP BY k "
            f"HAVING k IS NOT NULL AND count(DISTINCT file_id) > 1)").fetchone()[0]
        if repeated:
            once = (f", once AS (SELECT * REPLACE (CASE WHEN {v} IS NOT NULL AND "
                    f"min(file_id) FILTER (WHERE len(problems) = 0) OVER (PARTITION BY {v}) "
                    f"< file_id THEN list_append(problems, {bad}) ELSE problems END AS problems) "
                    f"FROM checked)")
    flags = [f"CASE WHEN {fl.when} THEN {_lit(fl.name)} END" for fl in c.flags]
    flag_sql = (f"list_filter([{', '.join(flags)}], x -> x IS NOT NULL)" if flags
                else "[]::VARCHAR[]")
    # Kept per row: typed values, pseudonyms, problems, flags; the staged text only for
    # rejected rows (as the JSON stored in rejects.raw).
    raw_cols = [col.name for col in c.stored] + [i.name for i in c.identifiers]
    raw = "json_object(" + ", ".join(f"{_lit(n)}, {_q(n)}" for n in raw_cols) + ")"
    keep = ", ".join(["file_id", "row_number", *(_q("v_" + col.name) for col in c.stored),
                      *(_q(i.name) for i in c.identifiers), "problems", "flags"])
    con.execute(
        f"""CREATE TEMP TABLE hub_chk AS
            WITH typed AS (SELECT s.*, {', '.join(typed)} FROM hub_stg s),
            typed2 AS (SELECT t.*{', d.__first' if c.unique else ''} FROM typed t {dup_join}),
            checked AS (
                SELECT *, list_filter([{', '.join(problems)}], x -> x IS NOT NULL) AS problems,
                       {flag_sql} AS flags
                FROM typed2){once}
            SELECT {keep}, CASE WHEN len(problems) > 0 THEN {raw} END AS __raw
            FROM {'once' if once else 'checked'}"""
    )
    con.execute("CREATE TEMP VIEW hub_ok AS SELECT * FROM hub_chk WHERE len(problems) = 0")


def _write_rejects(con: duckdb.DuckDBPyConnection, c: Contract, import_id: int) -> None:
    """Every rejected row of the batch, file by file: failed checks, then structural faults."""
    con.execute(
        """INSERT INTO rejects
           SELECT ?, file_id, ?, ?, row_number, field, reason, raw FROM (
               SELECT file_id, row_number, problems[1].field AS field,
                      array_to_string(list_transform(problems, p -> p.field || ': ' || p.reason),
                                      '; ') AS reason,
                      __raw AS raw, 0 AS part
               FROM hub_chk WHERE len(problems) > 0
               UNION ALL
               SELECT file_id, row_number, NULL, reason, NULL, 1 FROM hub_bad)
           ORDER BY file_id, part, row_number""",
        [import_id, c.source, c.kind],
    )


# ---------------------------------------------------------------------------- loader helpers
def project_bng(con: duckdb.DuckDBPyConnection, lon: str = "v_longitude",
                lat: str = "v_latitude") -> None:
    """Temp table hub_xy(file_id, row_number, easting, northing) for valid rows with lon/lat."""
    _project(con, lon, lat, ("easting", "northing"), to_bng)


def project_lonlat(con: duckdb.DuckDBPyConnection, e: str = "v_easting",
                   n: str = "v_northing") -> None:
    """Temp table hub_xy(file_id, row_number, longitude, latitude) for valid rows with
    easting/northing."""
    _project(con, e, n, ("longitude", "latitude"), to_lonlat)


def _project(con: duckdb.DuckDBPyConnection, a: str, b: str, out: tuple[str, str],
             fn: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]) -> None:
    # pyproj on NumPy arrays in batches: vectorised, and a fraction of a per-row UDF's cost.
    reader = con.execute(
        f"SELECT file_id, row_number, {_q(a)} AS a, {_q(b)} AS b FROM hub_ok "
        f"WHERE {_q(a)} IS NOT NULL AND {_q(b)} IS NOT NULL"
    ).to_arrow_reader(1_000_000)
    batches = []
    schema = pa.schema([("file_id", pa.int64()), ("row_number", pa.int64()),
                        (out[0], pa.float64()), (out[1], pa.float64())])
    for batch in reader:
        x, y = fn(batch.column(2).to_numpy(zero_copy_only=False),
                  batch.column(3).to_numpy(zero_copy_only=False))
        batches.append(pa.record_batch([batch.column(0), batch.column(1), pa.array(x),
                                        pa.array(y)], schema=schema))
    table = pa.Table.from_batches(batches, schema=schema)
    con.register("hub_xy_arrow", table)
    try:
        con.execute("CREATE TEMP TABLE hub_xy AS SELECT * FROM hub_xy_arrow")
    finally:
        con.unregister("hub_xy_arrow")


def inserted(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    """Run an INSERT and return the number of rows it stored."""
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row else 0


GB_LONLAT_CHECKS = (
    Check("longitude", "(v_longitude IS NULL) <> (v_latitude IS NULL)",
          "longitude and latitude must be given together"),
    Check("longitude",
          "v_longitude NOT BETWEEN -8.75 AND 1.85 OR v_latitude NOT BETWEEN 49.8 AND 60.95",
          "location outside Great Britain (longitude -8.75..1.85, latitude 49.8..60.95)"),
)
