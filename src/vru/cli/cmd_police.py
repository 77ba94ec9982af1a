"""`vru import police` and `vru geo import`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vru.cli.cmd_import import import_app
from vru.cli.common import (
    WorkspaceOption,
    console,
    in_server,
    open_workspace,
    print_not_imported,
    report_progress,
)

geo_app = typer.Typer(help="Geography: ONS LSOA/LA/CSP/PFA lookups, population, deprivation.",
                      no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(geo_app, name="geo")


@import_app.command("police")
def import_police_cmd(
    paths: list[Path] = typer.Argument(..., help="CSV, .csv.gz, folders or data.police.uk ZIPs."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Import data.police.uk street, outcomes and stop-and-search files."""
    from vru.sources.police_uk import import_police

    ws = open_workspace(workspace)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True,
                      disable=in_server()) as bar:
            task = bar.add_task("checking files", total=None)

            def progress(name: str, done: int, total: int) -> None:
                bar.update(task, total=total, completed=done, description=f"importing {name}")
                if not console.is_terminal or in_server():  # logs, pipes, the server: lines
                    report_progress(f"progress {done}/{total} files {name}")

            summary = import_police(ws, list(paths), progress=progress,
                                    command="vru import police " + " ".join(map(str, paths)))
    finally:  # an ImportRefused (a VruError) is reported by the CLI
        ws.close()
    t = Table(title=f"Import {summary.import_id}", title_justify="left")
    for col in ("kind", "files", "read", "loaded", "rejected", "flagged"):
        t.add_column(col, justify="left" if col == "kind" else "right")
    for kind, d in summary.by_kind().items():
        t.add_row(kind, str(d["files"]), f"{d['read']:,}", f"{d['loaded']:,}",
                  f"{d['rejected']:,}", f"{d['flagged']:,}")
    console.print(t)
    console.print(
        f"files: {summary.count('loaded')} loaded, {summary.count('replaced')} replaced a "
        f"re-issued file, {summary.count('skipped')} already loaded (skipped)"
    )
    if summary.rows_rejected:
        console.print(f"[yellow]{summary.rows_rejected:,} rows rejected[/]; see `vru status` "
                      "or the rejects table for file, row, field and reason.")
    for f in summary.files:
        for w in f.warnings:
            console.print(f"warning: {f.name}: {w}", highlight=False, markup=False)
    print_not_imported(summary.skipped)


@geo_app.command("import")
def geo_import_cmd(
    path: Path = typer.Argument(..., help="Geography folder (ONS layout or vru pack layout)."),
    boundaries: bool = typer.Option(True, help="Also load LSOA boundary polygons (for maps)."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Load LSOA -> local authority -> CSP -> police force area lookups, population, IoD 2019."""
    from vru.sources.geography import import_geography

    ws = open_workspace(workspace)
    try:
        with console.status("loading geography..."):
            s = import_geography(ws, path, boundaries=boundaries)
    finally:  # an ImportRefused (a VruError) is reported by the CLI
        ws.close()
    if s.skipped:
        console.print("Geography unchanged (same files already loaded): nothing to do.")
    for table, rows in s.rows.items():
        console.print(f"  {table:<20} {rows:>10,}")
