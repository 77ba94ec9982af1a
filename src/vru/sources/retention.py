"""``vru retention apply``: purge partner data past its data-sharing agreement's retention period.

For every hub source with a registered agreement, rows whose event date (declared per contract:
arrival time for ED assaults, admission date, ping time, ...) is before
``as_of - retention_months`` are deleted. A source file whose rows are all gone is marked
``purged`` and its rejects are deleted with it. Every run is recorded in ``retention_runs``
(one row per source and table, dry runs included), in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from vru.engine import DUCKDB as SQL
from vru.periods import same_day_months_before
from vru.privacy import agreements
from vru.sources.contract import Contract
from vru.sources.registry import SOURCES
from vru.workspace import Workspace


@dataclass
class RetentionResult:
    source: str
    table: str
    retention_months: int
    cutoff: date
    rows_purged: int
    rejects_purged: int
    files_purged: int


def months_before(d: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    return same_day_months_before(d, months)


def apply_retention(ws: Workspace, as_of: date | None = None, dry_run: bool = False,
                    only: list[str] | None = None) -> list[RetentionResult]:
    as_of = as_of or date.today()
    results: list[RetentionResult] = []
    with ws.transaction() as con:
        run_id = ws.next_id(con, "retention_seq")
        registered = {a.source: a for a in agreements.list_all(con)}  # latest per source wins
        for name, source in SOURCES.items():
            if only and name not in only:
                continue
            agreement = registered.get(name)
            if agreement is None:
                continue
            cutoff = months_before(as_of, agreement.retention_months)
            for contract in source.contracts:
                results.extend(_purge_contract(con, contract, cutoff, agreement, dry_run))
            results.extend(_purge_derived(con, name, as_of, cutoff, agreement, dry_run))
        for r in results:
            con.execute(
                "INSERT INTO retention_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, datetime.now(), ws.user_name(), r.source,
                 registered[r.source].agreement_id, r.retention_months, r.table, r.cutoff,
                 r.rows_purged, r.rejects_purged, r.files_purged, dry_run],
            )
    if not dry_run:
        ws.checkpoint()  # rewrite storage so purged rows do not linger in the database file
    return results


# Results derived from a source's rows, each carrying ``expires_on`` (the day its source data's
# retention ends): they go when that day comes, with the source's own purge.
DERIVED: dict[str, tuple[str, ...]] = {
    "em_gps": ("tag_matches", "tag_match_evidence", "tag_unknowns", "tag_episodes",
               "tag_alerts", "tag_alert_events"),
    "police_rms": ("tag_matches", "tag_match_evidence", "tag_unknowns"),
}


def _purge_derived(con, source: str, as_of: date, cutoff: date,
                   agreement: agreements.Agreement, dry_run: bool) -> list[RetentionResult]:
    out = []
    for table in DERIVED.get(source, ()):
        where = f"FROM {table} WHERE expires_on <= ?"
        if dry_run:
            n = con.execute(f"SELECT count(*) {where}", [as_of]).fetchone()[0]
        else:
            n = con.execute(f"DELETE {where}", [as_of]).fetchone()[0]
        if n:  # recorded when something went (a run with none lists only the source's tables)
            out.append(RetentionResult(source, table, agreement.retention_months, cutoff,
                                       int(n), 0, 0))
    return out


def _purge_contract(con, contract: Contract, cutoff: date, agreement: agreements.Agreement,
                    dry_run: bool) -> list[RetentionResult]:
    files = "file_id IN (SELECT file_id FROM source_files WHERE source = ? AND kind = ?)"
    fparams = [contract.source, contract.kind]
    out: list[RetentionResult] = []
    for target in contract.retention:
        where = f"({target.where}) AND ({target.date_column}) < ? AND {files}"
        params = [cutoff, *fparams]
        if dry_run:
            n = con.execute(f"SELECT count(*) FROM {target.table} WHERE {where}",
                            params).fetchone()[0]
        else:
            n = con.execute(f"DELETE FROM {target.table} WHERE {where}", params).fetchone()[0]
        out.append(RetentionResult(contract.source, target.table, agreement.retention_months,
                                   cutoff, int(n), 0, 0))
    if contract.match_keys is not None and not dry_run:
        # Record linkage's features and links of purged rows go with them (#15).
        from vru.sources.contract.sql import drop_linkage_rows

        drop_linkage_rows(con, contract)
    # Files with nothing left (and that either had rows, or arrived before the cutoff).
    # Counted as "rows not past the cutoff" so that a dry run reports the same files.
    remaining = " + ".join(
        f"(SELECT count(*) FROM {t.table} x WHERE x.file_id = f.file_id "
        f"AND NOT coalesce(({t.date_column}) < $cutoff, false))"
        for t in contract.retention
    )
    emptied = con.execute(
        f"SELECT file_id FROM source_files f WHERE source = $source AND kind = $kind "
        f"AND status = 'active' AND (rows_loaded > 0 OR loaded_at < $cutoff) "
        f"AND {remaining} = 0",
        {"source": contract.source, "kind": contract.kind, "cutoff": cutoff},
    ).fetchall()
    ids = [r[0] for r in emptied]
    in_ids = SQL.list_contains("?", "file_id")
    rejects = 0
    if ids and not dry_run:
        rejects = con.execute(f"DELETE FROM rejects WHERE {in_ids}", [ids]).fetchone()[0]
        con.execute(f"UPDATE source_files SET status = 'purged' WHERE {in_ids}", [ids])
    elif ids:
        rejects = con.execute(f"SELECT count(*) FROM rejects WHERE {in_ids}",
                              [ids]).fetchone()[0]
    if out:
        out[0].rejects_purged = int(rejects)
        out[0].files_purged = len(ids)
    return out
