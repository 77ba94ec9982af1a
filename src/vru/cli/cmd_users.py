"""`vru users add/disable/enable/role/reset/list`: local accounts for the web workbench.

While `vru serve` runs, these commands run inside it (see ``vru.cli.handover``); a password is
then read from standard input (``--password-stdin``), since the server has no terminal to ask at.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from vru.cli.common import WorkspaceOption, console, fail, in_server, open_workspace
from vru.privacy import users as users_mod
from vru.privacy.audit import AuditLog, Entry
from vru.privacy.roles import ROLES

users_app = typer.Typer(help="Web workbench user accounts (Argon2-hashed passwords, roles).",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if in_server():
        fail("`vru serve` runs on this workspace, so this command runs inside it and cannot ask "
             "for a password at the terminal: pass it on standard input with --password-stdin "
             "(e.g. from a password manager), or use the web app's Users page")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _audit(ws, action: str, detail: dict) -> None:
    AuditLog.for_workspace(ws).append(Entry("cli", ws.user_name(), action, None, detail))


@users_app.command("add")
def add(
    username: str = typer.Argument(..., help="Login name (lower-case letters, digits, . _ @ -)."),
    role: str = typer.Option(..., "--role", "-r", help=f"One of: {', '.join(ROLES)}."),
    agency: str = typer.Option(None, "--agency", help="Partner's agency: one the workspace knows "
                               "(an agreement's owning agency, or a force as in police.uk "
                               "'Reported by'). Required for partners."),
    full_name: str = typer.Option(None, "--full-name"),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Create a user."""
    ws = open_workspace(workspace)
    try:
        u = users_mod.add_user(ws, username, _password(password_stdin), role, agency=agency,
                               full_name=full_name)
        _audit(ws, "users.add", {"username": u.username, "role": u.role.value,
                                 "agency": u.agency})
    finally:  # a UserError (a VruError) is reported by the CLI
        ws.close()
    console.print(f"Added [bold]{u.username}[/] ({u.role.value}"
                  f"{', ' + u.agency if u.agency else ''}).")


def _set_active(username: str, active: bool, workspace: Path | None) -> None:
    ws = open_workspace(workspace)
    try:
        u = users_mod.set_active(ws, username, active)
        _audit(ws, "users.enable" if active else "users.disable", {"username": u.username})
    finally:  # a UserError (a VruError) is reported by the CLI
        ws.close()
    console.print(f"{u.username} is now {'active' if active else 'disabled (signed out)'}.")


@users_app.command("disable")
def disable(username: str, workspace: Path = WorkspaceOption) -> None:
    """Disable a user; their open sessions end at once."""
    _set_active(username, False, workspace)


@users_app.command("enable")
def enable(username: str, workspace: Path = WorkspaceOption) -> None:
    """Re-enable a disabled user."""
    _set_active(username, True, workspace)


@users_app.command("role")
def role_(
    username: str,
    role: str = typer.Argument(..., help=f"One of: {', '.join(ROLES)}."),
    agency: str = typer.Option(None, "--agency", help="Partner's agency (one the workspace knows "
                               "from its agreements or records)."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Change a user's role (ends their open sessions). The last active admin cannot be
    demoted."""
    ws = open_workspace(workspace)
    try:
        u = users_mod.set_role(ws, username, role, agency=agency)
        _audit(ws, "users.role", {"username": u.username, "role": u.role.value,
                                  "agency": u.agency})
    except users_mod.UserError as exc:
        fail(str(exc))
    finally:
        ws.close()
    console.print(f"{u.username} is now {u.role.value}{', ' + u.agency if u.agency else ''}.")


@users_app.command("reset")
def reset(
    username: str,
    password_stdin: bool = typer.Option(False, "--password-stdin"),
    workspace: Path = WorkspaceOption,
) -> None:
    """Set a new password (ends the user's open sessions)."""
    ws = open_workspace(workspace)
    try:
        u = users_mod.reset_password(ws, username, _password(password_stdin))
        _audit(ws, "users.reset", {"username": u.username})
    finally:  # a UserError (a VruError) is reported by the CLI
        ws.close()
    console.print(f"Password reset for {u.username}.")


@users_app.command("list")
def list_(
    as_json: bool = typer.Option(False, "--json"),
    workspace: Path = WorkspaceOption,
) -> None:
    """List users, roles and status."""
    ws = open_workspace(workspace, reads_only=True)
    try:
        found = users_mod.list_users(ws)
    finally:
        ws.close()
    if as_json:
        typer.echo(json.dumps([u.as_dict() for u in found], indent=2))
        return
    from rich.table import Table

    t = Table("user", "role", "agency", "status", "last sign-in")
    for u in found:
        t.add_row(u.username, u.role.value, u.agency or "", "active" if u.active else "disabled",
                  str(u.last_login_at or ""))
    console.print(t)
