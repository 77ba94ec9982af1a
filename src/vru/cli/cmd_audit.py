"""`vru audit verify/show`: check and read the hash-chained audit log.

These read ``<workspace>/logs/audit.log`` directly and do not open the database, so they work
while `vru serve` is running.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from vru.cli.common import WorkspaceOption, console, err, fail
from vru.privacy import audit
from vru.workspace import SETTINGS_NAME, default_path

audit_app = typer.Typer(help="The audit log of web requests, data access and user changes.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


def _log_dir(workspace: Path | None) -> Path:
    path = Path(workspace) if workspace else default_path()
    if not (path / SETTINGS_NAME).exists():
        fail(f"no workspace at {path} (no {SETTINGS_NAME})")
    return path / "logs"


def _parse_expect(text: str) -> tuple[int, str]:
    seq, sep, digest = text.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise typer.BadParameter("use SEQ:HASH as printed by `vru audit show --head`")
    return int(seq), digest.lower()


@audit_app.command("verify")
def verify(
    expect: str = typer.Option(None, "--expect", help="A head kept elsewhere, SEQ:HASH; the log "
                               "must still contain exactly that record."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Check every record's hash, the chain, and the head anchor. Exit 1 if anything is wrong."""
    log_dir = _log_dir(workspace)
    res = audit.verify(log_dir, expect=_parse_expect(expect) if expect else None)
    if res.ok:
        console.print(f"audit log OK: {res.records} records, head {res.head_seq}:{res.head_hash}")
        return
    err.print(f"[bold red]audit log FAILED verification[/] ({res.records} lines read):")
    for p in res.problems:
        err.print(f"  - {p}", highlight=False)
    raise typer.Exit(1)


@audit_app.command("show")
def show(
    limit: int = typer.Option(50, "--limit", "-n"),
    user: str = typer.Option(None, "--user", help="Only this user's records."),
    kind: str = typer.Option(None, "--kind",
                             help="request, access, login, logout, user_admin, cli"),
    head: bool = typer.Option(False, "--head", help="Print only SEQ:HASH of the newest record "
                              "(keep it somewhere else; check with `verify --expect`)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON record per line."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Show the newest records."""
    log_dir = _log_dir(workspace)
    if head:
        seq, digest = audit.AuditLog(log_dir).head()
        typer.echo(f"{seq}:{digest}")
        return
    recs = audit.tail(log_dir, limit, user, kind)
    if as_json:
        for r in recs:
            typer.echo(json.dumps(r))
        return
    from rich.table import Table

    t = Table("seq", "time (UTC)", "kind", "user", "role", "action", "detail")
    for r in recs:
        t.add_row(str(r["seq"]), r["ts"][:19], r["kind"], r.get("actor") or "",
                  r.get("role") or "", r["action"], json.dumps(r.get("detail"))[:80])
    console.print(t)
