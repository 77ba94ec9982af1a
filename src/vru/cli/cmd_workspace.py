"""`vru init` and `vru status`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from vru.cli.common import WorkspaceOption, console, fail, open_workspace
from vru.workspace import Workspace, WorkspaceError, default_path


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("status")(status)


def init(
    path: Path = typer.Argument(None, help="Folder to create (default: $VRU_WORKSPACE or ./vru-workspace)."),
    area_name: str = typer.Option(None, "--area-name", help="The VRU area's name."),
    cell_size: int = typer.Option(None, "--cell-size", help="Grid cell size in metres."),
) -> None:
    """Create a workspace: DuckDB database + settings.toml (area, serious violence, grid, disclosure)."""
    target = path or default_path()
    try:
        ws = Workspace.init(target, area_name=area_name)
        if cell_size:
            from vru.geo.grid import set_grid

            set_grid(ws, cell_size, ws.settings.grid.origin_e, ws.settings.grid.origin_n)
    except (WorkspaceError, ValueError) as exc:
        fail(str(exc))
    console.print(f"Workspace ready at [bold]{target}[/] (schema {ws.schema_version}).")
    console.print(f"Settings: {target / 'settings.toml'}")
    ws.close()


def status(
    workspace: Path = WorkspaceOption,
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON (documented shape)."),
) -> None:
    """Sources, row counts, month coverage per source and area, rejects, geography."""
    from vru.status import render_status, workspace_status

    ws = open_workspace(workspace, reads_only=True)  # opens for writing to migrate, reads only
    try:
        st = workspace_status(ws)
    finally:
        ws.close()
    if as_json:
        typer.echo(json.dumps(st, indent=2, default=str))
    else:
        render_status(st, console)
