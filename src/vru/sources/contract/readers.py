"""Reading partner files as rows of text, in chunks of bounded size.

DuckDB's CSV reader reads plain UTF-8 CSV files on disk (fast, parallel) once a probe has proved
that each parses cleanly; everything else is read in Python: CSV with structural faults or in
another encoding, delimiter or line ending, Excel (``excel``), and source-specific forms.

Rows are handed to the engine as *chunks* of at most ``chunk_rows`` rows: a batch of small
files is one chunk (one DuckDB scan), a big file is streamed chunk by chunk (DuckDB's streaming
result, or the Python reader's rows gathered into Arrow tables), so memory does not grow with
file size. Rows that still hold raw identifiers are only ever in memory (Arrow tables), never in
a temp file.

Structurally bad rows are returned with the chunk as (file_id, row_number, field, reason), with
nothing of their content. The Python CSV reader *resynchronises* after a malformed quote: a
record that swallows following lines (an unclosed quote) and so does not parse into the
expected columns is rejected as the one line where it starts, and reading resumes at the next
line, so every following record keeps its true row number.
"""

from __future__ import annotations

import csv
import functools
import io
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vru.sources import textfiles
from vru.sources.contract import excel
from vru.sources.contract.model import Source
from vru.sources.contract.planning import Planned
from vru.sources.contract.sql import ARROW_BATCH, lit, unique_keys
from vru.sources.files import ImportRefused

excel_text = excel.excel_text  # re-exported (older imports)

BadRow = tuple[int, int, str | None, str]  # (file_id, row_number, field, reason)
Row = tuple[int, list[Any] | None, str | None, str | None]  # (row_number, values, field, reason)

# Python's csv module refuses fields over 128 KB; a partner's free text can be longer (it is then
# rejected by the contract's max_length, naming the field, not as an unreadable row).
csv.field_size_limit(64 << 20)

# A batch whose DuckDB-readable files hold more than this is streamed in chunks.
STREAM_BYTES = 64 << 20
XLSX_EXPANSION = 8   # an .xlsx is compressed: its text is several times its size


@dataclass
class Chunk:
    """Some of a batch's rows: ``sql`` selects file_id, row_number, c0..cN. Rows held in memory
    are ``table``, which ``sql`` reads as ``hub_src`` (the engine binds that name to it for
    DuckDB's replacement scan while the chunk is processed; see ``engine._import_chunk``)."""

    sql: str
    bad: list[BadRow] = field(default_factory=list)
    table: pa.Table | None = None
    # The contract's duplicated unique keys in the chunk's whole files (file_id, k0..kN,
    # __first), when they were found before the first chunk was read (files DuckDB reads).
    dups: pa.Table | None = None


def batch_chunks(probe: duckdb.DuckDBPyConnection, source: Source,
                 batch: list[tuple[Planned, int]], chunk_rows: int
                 ) -> tuple[bool, Iterator[Chunk]]:
    """The batch's rows as chunks, and whether there may be more than one (decided before the
    first is read, so that no chunk is ever read ahead). Files DuckDB can read come first (one
    scan, or streamed), then the others, file by file, gathered into chunks of ``chunk_rows``
    rows. A batch of small files is one chunk."""
    n = len(batch[0][0].header)
    cs = ", ".join(f"c{i}" for i in range(n))
    on_disk = [(p, fid) for p, fid in batch if p.fast]
    c = batch[0][0].contract
    keys = functools.partial(unique_keys, c, batch[0][0].header) if c.unique else None
    fast, offsets, total, dups = _probe_csv(probe, on_disk, n, keys, len(c.unique))
    slow = [(p, fid) for p, fid in batch if fid not in offsets]
    scan = f"SELECT file_id, row_number, {cs} FROM {_csv_scan(fast, n, offsets)}" if fast else ""
    stream = bool(fast) and (total > chunk_rows or sum(p.size for p, _ in fast) > STREAM_BYTES)
    # The Python reader's rows are counted as they come: a batch that could hold more than one
    # chunk's rows (by bytes: no row is shorter than a delimiter per column) is chunked.
    slow_bytes = sum(p.size * (XLSX_EXPANSION if p.form == "xlsx" else 1) for p, _ in slow)
    many = slow_bytes > chunk_rows * n or slow_bytes > STREAM_BYTES
    if not stream and not many:
        if not slow:
            return False, iter([Chunk(f"({scan})")])
        # A batch of small files: the files DuckDB reads and the others in one chunk.
        first = next(_python_chunks(source, slow, n, chunk_rows))
        sql = f"({scan} UNION ALL {first.sql[1:-1]})" if scan else first.sql
        return False, iter([Chunk(sql, first.bad, first.table)])

    def chunks() -> Iterator[Chunk]:
        if stream:
            yield from _stream(probe, scan, chunk_rows, dups)
        elif scan:
            yield Chunk(f"({scan})", dups=dups)
        if slow:
            yield from _python_chunks(source, slow, n, chunk_rows)

    return True, chunks()


def _stream(probe: duckdb.DuckDBPyConnection, scan: str, chunk_rows: int,
            dups: pa.Table | None) -> Iterator[Chunk]:
    try:
        reader = probe.execute(scan).to_arrow_reader(min(ARROW_BATCH, chunk_rows))
        for rb in _read_ahead(_batches(reader, chunk_rows)):
            yield Chunk("(SELECT * FROM hub_src)", table=rb, dups=dups)
            del rb   # loaded: not kept while the chunk after next is read
    except duckdb.Error as exc:
        # DuckDB's message may quote the offending line (identifiers): never pass it on.
        raise ImportRefused(f"a file changed or could not be read while it was imported "
                            f"({type(exc).__name__})") from None


def _read_ahead(tables: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """The tables, each next one read by a worker thread while the caller processes this one:
    DuckDB's CSV parse (which releases the GIL) overlaps the chunk's validation and loading
    instead of waiting for it. At most two chunks are in memory: the one being processed and
    the one being read. A read still in flight when the caller stops is waited for (the
    reader's cursor must outlive it)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vru-read") as pool:
        ahead = pool.submit(next, tables, None)
        try:
            while (table := ahead.result()) is not None:
                ahead = pool.submit(next, tables, None)
                yield table
                del table
        finally:
            wait([ahead])


def _batches(reader: pa.RecordBatchReader, chunk_rows: int) -> Iterator[pa.Table]:
    pending: list[pa.RecordBatch] = []
    rows = 0
    for rb in reader:
        pending.append(rb)
        rows += rb.num_rows
        if rows >= chunk_rows:
            yield pa.Table.from_batches(pending)
            pending, rows = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


def _python_chunks(source: Source, files: list[tuple[Planned, int]], n: int, chunk_rows: int
                   ) -> Iterator[Chunk]:
    cols: list[list[str | None]] = [[] for _ in range(n)]
    fids: list[int] = []
    nums: list[int] = []
    bad: list[BadRow] = []
    count = 0

    def flush() -> Chunk:
        table = pa.table({**{f"c{j}": pa.array(cols[j], type=pa.string()) for j in range(n)},
                          "file_id": pa.array(fids, type=pa.int64()),
                          "row_number": pa.array(nums, type=pa.int64())})
        return Chunk(f"(SELECT file_id, row_number, {', '.join(f'c{j}' for j in range(n))} "
                     f"FROM hub_src)", list(bad), table)

    chunks = 0
    for p, fid in files:
        for num, values, fld, reason in rows_of(source, p):
            if values is None:
                bad.append((fid, num, fld, reason or "unreadable row"))
            else:
                for j in range(n):
                    v = values[j] if j < len(values) else None
                    cols[j].append(None if v is None else str(v))
                fids.append(fid)
                nums.append(num)
                count += 1
            if count >= chunk_rows:
                yield flush()
                chunks += 1
                cols = [[] for _ in range(n)]
                fids, nums, bad, count = [], [], [], 0
    if count or bad or chunks == 0:
        yield flush()


def rows_of(source: Source, p: Planned) -> Iterable[Row]:
    if p.form == "csv":
        return iter_csv_python(p, 0)
    if p.form == "xlsx":
        assert p.sheet is not None
        return excel.iter_rows(p.f, p.sheet, [_type(p, h) for h in p.header], p.header)
    _kind, reader = source.extra_readers[p.form]
    _header, rows = reader(p.f, p.contract)
    return ((num, values, None, None) for num, values in rows)


def _type(p: Planned, name: str) -> str:
    return p.contract.column(name).type if name else "text"


def _csv_scan(files: list[tuple[Planned, int]], n: int, offsets: dict[int, int]) -> str:
    """DuckDB's CSV reader over the files: c0..cN, file_id, row_number = the scan's ordinality
    less the file's offset (the rows of the files before it in the scan)."""
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n))
    delim = files[0][0].delimiter
    opts = (f"header = true, auto_detect = false, delim = {lit(delim)}, quote = '\"', "
            f"escape = '\"', columns = {{{cols}}}, strict_mode = true, null_padding = false")
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


def _probe_csv(probe: duckdb.DuckDBPyConnection, files: list[tuple[Planned, int]], n: int,
               keys: Callable[[str], str | None] | None = None, width: int = 0
               ) -> tuple[list[tuple[Planned, int]], dict[int, int], int, pa.Table | None]:
    """The files DuckDB's CSV reader parses cleanly, numbering each file's rows contiguously,
    each one's offset in a scan of them all, their rows in all, and (``keys``: the contract's
    unique key over a scan, ``sql.unique_keys``) the keys found more than once in a file with
    the first row of each (file_id, k0..kN, __first).

    The duplicates are found in the same pass (one parse of the files, two groupings): a
    streamed file's chunks then need no record of the keys of the chunks before them (which
    each chunk had to join in full, so that time grew with the square of the file's size).

    One cheap pass over all files first; if it fails, each file on its own, then the clean ones
    together again. The probes run on a separate cursor: a parse error must not abort the
    import's transaction. Files of one batch share a delimiter (it is part of the batch key)."""

    counted: dict[int, int] = {}   # rows per file, from the last probe that passed
    found_dups: list[pa.Table | None] = [None]

    def run(group: list[tuple[Planned, int]]) -> dict[int, int] | None:
        scan = _csv_scan(group, n, {})
        key_sql = keys(scan) if keys is not None else None
        try:
            if key_sql is None:
                found = probe.execute(
                    "SELECT file_id, count(*), min(row_number), max(row_number) "
                    f"FROM {scan} GROUP BY ALL").fetchall()
                dups = None
            else:
                ks = ", ".join(f"k{j}" for j in range(width))
                res = probe.execute(
                    f"SELECT file_id, {ks}, count(*) AS n, min(row_number) AS __first, "
                    f"max(row_number) AS hi, grouping({ks}) > 0 AS per_file FROM {key_sql} "
                    f"GROUP BY GROUPING SETS ((file_id), (file_id, {ks})) "
                    f"HAVING grouping({ks}) > 0 OR count(*) > 1").to_arrow_table()
                per_file = res.column("per_file")
                totals = res.filter(per_file)
                found = list(zip(*(totals.column(x).to_pylist()
                                   for x in ("file_id", "n", "__first", "hi")), strict=True))
                dups = res.filter(pc.invert(per_file)).select(["file_id", *ks.split(", "), "__first"])
                del res
        except duckdb.Error:
            # DuckDB's message quotes the offending line (it may hold identifiers): drop it.
            return None
        fids = {fid for _, fid in group}
        if any(fid not in fids or cnt != hi - lo + 1 for fid, cnt, lo, hi in found):
            return None
        offsets = {fid: lo - 1 for fid, _, lo, _ in found}
        if len(group) == 1 and offsets.get(group[0][1], 0) != 0:
            return None
        counted.clear()
        counted.update({fid: cnt for fid, cnt, _, _ in found})
        if dups is not None and dups.num_rows and any(offsets.values()):
            # The scan numbered rows across its files: a key's first row within its file.
            shift = np.array([offsets.get(f, 0) for f in dups.column("file_id").to_pylist()])
            first = dups.column("__first").to_numpy() - shift
            dups = dups.set_column(dups.num_columns - 1, "__first", pa.array(first))
        found_dups[0] = dups
        return {fid: offsets.get(fid, 0) for fid in fids}

    if not files:
        return [], {}, 0, None
    offsets = run(files)
    if offsets is not None:
        return files, offsets, sum(counted.values()), found_dups[0]
    if len(files) == 1:
        return [], {}, 0, None
    clean = [f for f in files if run([f]) is not None]
    offsets = run(clean) if clean else None
    if offsets is None:
        return [], {}, 0, None
    return clean, offsets, sum(counted.values()), found_dups[0]


class _Lines:
    """Physical lines of a text stream (line ends kept), with push-back."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self._it = iter(stream)
        self._back: deque[str] = deque()
        self.taken: list[str] = []
        self.line = 0   # physical lines handed out so far

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._back.popleft() if self._back else next(self._it)
        self.taken.append(line)
        self.line += 1
        return line

    def push_back(self, lines: list[str]) -> None:
        self._back.extendleft(reversed(lines))
        self.line -= len(lines)


def iter_csv_python(p: Planned, file_id: int) -> Iterator[Row]:
    """Row by row with Python's csv module, streaming, in the file's encoding and delimiter.

    Yields (row number, values, field, reason); values is None for a bad row (reason says why,
    never what it held). A blank line is not a row. A record that spans lines and does not give
    the expected columns is an unclosed quote: its first line is rejected and reading resumes at
    the next line."""
    width = len(p.header)
    enc = p.encoding or "utf-8"
    label = textfiles.describe(enc)
    try:
        fh = p.f.open_binary()
    except OSError as exc:
        raise ImportRefused(f"{p.f.display}: cannot be read ({type(exc).__name__})") from None
    with io.TextIOWrapper(fh, encoding=enc, errors="surrogateescape", newline="") as text:
        lines = _Lines(text)
        reader = csv.reader(lines, delimiter=p.delimiter, strict=True)
        try:
            next(reader)  # the header
        except (StopIteration, csv.Error):
            return
        n = 0
        while True:
            lines.taken = []
            start = lines.line + 1
            try:
                row = next(reader)
                error = None
            except StopIteration:
                break
            except csv.Error:
                row, error = None, "malformed quoting"
            taken = lines.taken
            if row is not None and not row and len(taken) <= 1:
                continue  # a blank line is not a row
            if row is not None and p.trailing and len(row) == width + 1 and row[-1] == "":
                row = row[:-1]
            n += 1
            if row is None or len(row) != width:
                if len(taken) > 1:
                    # The record ran over several lines and does not fit: an unclosed quote.
                    # Only its first line is this row; the next line starts the next row.
                    lines.push_back(taken[1:])
                    yield n, None, None, (f"unclosed or stray quote (line {start} of the file); "
                                          "reading resumed at the next line")
                elif error:
                    yield n, None, None, f"{error} (line {start} of the file)"
                else:
                    yield n, None, None, f"row has {len(row or [])} fields, expected {width}"
                continue
            for i, cell in enumerate(row):
                if any("\udc80" <= ch <= "\udcff" for ch in cell):
                    yield n, None, p.header[i] or None, (f"bytes that are not {label} text "
                                                         f"in this field")
                    break
            else:
                yield n, [c if c != "" else None for c in row], None, None
