"""Square grid cells on the British National Grid."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

import numpy as np

from vru.settings import Grid, Settings


class GridOwner(Protocol):
    """What ``set_grid`` needs of a workspace (geo is below the workspace: it takes one through
    this protocol and never imports it, not even for type checking)."""

    settings: Settings

    def transaction(self) -> AbstractContextManager[Any]: ...

    def save_settings(self) -> None: ...


def cell_sql(e_col: str, n_col: str, grid: Grid) -> tuple[str, str]:
    """SQL expressions for the lower-left corner (metres) of the cell holding (e, n)."""
    s, oe, on = int(grid.cell_size_m), int(grid.origin_e), int(grid.origin_n)
    e = f"CAST(floor(({e_col} - {oe}) / {s}) * {s} + {oe} AS INTEGER)"
    n = f"CAST(floor(({n_col} - {on}) / {s}) * {s} + {on} AS INTEGER)"
    return e, n


def set_grid(ws: GridOwner, cell_size_m: int, origin_e: int = 0, origin_n: int = 0) -> None:
    """Change the workspace's grid and recompute every stored cell in one transaction."""
    ws.settings.grid.cell_size_m = cell_size_m
    ws.settings.grid.origin_e = origin_e
    ws.settings.grid.origin_n = origin_n
    ws.settings.validate()
    with ws.transaction() as con:
        e, n = cell_sql("easting", "northing", ws.settings.grid)
        con.execute(f"UPDATE crimes SET cell_e = {e}, cell_n = {n}")
    ws.save_settings()


def cell_of(e, n, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    s = grid.cell_size_m
    ce = np.floor((np.asarray(e, float) - grid.origin_e) / s) * s + grid.origin_e
    cn = np.floor((np.asarray(n, float) - grid.origin_n) / s) * s + grid.origin_n
    return ce, cn


def cell_id(cell_e: int, cell_n: int, size: int) -> str:
    """A stable, human-readable cell id: size and lower-left corner, e.g. 150m_E505050_N225150."""
    return f"{size}m_E{int(cell_e):06d}_N{int(cell_n):07d}"
