"""Shared CLI helpers: opening the workspace with clear errors, console output."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from vru.workspace import Workspace, WorkspaceError

console = Console(stderr=False)
err = Console(stderr=True)

WorkspaceOption = typer.Option(
    None, "--workspace", "-w", envvar="VRU_WORKSPACE",
    help="Workspace folder (default: $VRU_WORKSPACE, else ./vru-workspace).",
)


def open_workspace(path: Path | None, read_only: bool = False) -> Workspace:
    try:
        return Workspace.open(path, read_only=read_only)
    except WorkspaceError as exc:
        fail(str(exc))
        raise  # unreachable


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
