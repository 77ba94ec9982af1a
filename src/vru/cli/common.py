"""Shared CLI helpers: opening the workspace with clear errors, console output, progress.

``open_workspace`` is also where a command meets a running `vru serve`: when the server holds
the workspace, the whole command is handed to it (``vru.cli.handover``) and runs there as a job,
with its output and progress streamed back here. Every command that opens the workspace through
this helper gets that for free.
"""

from __future__ import annotations

import contextvars
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from vru.workspace import Workspace, WorkspaceError, default_path


class _Console(Console):
    """A rich console whose ``status`` spinner becomes job progress inside the server."""

    def status(self, status: Any, *args: Any, **kwargs: Any) -> Any:
        from vru.live.jobs import current_job

        job = current_job()
        if job is not None:
            return _JobStatus(job, str(status))
        return super().status(status, *args, **kwargs)


class _JobStatus:
    def __init__(self, job: Any, text: str) -> None:
        self.job = job
        self.job.report(text)

    def update(self, status: Any = None, **_: Any) -> None:
        if status is not None:
            self.job.report(str(status))

    def __enter__(self) -> _JobStatus:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


console = _Console(stderr=False)
err = _Console(stderr=True)

WorkspaceOption = typer.Option(
    None, "--workspace", "-w", envvar="VRU_WORKSPACE",
    help="Workspace folder (default: $VRU_WORKSPACE, else ./vru-workspace).",
)

# Set by the server while it runs a handed-over command: the workspace it owns.
_served: contextvars.ContextVar[Workspace | None] = contextvars.ContextVar("vru_served",
                                                                          default=None)


class _Borrowed:
    """The server's own workspace lent to a command running inside it: closing is a no-op."""

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws

    def close(self) -> None:
        return None

    def __enter__(self) -> _Borrowed:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)


def open_workspace(path: Path | None, read_only: bool = False, reads_only: bool | None = None
                   ) -> Workspace:
    """Open the workspace for a command; when a server holds it, hand the command over.

    ``reads_only``: the command changes nothing in the workspace even if it opens it for
    writing (e.g. to migrate it); the server then runs it beside, not behind, writing jobs.
    Defaults to ``read_only``."""
    served = _served.get()
    if served is not None:
        return _Borrowed(served)  # type: ignore[return-value]
    from vru.live.handle import HandleUnreadable, running_server

    target = Path(path) if path is not None else default_path()
    try:
        server = running_server(target)
    except HandleUnreadable as exc:
        fail(str(exc))
        raise  # unreachable
    if server is not None:
        from vru.cli.handover import hand_over

        hand_over(server, writes=not (read_only if reads_only is None else reads_only))
    try:
        return Workspace.open(path, read_only=read_only)
    except WorkspaceError as exc:
        fail(str(exc))
        raise  # unreachable


def in_server() -> bool:
    """True while a command runs inside `vru serve` as a handed-over job."""
    return _served.get() is not None


def report_progress(text: str) -> None:
    """A progress line: to the job's follower inside the server, to stderr otherwise."""
    from vru.live.jobs import current_job

    job = current_job()
    if job is not None:
        job.report(text)
    else:
        err.print(text, highlight=False)


def print_not_imported(skipped: list[tuple[str, str]]) -> None:
    """The files an import found but did not import, each with the reason."""
    if skipped:
        console.print(f"not imported ({len(skipped)} found):")
        for where, why in skipped:
            # soft_wrap: a long path is never folded mid-name (it stays one line to copy)
            console.print(f"  {where}: {why}", highlight=False, markup=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
