"""The thin layer between the workspace and the pure hotspot functions: pull event tables with
SQL (filters run in DuckDB) and record runs (parameters, data used, outputs) in
``hotspot_runs``. Everything else in this package is pure."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from vru.periods import month_range, quarter_key
from vru.periods import parse_month as _month
from vru.workspace import Workspace


@dataclass
class Events:
    """Events pulled from the workspace, with a record of what was pulled."""

    frame: pd.DataFrame      # month, easting, northing, lsoa_code, crime_type, occurred_from
    months: list[date]       # every month of the period, in order (steps of the cube)
    data: dict               # provenance: table, filters, rows, files (+ sha256 digest)

    def month_index(self) -> np.ndarray:
        pos = {m: i for i, m in enumerate(self.months)}
        return np.array([pos[m] for m in self.frame["month"]], dtype=np.int64)

    def step_index(self, step: str = "month") -> tuple[np.ndarray, list[str]]:
        mi = self.month_index()
        if step == "month":
            return mi, [m.strftime("%Y-%m") for m in self.months]
        if step == "quarter":
            labels = [quarter_key(m) for m in self.months]
            uniq = list(dict.fromkeys(labels))
            q = np.array([uniq.index(lab) for lab in labels])
            return q[mi], uniq
        raise ValueError("step must be 'month' or 'quarter'")




def add_filters(where: list[str], params: list, *pairs) -> None:
    """For each (value, SQL clause with one ``?``) whose value is set, add the clause to
    ``where`` and the value to ``params`` (the optional filters of a query)."""
    for value, clause in pairs:
        if value:
            where.append(clause)
            params.append(value)


def load_events(ws: Workspace, categories: list[str] | None = None, start: str | None = None,
                end: str | None = None, source: str | None = None) -> Events:
    """Crimes of ``categories`` (police.uk crime types; default: the workspace's serious
    violence definition) between months ``start`` and ``end`` (YYYY-MM, inclusive)."""
    cats = list(categories) if categories else list(
        ws.settings.serious_violence.police_uk_categories)
    s, e = _month(start), _month(end)
    where = ["crime_type IN (SELECT unnest(?))"]
    params: list = [cats]
    add_filters(where, params, (s, "month >= ?"), (e, "month <= ?"), (source, "source = ?"))
    w = " AND ".join(where)
    # The canonical crime view: each crime once, from the source serving its force and month.
    df = ws.df(f"""SELECT month, easting, northing, lsoa_code, crime_type, occurred_from,
                          file_id
                   FROM canonical_crimes WHERE {w}""", params)
    if df.empty:
        src = f" from source {source}" if source else ""
        raise ValueError(f"no crimes of {', '.join(cats)}{src} in the workspace for that period")
    df["month"] = pd.to_datetime(df["month"]).dt.date
    first = s or min(df["month"])
    last = e or max(df["month"])
    files = ws.df(f"""SELECT f.file_id, f.name, f.sha256 FROM source_files f
                      WHERE f.file_id IN (SELECT DISTINCT file_id FROM canonical_crimes
                                          WHERE {w})
                      ORDER BY f.file_id""", params)
    digest = hashlib.sha256("".join(files["sha256"]).encode()).hexdigest()
    data = {
        "table": "canonical_crimes", "categories": cats, "source": source or "all",
        "months": [first.strftime("%Y-%m"), last.strftime("%Y-%m")],
        "rows": int(len(df)), "rows_with_location": int(df["easting"].notna().sum()),
        "files": int(len(files)), "files_sha256_digest": digest,
        "file_names": files["name"].tolist()[:5] + (["..."] if len(files) > 5 else []),
        "workspace": str(ws.path),
    }
    return Events(df.drop(columns=["file_id"]), month_range(first, last), data)


def workspace_relative(ws: Workspace, path: str | Path) -> str:
    """A path inside the workspace as a POSIX path relative to it (so a copied or moved
    workspace still finds its outputs); a path outside it stays absolute."""
    p = Path(path).resolve()
    root = ws.path.resolve()
    return p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p)


def record_run(ws: Workspace, kind: str, params: dict, data: dict, summary: dict | None = None,
               outputs: list[str] | None = None) -> int:
    """Store a run; returns its id. Outputs inside the workspace are stored relative to it."""
    outputs = [workspace_relative(ws, o) for o in outputs or []]
    with ws.transaction() as con:
        run_id = ws.next_id(con, "hotspot_run_seq")
        con.execute(
            "INSERT INTO hotspot_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, kind, datetime.now(), ws.user_name(), " ".join(sys.argv),
             json.dumps(params, default=str), json.dumps(data, default=str),
             json.dumps(summary or {}, default=str), outputs or []])
    return run_id


def load_pings(ws: Workspace, start: str | None = None, end: str | None = None
               ) -> tuple[pd.DataFrame, dict]:
    """Patrol GPS pings imported by the data hub (``vru import patrols``), as patrol_id,
    timestamp, x, y (BNG), between dates ``start`` and ``end`` (YYYY-MM-DD, inclusive)."""
    where, params = ["easting IS NOT NULL"], []
    add_filters(where, params, (start, "ping_at >= CAST(? AS DATE)"),
                (end, "ping_at < CAST(? AS DATE) + INTERVAL 1 DAY"))
    try:
        df = ws.df(f"""SELECT patrol_id, ping_at AS timestamp, easting AS x, northing AS y,
                              file_id FROM patrol_pings WHERE {' AND '.join(where)}""", params)
    except Exception as exc:  # noqa: BLE001 - a workspace without the data hub tables
        raise ValueError(f"no patrol GPS in the workspace ({exc})") from None
    if df.empty:
        raise ValueError("no patrol GPS pings in the workspace for that period "
                         "(import them with `vru import patrols`, or pass --gps FILE)")
    data = {"table": "patrol_pings", "rows": int(len(df)), "from": start, "to": end,
            "files": int(df["file_id"].nunique())}
    return df.drop(columns=["file_id"]), data


def missing_months(ws: Workspace, months: list[date], source: str | None = None) -> list[date]:
    """The months of ``months`` for which the workspace holds no crime data at all (of
    ``source``, or of any source): gaps, which every hotspot analysis leaves out rather than
    reading as zero crime.

    The one switch for month coverage: the canonical crime view's coverage table
    (``crime_coverage``, vru.crime_view) says which source serves each force-month; a month is
    covered when it serves crime for some force (from ``source``, when given)."""
    if not months:
        return []
    where, params = ["month BETWEEN ? AND ?", "status = 'served'"], [months[0], months[-1]]
    if source:
        where.append("source = ?")
        params.append(source)
    have = {pd.Timestamp(r[0]).date() for r in ws.sql(
        f"SELECT DISTINCT month FROM crime_coverage WHERE {' AND '.join(where)}", params)}
    return [m for m in months if m not in have]
