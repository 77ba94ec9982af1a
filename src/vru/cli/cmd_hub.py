"""The data hub's commands: `vru import <partner source>`, `vru agreements`, `vru retention`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from vru.cli.cmd_import import import_app
from vru.cli.common import (
    WorkspaceOption,
    console,
    fail,
    in_server,
    open_workspace,
    print_not_imported,
    report_progress,
)
from vru.sources.textfiles import describe

agreements_app = typer.Typer(help="Data-sharing agreements: no agreement, no import.",
                             no_args_is_help=True)
retention_app = typer.Typer(help="Purge partner data past its retention period.",
                            no_args_is_help=True)

# CLI name -> source name (see docs/guide/hub-<source>.md for each contract).
IMPORT_COMMANDS = {
    "police-rms": "police_rms",
    "istv": "istv",
    "admissions": "admissions",
    "education": "education",
    "youth-justice": "youth_justice",
    "em-gps": "em_gps",
    "patrols": "patrols",
    "programme": "programme",
}


def register(app: typer.Typer) -> None:
    for cli_name, source in IMPORT_COMMANDS.items():
        import_app.command(cli_name, help=_import_help(source))(_make_import(source))
    app.add_typer(agreements_app, name="agreements")
    app.add_typer(retention_app, name="retention")


def _import_help(source: str) -> str:
    from vru.sources.registry import SOURCES

    s = SOURCES[source]
    page = f"docs/guide/hub-{source.replace('_', '-')}.md"
    return (f"Import {s.title} files (CSV, .csv.gz, XLSX, ZIP"
            f"{', ISTV XML' if source == 'istv' else ''}); contract: {page}.")


def _make_import(source_name: str):
    def command(
        paths: list[Path] = typer.Argument(..., help="Files, folders or ZIP archives."),
        workspace: Path = WorkspaceOption,
        encoding: str = typer.Option(None, "--encoding", help="Decode every text file of this "
                                     "import with this encoding (utf-8, cp1252, utf-16...) "
                                     "instead of detecting it."),
    ) -> None:
        from vru.sources.contract import import_source
        from vru.sources.registry import SOURCES

        ws = open_workspace(workspace)
        try:
            with console.status(f"importing {source_name}...") as status:

                def progress(name: str, done: int, total: int) -> None:
                    status.update(f"importing {source_name}: file {min(done + 1, total)} of "
                                  f"{total} {name}")
                    if not console.is_terminal or in_server():  # logs, pipes, the server
                        report_progress(f"progress {done}/{total} files {name}")

                summary = import_source(ws, SOURCES[source_name], list(paths),
                                        progress=progress, command=f"vru import {source_name}",
                                        encoding=encoding)
            reasons = ws.sql(
                "SELECT reason, count(*) FROM rejects WHERE import_id = ? GROUP BY reason "
                "ORDER BY count(*) DESC, reason LIMIT 5", [summary.import_id])
        finally:  # refusals (ImportRefused, AgreementMissing...) are VruErrors: the CLI reports them
            ws.close()
        table = Table(title=f"import {summary.import_id}: {source_name}")
        for col in ("file", "kind", "status", "read", "loaded", "rejected", "flagged"):
            table.add_column(col, justify="right" if col in ("read", "loaded", "rejected",
                                                             "flagged") else "left")
        for f in summary.files:
            table.add_row(f.name, f.kind, f.status, str(f.rows_read), str(f.rows_loaded),
                          str(f.rows_rejected), str(f.rows_flagged))
        console.print(table)
        console.print(f"read {summary.rows_read} = loaded {summary.rows_loaded} + rejected "
                      f"{summary.rows_rejected}; files skipped (already loaded): "
                      f"{summary.count('skipped')}")
        for reason, n in reasons:
            console.print(f"  rejected x{n}: {reason}", highlight=False)
        for f in summary.files:
            if f.encoding not in (None, "utf-8"):
                console.print(f"  {f.name}: read as {describe(f.encoding)}", highlight=False)
            for w in f.warnings:
                console.print(f"  warning: {f.name}: {w}", highlight=False, markup=False)
        print_not_imported(summary.skipped)

    command.__doc__ = f"Import {source_name} partner files into the workspace."
    return command


# ------------------------------------------------------------------------------- agreements
@agreements_app.command("add")
def agreements_add(
    source: str = typer.Option(..., "--source", help="police_rms, istv, admissions, education, "
                               "youth_justice, em_gps or patrols."),
    agency: str = typer.Option(..., "--agency", help="The owning agency (data controller)."),
    legal_basis: str = typer.Option(..., "--legal-basis", help="Legal basis for sharing."),
    purpose: list[str] = typer.Option(..., "--purpose", help="A purpose (repeat for several)."),
    retention_months: int = typer.Option(..., "--retention-months",
                                         help="How long records may be kept, in months."),
    reference: str = typer.Option(None, "--reference", help="The agreement's own reference."),
    valid_from: str = typer.Option(None, "--valid-from", help="YYYY-MM-DD"),
    valid_to: str = typer.Option(None, "--valid-to", help="YYYY-MM-DD"),
    workspace: Path = WorkspaceOption,
) -> None:
    """Register a data-sharing agreement for a partner source."""
    from vru.privacy import agreements

    ws = open_workspace(workspace)
    try:
        with ws.transaction() as con:
            a = agreements.add(con, source, agency, legal_basis, purpose, retention_months,
                               reference, _date(valid_from, "--valid-from"),
                               _date(valid_to, "--valid-to"), created_by=ws.user_name())
    except ValueError as exc:
        fail(str(exc))
        return
    finally:
        ws.close()
    console.print(f"Agreement {a.agreement_id} registered for [bold]{a.source}[/] "
                  f"({a.owning_agency}; retention {a.retention_months} months).")


@agreements_app.command("list")
def agreements_list(
    workspace: Path = WorkspaceOption,
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List the registered data-sharing agreements."""
    from vru.privacy import agreements

    ws = open_workspace(workspace, read_only=True)
    try:
        found = agreements.list_all(ws.reader())
    finally:
        ws.close()
    if as_json:
        typer.echo(json.dumps([a.__dict__ for a in found], default=str, indent=2))
        return
    table = Table(title="data-sharing agreements")
    for col in ("id", "source", "agency", "legal basis", "purposes", "retention", "valid",
                "in force"):
        table.add_column(col)
    today = date.today()
    for a in found:
        table.add_row(str(a.agreement_id), a.source, a.owning_agency, a.legal_basis,
                      "; ".join(a.purposes), f"{a.retention_months} months",
                      f"{a.valid_from or '-'} .. {a.valid_to or '-'}",
                      "yes" if a.in_force(today) else "no")
    console.print(table)


# ------------------------------------------------------------------------------- retention
@retention_app.command("apply")
def retention_apply(
    workspace: Path = WorkspaceOption,
    as_of: str = typer.Option(None, "--as-of", help="Count retention from this date "
                              "(YYYY-MM-DD; default today)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would go; change nothing."),
    source: list[str] = typer.Option(None, "--source", help="Only these sources."),
) -> None:
    """Purge rows past their agreement's retention period, and record the run."""
    from vru.privacy.agreements import HUB_SOURCES
    from vru.sources.retention import apply_retention

    unknown = sorted(set(source or ()) - set(HUB_SOURCES))
    if unknown:
        fail(f"unknown source(s) {', '.join(unknown)}; one of: {', '.join(HUB_SOURCES)}")
    ws = open_workspace(workspace)
    try:
        results = apply_retention(ws, _date(as_of, "--as-of"), dry_run, source or None)
    finally:
        ws.close()
    table = Table(title="retention" + (" (dry run: nothing deleted)" if dry_run else ""))
    for col in ("source", "table", "retention", "cutoff", "rows", "rejects", "files"):
        table.add_column(col)
    for r in results:
        table.add_row(r.source, r.table, f"{r.retention_months} months", str(r.cutoff),
                      str(r.rows_purged), str(r.rejects_purged), str(r.files_purged))
    console.print(table)
    if not results:
        console.print("No source has a registered agreement: nothing to do.")


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: not a date (expected YYYY-MM-DD): {value!r}")
        raise  # unreachable
