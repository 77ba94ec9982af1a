"""The `imports` record and the import log, the same for every source."""

from __future__ import annotations

from datetime import datetime

import duckdb

from vru.sources.results import ImportSummary
from vru.workspace import Workspace


def start_import(ws: Workspace, con: duckdb.DuckDBPyConnection, source: str,
                 command: str | None) -> int:
    """Open the `imports` record inside the import's transaction; returns its id."""
    import_id = ws.next_id(con, "import_seq")
    con.execute(
        "INSERT INTO imports (import_id, source, started_at, user_name, command) VALUES (?, ?, ?, ?, ?)",
        [import_id, source, datetime.now(), ws.user_name(), command],
    )
    return import_id


def finish_import(con: duckdb.DuckDBPyConnection, summary: ImportSummary) -> None:
    """Close the `imports` record with the run's counts (still inside the transaction)."""
    con.execute(
        "UPDATE imports SET finished_at = ?, files_seen = ?, files_loaded = ?, files_skipped = ?, "
        "files_replaced = ?, rows_read = ?, rows_loaded = ?, rows_rejected = ?, "
        "not_imported = ?::VARCHAR[] WHERE import_id = ?",
        [datetime.now(), len(summary.files), summary.count("loaded") + summary.count("replaced"),
         summary.count("skipped"), summary.count("replaced"), summary.rows_read,
         summary.rows_loaded, summary.rows_rejected,
         [f"{where}: {why}" for where, why in summary.skipped], summary.import_id],
    )


def write_import_log(ws: Workspace, s: ImportSummary) -> None:
    """One line per import in logs/imports.log. Counts only: never values from the files."""
    with open(ws.log_dir() / "imports.log", "a", encoding="utf-8") as log:
        log.write(
            f"{datetime.now().isoformat(timespec='seconds')} import {s.import_id} {s.source}: "
            f"files loaded={s.count('loaded')} replaced={s.count('replaced')} "
            f"skipped={s.count('skipped')} rows read={s.rows_read} loaded={s.rows_loaded} "
            f"rejected={s.rows_rejected} not imported={len(s.skipped)} "
            f"warnings={sum(len(f.warnings) for f in s.files)}\n"
        )
