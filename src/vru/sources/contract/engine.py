"""The import engine: governance, batches, staging, validation, loading, provenance and
resubmissions, in one transaction per import run (see the package docstring)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from vru.privacy import agreements
from vru.privacy.pseudonymise import Pseudonymiser, PseudonymKeyError, load_key
from vru.sources.contract import loading, readers, sql
from vru.sources.contract.model import Contract, LoadContext, Source
from vru.sources.contract.planning import Planned, plan
from vru.sources.files import ImportFailed, Limits
from vru.sources.provenance import finish_import, start_import, write_import_log
from vru.sources.results import FileResult, ImportSummary, ProgressFn
from vru.workspace import Workspace

BATCH_FILES = 64        # at most this many files are staged and validated together...
BATCH_BYTES = 64 << 20  # ...and about this much content, so that memory stays bounded
XLSX_WEIGHT = 8         # an .xlsx is a ZIP: its cells take several times its size in memory


IMPORT_MEMORY_LIMIT = "256MB"  # DuckDB buffer memory during a partner import (chunks keep it enough)


def import_source(ws: Workspace, source: Source, paths: list[Path | str],
                  progress: ProgressFn | None = None, command: str | None = None,
                  key: bytes | None = None, encoding: str | None = None) -> ImportSummary:
    """Import partner files for one source, atomically. Returns what happened to each file.

    ``encoding`` overrides the detected encoding of every text file of this import."""
    agreement = None if source.open_data else agreements.in_force(ws.reader(), source.name)
    if source.streaming is not None:
        source.streaming.prepare()
    the_plan = (source.planner or plan)(source, paths, Limits.from_settings(ws.settings), encoding)
    planned = the_plan.files
    pseudo: Pseudonymiser | None = None
    maker = None
    if source.needs_key:
        raw_key = key if key is not None else load_key(ws.path)
        pseudo = Pseudonymiser(raw_key)
        if any(c.match_keys for c in source.contracts):
            from vru.privacy.matchkeys import MatchKeyMaker

            maker = MatchKeyMaker(raw_key)
        del raw_key
    results: list[FileResult | None] = [None] * len(planned)
    with ws.memory_limit(source.memory_limit or IMPORT_MEMORY_LIMIT), ws.transaction() as con:
        # DuckDB finds a chunk's Arrow tables as variables of _import_chunk, up the stack of
        # the statement that reads them (a setting of this cursor only).
        con.execute("SET python_scan_all_frames = true")
        if pseudo is not None:
            _check_key(con, pseudo)
        # Any content loaded before is skipped, whatever became of it since (replaced by a
        # later submission, or purged by retention): re-running an import never changes data.
        # Open data: a replaced file's content is skipped only while it is active (importing
        # an earlier issue again makes it the current one).
        active = {
            (r[0], r[1]): r[2] for r in con.execute(
                "SELECT sha256, kind, max(file_id) FROM source_files WHERE source = ? "
                + ("AND status = 'active' " if source.open_data else "")
                + "GROUP BY ALL", [source.name]).fetchall()
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
                results[i] = FileResult(p.f.name, p.contract.kind, "skipped",
                                        encoding=p.encoding, warnings=list(p.warnings))
                continue
            seen.add(k)
            todo.append(i)
        # File ids in file order, whatever batch a file lands in.
        file_ids = {i: ws.next_id(con, "file_seq") for i in todo}
        pkeys: dict[int, str] = {}
        done = len(planned) - len(todo)
        for batch in _batches(planned, todo, source.batch_files or BATCH_FILES,
                              source.batch_bytes or BATCH_BYTES):
            if progress:
                progress(planned[batch[0]].f.name, done, len(planned))
            members = [(planned[i], file_ids[i]) for i in batch]
            try:
                if source.streaming is not None:
                    counts = source.streaming.load_batch(ws, con, members, import_id)
                    loaded = _record_files(con, members, counts, {}, import_id)
                else:
                    loaded = _import_batch(ws, con, source, members, import_id, agreement,
                                           pseudo, progress, done, len(planned), maker)
            except duckdb.Error as exc:
                # DuckDB's messages can quote a row (identifiers): name the files, not the rows.
                names = ", ".join(planned[i].f.display for i in batch)
                raise ImportFailed(f"{names}: the import stopped inside DuckDB "
                                   f"({type(exc).__name__}); nothing was imported") from None
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
        summary = ImportSummary(source.name, import_id, [r for r in results if r is not None],
                                skipped=list(the_plan.skipped))
        finish_import(con, summary)
    if progress:
        progress("", len(planned), len(planned))
    write_import_log(ws, summary)
    return summary


def _batches(planned: list[Planned], todo: list[int], max_files: int, max_bytes: int
             ) -> list[list[int]]:
    """Indices of the files to stage and validate together, in processing order.

    A batch holds files with the same contract and header (so the same columns in the same
    places), at most BATCH_FILES of them and about BATCH_BYTES of content. A contract with a
    ``once`` key is order-dependent (a file's rows are checked against the files before it), so
    its batches are runs of consecutive files, processed in file order.
    """
    groups: dict[tuple[Any, ...], list[int]] = {}
    run = 0
    previous: tuple[str, tuple[str, ...], str] | None = None
    for i in todo:
        p = planned[i]
        same = (p.contract.kind, tuple(p.header), p.delimiter)
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
            if chunk and (len(chunk) >= max_files or volume + weight > max_bytes):
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
    if contract.match_keys is not None:
        sql.drop_linkage_rows(con, contract)
    con.execute("UPDATE source_files SET status = 'replaced' WHERE file_id = ?", [old_id])
    con.execute("INSERT INTO file_replacements VALUES (?, ?, ?, ?, ?)",
                [old_id, new_id, pkey, removed, datetime.now()])



def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW IF EXISTS hub_ok")
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
                  batch: list[tuple[Planned, int]], import_id: int,
                  agreement: agreements.Agreement | None, pseudo: Pseudonymiser | None,
                  progress: ProgressFn | None = None, done: int = 0, total: int = 0,
                  maker=None) -> list[tuple[FileResult, str | None]]:
    """Stage, validate and load files with the same contract and header together, chunk by
    chunk (a big file is streamed in chunks of ``imports.chunk_rows`` rows; each chunk is
    pseudonymised, validated and loaded in memory before the next is read).

    Returns, per file in batch order, its result and its partition key (if any)."""
    c = batch[0][0].contract
    fids = [fid for _, fid in batch]
    # Per file: ok, bad, flagged, broken, rows, min and max row number.
    counts = {fid: [0, 0, 0, 0, 0, None, None] for fid in fids}
    keys: dict[int, set[str | None]] = {fid: set() for fid in fids}
    loaded = n_ok = 0
    probe = ws.reader()
    chunks: Iterator[readers.Chunk] | None = None
    try:
        chunked, chunks = readers.batch_chunks(probe, source, batch,
                                               ws.settings.imports.chunk_rows)
        if chunked:
            sql.start_chunks(con, c)
        for chunk in chunks:
            loaded_now, ok_now = _import_chunk(ws, con, c, batch, chunk, import_id, agreement,
                                               pseudo, chunked, counts, keys, maker)
            del chunk   # its rows are loaded: free them before the next chunk is read
            loaded += loaded_now
            n_ok += ok_now
            if chunked and progress:
                rows = sum(v[4] for v in counts.values())
                progress(f"{batch[0][0].f.name} ({rows:,} rows)", done, total)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()   # a chunk read ahead on the probe's cursor is finished before it is closed
        probe.close()
        with contextlib.suppress(duckdb.Error):  # after an error the transaction rolls back
            sql.end_chunks(con)
    if loaded != n_ok:
        raise RuntimeError(f"{c.source}/{c.kind} loader stored {loaded} of {n_ok} valid rows")
    totals: dict[int, tuple[int, int, int, int]] = {}
    pkeys: dict[int, str] = {}
    for p, fid in batch:
        ok, bad, flagged, broken, rows, lo, hi = counts[fid]
        # Every file's rows numbered 1..n with nothing missing (verified, not assumed: the
        # file's rows may come from one multi-file scan, in several chunks).
        if rows and (lo != 1 or hi != rows):
            raise RuntimeError(f"{p.f.display}: rows are not numbered contiguously")
        totals[fid] = (ok + bad + broken, ok, bad + broken, flagged)
        if c.partition and len(keys[fid]) == 1 and None not in keys[fid]:
            pkeys[fid] = str(next(iter(keys[fid])))   # all the file's valid rows share one key
    return _record_files(con, batch, totals, pkeys, import_id)


def _record_files(con: duckdb.DuckDBPyConnection, batch: list[tuple[Planned, int]],
                  counts: dict[int, tuple[int, int, int, int]], pkeys: dict[int, str],
                  import_id: int) -> list[tuple[FileResult, str | None]]:
    """Provenance of a loaded batch: each file's row in source_files and its result, after
    checking read = loaded + rejected (a mismatch is a bug, never a data problem: the whole
    import fails). ``counts``: per file id (read, loaded, rejected, flagged); the partition key
    is the file's own (planned) or its rows' (``pkeys``)."""
    out: list[tuple[FileResult, str | None]] = []
    values: list[Any] = []
    now = datetime.now()
    for p, fid in batch:
        c = p.contract
        read, ok, rejected, flagged = counts[fid]
        if read != ok + rejected:
            raise RuntimeError(f"{p.f.display}: read {read} != loaded {ok} + rejected {rejected}")
        pkey = p.partition_key or pkeys.get(fid)
        out.append((FileResult(p.f.name, c.kind, "loaded", read, ok, rejected, flagged, fid,
                               encoding=p.encoding, warnings=list(p.warnings)), pkey))
        values += [fid, import_id, c.source, c.kind, p.f.display, p.f.name, p.sha256, pkey,
                   read, ok, rejected, flagged, now, p.encoding, p.warnings, p.force_slug,
                   p.month]
    con.execute(
        "INSERT INTO source_files (file_id, import_id, source, kind, path, name, sha256, "
        "partition_key, rows_read, rows_loaded, rows_rejected, rows_flagged, loaded_at, "
        "encoding, warnings, force_slug, month, status) "
        "SELECT *, 'active' FROM (VALUES "
        + ", ".join(["(" + ", ".join(["?"] * 13) + ", ?, ?::VARCHAR[], ?, ?::DATE)"] * len(batch))
        + ")",
        values,
    )
    return out


def _import_chunk(ws: Workspace, con: duckdb.DuckDBPyConnection, c: Contract,
                  batch: list[tuple[Planned, int]], chunk: readers.Chunk, import_id: int,
                  agreement: agreements.Agreement | None, pseudo: Pseudonymiser | None,
                  chunked: bool,
                  counts: dict[int, list], keys: dict[int, set[str | None]],
                  maker=None) -> tuple[int, int]:
    """One chunk: stage (pseudonymise), validate, load, reject; counts and keys accumulated.
    Returns (rows the loader stored, valid rows).

    The chunk's in-memory tables are this function's variables, which DuckDB reads by name
    (replacement scan, ``python_scan_all_frames``) in every statement below it: ``hub_src`` (the rows),
    ``hub_bad`` (structurally bad rows), ``hub_map``/``hub_mk`` (pseudonyms, match features),
    ``hub_chk`` (validated rows), ``hub_grp`` (unique keys) and ``hub_xy`` (projected
    coordinates, filled by the loader's ``project_bng``). Not ``con.register`` nor temp tables:
    the import is one transaction, and DuckDB keeps whatever is dropped inside a transaction
    (a registered view still holds its Arrow table) until the transaction ends, so memory grew
    by a chunk's worth with every chunk (measured 100-180 MB per 491,520 rows)."""
    _drop_temp(con)
    hub_src = chunk.table  # noqa: F841
    hub_bad = pa.table({"file_id": pa.array([b[0] for b in chunk.bad], pa.int64()),  # noqa: F841
                        "row_number": pa.array([b[1] for b in chunk.bad], pa.int64()),
                        "field": pa.array([b[2] for b in chunk.bad], pa.string()),
                        "reason": pa.array([b[3] for b in chunk.bad], pa.string())})
    hub_xy = loading.chunk_slot()  # noqa: F841
    try:
        with _no_spill(ws, enabled=bool(c.identifiers or c.match_keys)):
            hub_map, hub_mk = sql.stage(con, c, batch[0][0].header, chunk.sql, pseudo,  # noqa: F841
                                        maker)
            hub_chk, hub_grp = sql.validate(con, c, chunked, chunk.dups)  # noqa: F841
        loaded = c.load(LoadContext(con, import_id, ws.settings, agreement))
        if c.match_keys is not None:
            sql.store_match_features(con, c, import_id)
        n_ok = 0
        for fid, ok, bad, flagged, broken, rows, lo, hi in con.execute(
            """WITH r AS (
                   SELECT file_id, row_number, len(problems) = 0 AS ok,
                          len(problems) = 0 AND len(flags) > 0 AS flagged, false AS broken
                   FROM hub_chk
                   UNION ALL SELECT file_id, row_number, false, false, true FROM hub_bad)
               SELECT file_id, count(*) FILTER (WHERE ok),
                      count(*) FILTER (WHERE NOT ok AND NOT broken),
                      count(*) FILTER (WHERE flagged), count(*) FILTER (WHERE broken),
                      count(*), min(row_number), max(row_number)
               FROM r GROUP BY file_id""").fetchall():
            acc = counts[fid]
            for j, v in enumerate((ok, bad, flagged, broken, rows)):
                acc[j] += v
            acc[5] = lo if acc[5] is None else min(acc[5], lo)
            acc[6] = hi if acc[6] is None else max(acc[6], hi)
            n_ok += ok
        sql.write_rejects(con, c, import_id)
        if c.partition:
            # The key from the distinct values of the columns it is made of (a file holds a
            # handful), not built as text on every row first.
            parts = ", ".join(sorted(set(re.findall(r"\bv_\w+", c.partition))))
            for fid, key in con.execute(
                    f"SELECT DISTINCT file_id, {c.partition} FROM (SELECT DISTINCT file_id"
                    f"{', ' + parts if parts else ''} FROM hub_ok) LIMIT 100000").fetchall():
                keys[fid].add(None if key is None else str(key))
        if chunked:
            sql.end_chunk(con, c, keys=hub_grp is not None)
        return loaded, n_ok
    finally:
        loading.chunk_slot_clear()
        with contextlib.suppress(duckdb.Error):  # after an error the transaction rolls back
            _drop_temp(con)
