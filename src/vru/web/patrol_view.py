"""Patrol plans made by `vru hotspots plan` (recorded in ``hotspot_runs``, kind 'plan').

The web app lists them, serves their output files (only files the run recorded, only from
inside the workspace) and draws a plan's spots on the map.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vru.web import queries as q
from vru.workspace import Workspace

MEDIA = {".html": "text/html; charset=utf-8", ".csv": "text/csv; charset=utf-8",
         ".geojson": "application/geo+json", ".json": "application/json"}


def available(ws: Workspace) -> bool:
    return q.table_exists(ws, "hotspot_runs")


def plans(ws: Workspace, limit: int = 100) -> list[dict[str, Any]]:
    if not available(ws):
        return []
    rows = ws.sql("SELECT run_id, created_at, user_name, params, summary, outputs "
                  "FROM hotspot_runs WHERE kind = 'plan' ORDER BY run_id DESC LIMIT ?", [limit])
    out = []
    for run_id, created, user, params, summary, outputs in rows:
        p = json.loads(params) if params else {}
        s = json.loads(summary) if summary else {}
        period = p.get("period")
        out.append({
            "run_id": run_id, "created_at": created.isoformat(timespec="seconds"),
            "made_by": user, "spots": s.get("spots"), "share_pct": s.get("share_pct"),
            "area_pct": s.get("area_pct"), "windows": s.get("windows") or [],
            "period": (f"{period[0]} to {period[-1]}" if isinstance(period, list) and period
                       else period),
            "weighting": p.get("weighting"), "unit": p.get("unit"),
            "files": [Path(o).name for o in outputs or []],
        })
    return out


def _outputs(ws: Workspace, run_id: int) -> list[Path]:
    if not available(ws):
        return []
    row = ws.sql("SELECT outputs FROM hotspot_runs WHERE run_id = ? AND kind = 'plan'", [run_id])
    return [Path(o) for o in (row[0][0] or [])] if row else []


def in_workspace(ws: Workspace, p: Path) -> Path:
    """Where a recorded output is now: relative paths are relative to the workspace; an absolute
    path recorded by an older vru under ``exports/`` of a workspace since copied or moved is
    found at the same place under this one."""
    if not p.is_absolute():
        return ws.path / p
    if not p.exists() and "exports" in p.parts:
        i = len(p.parts) - 1 - p.parts[::-1].index("exports")
        return ws.path.joinpath(*p.parts[i:])
    return p


def output_file(ws: Workspace, run_id: int, name: str) -> Path | None:
    """The recorded output called ``name``, if it exists inside the workspace."""
    root = ws.path.resolve()
    for p in _outputs(ws, run_id):
        if p.name == name and p.suffix in MEDIA:
            full = in_workspace(ws, p).resolve()
            if full.is_file() and full.is_relative_to(root):
                return full
    return None


def plan_geojson(ws: Workspace, run_id: int) -> dict[str, Any] | None:
    for p in _outputs(ws, run_id):
        if p.suffix == ".geojson":
            f = output_file(ws, run_id, p.name)
            if f is not None:
                return json.loads(f.read_text())
    return None
