"""Reading partner files as rows of text: DuckDB's CSV reader where it parses cleanly, Python's
csv module for files with structural faults, openpyxl for Excel, and source-specific forms.

Rows that still hold raw identifiers are only ever in memory (Arrow tables), never in a temp
file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from typing import Any

import duckdb
import pyarrow as pa

from vru.sources.contract.model import Contract, Source
from vru.sources.contract.planning import Planned, open_xlsx
from vru.sources.contract.sql import lit
from vru.sources.files import InputFile, has_glob_chars


def batch_relation(con: duckdb.DuckDBPyConnection, probe: duckdb.DuckDBPyConnection,
                    source: Source, batch: list[tuple[Planned, int]],
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
                rows = iter_csv_python(p.f, n, con, fid)
            elif p.form == "xlsx":
                rows = iter_xlsx(p.f, p.contract, p.header)
            else:
                _kind, reader = source.extra_readers[p.form]
                _header, rows = reader(p.f, p.contract)
            tables.append(_to_arrow(rows, n, fid))
        con.register("hub_src", pa.concat_tables(tables))
        registered.append("hub_src")
        parts.append(f"SELECT file_id, row_number, {cs} FROM hub_src")
    return "(" + " UNION ALL ".join(parts) + ")"


def _csv_scan(files: list[tuple[Planned, int]], n: int, offsets: dict[int, int]) -> str:
    """DuckDB's CSV reader over the files: c0..cN, file_id, row_number = the scan's ordinality
    less the file's offset (the rows of the files before it in the scan)."""
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n))
    opts = (f"header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
            f"columns = {{{cols}}}, strict_mode = true, null_padding = false")
    if len(files) == 1:
        (p, fid), = files
        return (f"(SELECT *, {fid} AS file_id, ordinality - {offsets.get(fid, 0)} AS row_number "
                f"FROM read_csv({lit(str(p.f.path))}, {opts}) WITH ORDINALITY)")
    paths = ", ".join(lit(str(p.f.path)) for p, _ in files)
    fid_of = " ".join(f"WHEN {lit(str(p.f.path))} THEN {fid}" for p, fid in files)
    off_of = " ".join(f"WHEN {fid} THEN {offsets.get(fid, 0)}" for _, fid in files)
    return (f"(SELECT *, ordinality - CASE file_id {off_of} END AS row_number FROM "
            f"(SELECT *, CASE filename {fid_of} END AS file_id "
            f"FROM read_csv([{paths}], {opts}, filename = true) WITH ORDINALITY))")


def _probe_csv(probe: duckdb.DuckDBPyConnection, files: list[tuple[Planned, int]], n: int
               ) -> tuple[list[tuple[Planned, int]], dict[int, int]]:
    """The files DuckDB's CSV reader parses cleanly, numbering each file's rows contiguously,
    and each one's offset in a scan of them all.

    One cheap pass over all files first; if it fails, each file on its own, then the clean ones
    together again. The probes run on a separate cursor: a parse error must not abort the
    import's transaction."""

    def run(group: list[tuple[Planned, int]]) -> dict[int, int] | None:
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


def iter_csv_python(f: InputFile, width: int, con: duckdb.DuckDBPyConnection, file_id: int
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


def iter_xlsx(f: InputFile, c: Contract, header: list[str]) -> Iterator[tuple[int, list[Any]]]:
    types = [c.column(h).type for h in header]
    wb = open_xlsx(f)
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

