"""`vru export parquet`: the workspace's canonical tables as Parquet files (for Spark, notebooks,
other tools). Record-level and pseudonymised: the export is audited."""

from __future__ import annotations

from pathlib import Path

import typer

from vru.cli.common import WorkspaceOption, console, open_workspace

export_app = typer.Typer(help="Export the workspace's tables.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")


@export_app.command("parquet")
def export_parquet(
    out: Path = typer.Argument(..., help="Folder for <table>.parquet files and manifest.json."),
    table: list[str] = typer.Option(None, "--table", "-t",
                                    help="Only this table (repeat for several)."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Write the canonical tables to Parquet (zstd), one file per table, with a manifest."""
    from vru.privacy.access import EXPORT_TABLES, Actor, Resource, check
    from vru.privacy.audit import AuditLog, Entry

    ws = open_workspace(workspace, read_only=True)
    try:
        actor = Actor.operator()
        check(EXPORT_TABLES, Resource("export", "parquet"), actor)
        rows = ws.export_parquet(out, table or None)
        AuditLog.for_workspace(ws).append(Entry("cli", ws.user_name(), "export.parquet", None,
                                                {"out": str(out), "tables": rows}))
    finally:
        ws.close()
    for t, n in rows.items():
        console.print(f"  {t:28s} {n:>10,} rows")
    console.print(f"wrote {len(rows)} table(s) to {out} (manifest.json lists them)")
