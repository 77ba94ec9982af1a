"""The engine's streaming fast path: two passes of DuckDB's CSV reader over a batch's files.

For open data with no identifiers to pseudonymise (data.police.uk), the engine hands each batch
to this hook instead of its chunked staging (``Source.streaming``); planning, skips, file ids,
batches, resubmissions, provenance, the read = loaded + rejected check and the import log stay
the engine's. What the hook does with a batch, from the contract alone:

1. validate (pass 1): DuckDB's CSV reader reads the batch's files together (all text, WITH
   ORDINALITY for row numbers), or Python's csv module reads a file with structural faults
   (ragged rows, bad quoting, bad UTF-8) so that every bad row is kept with its number. Every
   row is checked against the contract's ``checks`` (SQL over the columns' text by name,
   ``"Crime ID"``); a row failing any goes to ``rejects`` with the first failed rule's field and
   every reason; only the coordinates of the good rows are kept;
2. project the good rows' lon/lat to the British National Grid (pyproj on NumPy arrays);
3. load (pass 2): the files are read again, joined to pass 1's good rows, as the view
   ``hub_ok`` the contract's loader inserts from (as in the chunked path): ``file_id``,
   ``row_number``, ``v_<column>`` (the validated text: the loader casts), ``flags`` (the
   contract's flags), ``easting``/``northing`` and the file's ``file_month``/``file_force``.

Nothing row-sized is materialised but the narrow pass-1 table, so memory stays flat however
large the files. In this path the checks are the rules: a column's type documents its values.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from vru.geo.bng import to_bng
from vru.sources.contract.model import Contract, LoadContext
from vru.sources.contract.planning import Planned
from vru.sources.contract.sql import lit, q, reason_sql, write_rejects


@functools.cache
def _projector() -> ThreadPoolExecutor:
    """One worker thread for pyproj. Its transformer (~0.15 s to build, one per thread) is built
    while DuckDB reads the files (DuckDB releases the GIL), not after."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vru-bng")
    pool.submit(to_bng, [0.0], [52.0])
    return pool


class _Columns:
    """The batch's columns as SQL over the staged text (c0..cN)."""

    def __init__(self, c: Contract, header: list[str]) -> None:
        self.header = header
        self.sql = {}
        for col in c.columns:
            if col.name not in header:
                continue
            x = f"c{header.index(col.name)}"
            # A trimmed column is trimmed only where a value starts or ends with a space: LIKE
            # is ~5x cheaper than trim(), and DuckDB's reader already reads "" as NULL.
            self.sql[col.name] = (x if not col.trim else
                                  f"CASE WHEN {x} LIKE ' %' OR {x} LIKE '% ' "
                                  f"THEN nullif(trim({x}), '') ELSE {x} END")

    def __call__(self, expr: str) -> str:
        """``expr`` with every ``"<column>"`` replaced by that column's SQL."""
        for name, sql in self.sql.items():
            expr = expr.replace(q(name), sql)
        return expr

    def raw_json(self) -> str:
        pairs = ", ".join(f"{lit(h)}: c{i}" for i, h in enumerate(self.header))
        return f"to_json({{{pairs}}})" if self.header else "NULL"


@dataclass(frozen=True)
class TwoPassCsv:
    """The streaming hook (``vru.sources.contract.model.Streaming``) for CSV files whose rows
    carry WGS84 coordinates in the columns ``lon`` and ``lat``."""

    lon: str = "Longitude"
    lat: str = "Latitude"

    def prepare(self) -> None:
        _projector()

    def load_batch(self, ws: Any, con: duckdb.DuckDBPyConnection, batch: list[tuple[Planned, int]],
                   import_id: int) -> dict[int, tuple[int, int, int, int]]:
        c, header = batch[0][0].contract, batch[0][0].header
        cols = _Columns(c, header)
        file_ids = [fid for _, fid in batch]
        tmp_dir = ws.path / "tmp"
        tmp_dir.mkdir(exist_ok=True)
        for t in ("scan", "good", "stg_bad"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        con.execute("CREATE TEMP TABLE scan (fid BIGINT, o BIGINT, bad BOOLEAN, "
                    "problems STRUCT(field VARCHAR, reason VARCHAR)[], raw JSON, lon DOUBLE, "
                    "lat DOUBLE)")
        con.execute("CREATE TEMP TABLE stg_bad (fid BIGINT, ord BIGINT, reason VARCHAR, raw JSON)")
        read: dict[int, int] = {}  # rows read per file (structurally faulty rows added below)
        with ExitStack() as stack:
            locals_ = [stack.enter_context(p.f.local_path(tmp_dir)) for p, _ in batch]
            con.register("fid_map", pa.table({
                "filename": [str(x) for x in locals_],
                "fid": pa.array(file_ids, type=pa.int64()),
                "file_month": pa.array([p.month for p, _ in batch], type=pa.date32()),
                "file_force": pa.array([p.force_slug for p, _ in batch], type=pa.string()),
            }))
            stack.callback(con.unregister, "fid_map")
            clean = [str(x) for x in locals_]
            self._scan(con, c, cols, _csv_source(header, clean))
            redo = _bad_files(con)
            if redo:
                # Faulty files are read by Python. The others are scanned again without them,
                # so that pass 2 numbers their rows exactly as pass 1 did.
                con.execute("DELETE FROM scan")
                clean = [str(x) for x, fid in zip(locals_, file_ids, strict=True)
                         if fid not in redo]
                if clean:
                    self._scan(con, c, cols, _csv_source(header, clean))
                    if _bad_files(con):
                        raise RuntimeError("a file changed while it was being imported")
            if clean:
                read |= self._load_good(ws, con, c, cols, _csv_source(header, clean), import_id)
            for p, fid in batch:
                if fid not in redo:
                    continue
                con.execute("DELETE FROM scan")
                con.register("stg_arrow", _parse_python(con, p, fid, len(header)))
                try:
                    self._scan(con, c, cols, _arrow_source(header))
                    read |= self._load_good(ws, con, c, cols, _arrow_source(header), import_id)
                finally:
                    con.unregister("stg_arrow")
            write_rejects(con, c, import_id, checked=None,
                          broken="SELECT fid AS file_id, ord AS row_number, NULL::VARCHAR AS field, "
                                 "reason, raw FROM stg_bad")
        table = c.retention[0].table
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
        con.execute("DROP VIEW IF EXISTS hub_ok")
        for t in ("scan", "good", "stg_bad", "off"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        return {fid: (r[0], r[1], r[2], r[3]) for fid, r in counts.items()}

    def _scan(self, con: duckdb.DuckDBPyConnection, c: Contract, cols: _Columns, src: str) -> None:
        """Pass 1: validate every row; append to temp table ``scan`` (fid, o, bad, problems,
        raw, lon, lat). The problem list and the raw row are built only for rejected rows (a
        CASE evaluates its branch only where it applies); good rows keep just their
        coordinates."""
        bad = " OR ".join(f"({cols(chk.bad)}) IS TRUE" for chk in c.checks)
        problems = ", ".join(
            f"CASE WHEN {cols(chk.bad)} THEN {{'field': {lit(chk.field)}, "
            f"'reason': {cols(reason_sql(chk))}}} END"
            for chk in c.checks
        )
        lon, lat = cols(q(self.lon)), cols(q(self.lat))
        con.execute(
            f"""INSERT INTO scan
                SELECT fid, o, bad,
                       CASE WHEN bad THEN list_filter([{problems}], x -> x IS NOT NULL) END,
                       CASE WHEN bad THEN {cols.raw_json()} END,
                       CASE WHEN NOT bad THEN CAST({lon} AS DOUBLE) END,
                       CASE WHEN NOT bad THEN CAST({lat} AS DOUBLE) END
                FROM (SELECT *, {bad or 'false'} AS bad FROM {src})"""
        )

    def _load_good(self, ws: Any, con: duckdb.DuckDBPyConnection, c: Contract, cols: _Columns,
                   src: str, import_id: int) -> dict[int, int]:
        """Rejects from ``scan``; BNG for the good rows; pass 2 through the contract's loader.
        Returns the rows pass 1 read per file."""
        con.execute("CREATE OR REPLACE TEMP TABLE off AS "
                    "SELECT fid, min(o) - 1 AS o0, count(*) AS n FROM scan GROUP BY fid")
        write_rejects(con, c, import_id, broken=None,
                      checked="SELECT fid AS file_id, o - o0 AS row_number, problems, raw AS __raw "
                              "FROM scan JOIN off USING (fid) WHERE bad")
        arrs = con.execute(
            "SELECT fid, o, o - o0 AS row_number, coalesce(lon, 'NaN') AS lon, "
            "coalesce(lat, 'NaN') AS lat FROM scan JOIN off USING (fid) WHERE NOT bad"
        ).fetchnumpy()
        lon = np.asarray(arrs["lon"], dtype="float64")  # NaN: no coordinates (NULL again below)
        lat = np.asarray(arrs["lat"], dtype="float64")
        e, n = (_projector().submit(to_bng, lon, lat).result() if len(lon)
                else (np.array([]), np.array([])))
        con.register("good_arrow", pa.table({
            "fid": np.asarray(arrs["fid"], dtype="int64"), "o": np.asarray(arrs["o"], dtype="int64"),
            "row_number": np.asarray(arrs["row_number"], dtype="int64"),
            "lon": pa.array(lon, from_pandas=True), "e": pa.array(e, from_pandas=True),
            "n": pa.array(n, from_pandas=True),
        }))
        try:
            # A native temp table (not a scan of the Arrow object) lets DuckDB hash-join in
            # parallel.
            con.execute("CREATE OR REPLACE TEMP TABLE good AS SELECT * FROM good_arrow")
        finally:
            con.unregister("good_arrow")
        flags = ", ".join(f"CASE WHEN {cols(fl.when)} THEN {lit(fl.name)} END" for fl in c.flags)
        values = ", ".join(f"{sql} AS {q('v_' + name)}" for name, sql in cols.sql.items())
        # The guard: pass 2 must meet exactly the rows pass 1 validated (same file, same
        # number, same longitude), or the import stops.
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW hub_ok AS
                SELECT s.fid AS file_id, b.row_number, s.file_month, s.file_force,
                       b.e AS easting, b.n AS northing, {values},
                       list_filter([{flags}]::VARCHAR[], x -> x IS NOT NULL) AS flags
                FROM {src} s JOIN good b ON b.fid = s.fid AND b.o = s.o
                WHERE CASE WHEN b.lon IS NOT DISTINCT FROM CAST({cols(q(self.lon))} AS DOUBLE)
                      THEN true ELSE error({lit(c.source + ' import: the second pass met a different row')}) END""")
        n_ok = len(lon)
        stored = c.load(LoadContext(con, import_id, ws.settings, None))
        if stored != n_ok:
            raise RuntimeError(f"{c.source}/{c.kind} loader stored {stored} of {n_ok} valid rows")
        return dict(con.execute("SELECT fid, n FROM off").fetchall())


def _csv_source(header: list[str], files: list[str]) -> str:
    """The rows of the files as c0..cN, fid, file_month, file_force and o (DuckDB's ordinality:
    rows are numbered across the scan in file order, so a file's row number is ``o - o0`` with
    ``o0`` its first ordinality minus one; checked per file, not assumed).

    Structural faults never abort the scan (that would abort the transaction): DuckDB records
    them in stg_rej, and those files are re-read by Python's csv module."""
    names = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    cols = ", ".join(f"r.c{i}" for i in range(len(header)))
    paths = ", ".join(lit(f) for f in files)
    return f"""(SELECT {cols}, m.fid, m.file_month, m.file_force, r.ordinality AS o
        FROM read_csv([{paths}], header = true, auto_detect = false, delim = ',',
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


def _parse_python(con: duckdb.DuckDBPyConnection, p: Planned, fid: int, width: int) -> pa.Table:
    """Slow path for one file with structural faults: Python's csv module, row by row.

    Good rows are returned as an Arrow table (c0..cN, fid, o); faulty rows go to stg_bad.
    """
    good: list[list[str | None]] = [[] for _ in range(width)]
    ords: list[int] = []
    bad: list[tuple[int, int, str, str]] = []
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
    return json.dumps(values, ensure_ascii=False)
