"""The files every `vru hotspots ...` run writes: a dated output folder, the CSV / GeoJSON /
printable HTML of each kind of result, and ``run.json`` (parameters, data used, summary) with
the run recorded in the workspace (``hotspot_runs``). The CLI only parses, calls and prints.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from vru.analysis.hotspots import patrol as pt
from vru.analysis.hotspots import store
from vru.analysis.hotspots.units import Units
from vru.reports import hotspot_pages as pages


def out_dir(ws, kind: str, out: Path | None) -> Path:
    """``out``, or ``<workspace>/exports/hotspots/<kind>-<date-time>``; created."""
    d = out or ws.path / "exports" / "hotspots" / f"{kind}-{datetime.now():%Y%m%d-%H%M%S}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def finish(ws, kind: str, d: Path, params: dict, data: dict, summary: dict,
           files: list[Path]) -> int:
    """Write ``run.json`` beside ``files`` and record the run; returns its id."""
    meta = {"kind": kind, "params": params, "data": data, "summary": summary,
            "created_at": datetime.now().isoformat(timespec="seconds")}
    (d / "run.json").write_text(json.dumps(meta, indent=2, default=str))
    outputs = [str(p) for p in files] + [str(d / "run.json")]
    return store.record_run(ws, kind, params, data, summary, outputs)


def write_tables(d: Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Each table as ``d/<name>`` (CSV, no index); the paths written."""
    paths = []
    for name, df in tables.items():
        df.to_csv(d / name, index=False)
        paths.append(d / name)
    return paths


def map_size(units: Units) -> float:
    """Side of the squares drawn for units on the HTML maps (grid: the cell size)."""
    if units.kind == "grid":
        return float(units.params["size"])
    if units.has_area:
        return float(np.sqrt(np.mean(units.area_m2)))
    return 100.0


def write_class_map(d: Path, name: str, table: pd.DataFrame, mapped: pd.DataFrame,
                    drawn: pd.DataFrame, units: Units, column: str, colours: dict, labels: dict,
                    title: str, meta: dict, accuracy: str, legend_note: str = "") -> list[Path]:
    """``<name>.csv`` (all of ``table``), ``<name>.geojson`` (the ``mapped`` rows) and
    ``<name>.html`` (a printable map of the ``drawn`` rows coloured by ``column``)."""
    table.to_csv(d / f"{name}.csv", index=False)
    (d / f"{name}.geojson").write_text(json.dumps(pt.to_geojson(mapped, units, meta),
                                                  default=str))
    (d / f"{name}.html").write_text(pages.class_map_html(
        drawn["x"], drawn["y"], map_size(units), drawn[column], colours, labels, title, meta,
        (drawn["x"], drawn["y"]), accuracy, legend_note))
    return [d / f"{name}.csv", d / f"{name}.geojson", d / f"{name}.html"]


def write_plan(d: Path, spots: pd.DataFrame, units: Units, title: str, meta: dict,
               windows: pd.DataFrame, events_xy: tuple, accuracy: str) -> list[Path]:
    """``plan.csv``, ``plan.geojson`` and the printable ``plan.html``."""
    spots.to_csv(d / "plan.csv", index=False)
    (d / "plan.geojson").write_text(json.dumps(pt.to_geojson(spots, units, meta), default=str))
    (d / "plan.html").write_text(pages.plan_html(spots, units, title, meta, windows, events_xy,
                                                 accuracy))
    return [d / "plan.csv", d / "plan.geojson", d / "plan.html"]
