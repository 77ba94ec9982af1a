"""`vru profile`: a problem profile / Strategic Needs Assessment as HTML, PDF and DOCX."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import typer

from vru.cli.common import WorkspaceOption, console, fail, open_workspace

# Registered alone when it is the command invoked (vru.cli: start-up time).
SELF_CONTAINED = True

AREA_OPTION = typer.Option(..., "--area", "-a",
                           help="Local authority, community safety partnership or police force "
                                "(code or name, e.g. E06000055 or Bedford).")
PERIOD_OPTION = typer.Option(..., "--period", "-p",
                             help="Financial year (2023/24) or months (2023-05..2024-04).")
FORMATS_OPTION = typer.Option("html,pdf,docx", "--format", "-f",
                              help="Comma-separated: html, pdf, docx.")
OUT_OPTION = typer.Option(Path("."), "--out", "-o", help="Folder for the files.")
PRIVILEGED_OPTION = typer.Option(
    False, "--privileged",
    help="Show unrounded counts (no disclosure control). Never publish such a document.")


def document_command(builder: Callable[[], Callable], findings: bool, doc: str) -> Callable:
    """A CLI command building one kind of document (``builder()`` returns its build function,
    imported only when the command runs): the profile here, the SNA in ``cmd_sna``."""

    def command(
        area: str = AREA_OPTION,
        period: str = PERIOD_OPTION,
        formats: str = FORMATS_OPTION,
        out: Path = OUT_OPTION,
        privileged: bool = PRIVILEGED_OPTION,
        workspace: Path = WorkspaceOption,
    ) -> None:
        build_and_print(builder(), area, period, formats, out, privileged, workspace, findings)

    command.__doc__ = doc
    return command


def _profile_builder() -> Callable:
    from vru.reports.profile import build_profile

    return build_profile


profile_cmd = document_command(_profile_builder, True,
                               "Build the problem profile for an area and period.")


def register(app: typer.Typer) -> None:
    app.command("profile")(profile_cmd)


def build_and_print(builder, area: str, period: str, formats: str, out: Path, privileged: bool,
                    workspace: Path | None, findings: bool) -> None:
    """Build and render a document (the profile or the SNA) and say what was written."""
    doc, paths, t_build, t_render = build_and_render(builder, area, period, formats, out,
                                                     privileged, workspace)
    console.print(f"[bold]{doc.title}[/] ({doc.subtitle})")
    if privileged:
        console.print("[yellow]privileged: unrounded counts; do not publish[/]")
    for f in doc.findings() if findings else ():
        console.print(f" - {f.text} ({doc.table_ref(f.table_id)})", highlight=False)
    for p in paths:
        console.print(f"wrote {p}")
    console.print(f"built in {t_build:.1f} s, rendered in {t_render:.1f} s", style="dim")


def build_and_render(builder, area: str, period: str, formats: str, out: Path, privileged: bool,
                     workspace: Path | None):
    """Build a document (``builder(ws, area, period, privileged=...)``: the profile or the SNA)
    and render it; returns (document, paths, build seconds, render seconds)."""
    from vru.live.jobs import offload
    from vru.periods import parse_period
    from vru.privacy.access import Actor, disclosure_for
    from vru.reports import parse_formats, render

    try:
        fmts = parse_formats(formats)
        per = parse_period(period)
    except ValueError as exc:
        fail(str(exc))
    ws = open_workspace(workspace, read_only=True)
    try:
        t0 = time.perf_counter()
        # The audience decides exactness through the one disclosure gate; an unknown area is a
        # VruError, reported by the CLI's single handler.
        audience = Actor.operator() if privileged else Actor.public()
        gate = disclosure_for(audience, ws.settings.disclosure)
        doc = builder(ws, area, per, privileged=gate.exact)
        t1 = time.perf_counter()
        # inside `vru serve`, rendering runs in its worker process (requests keep the CPU)
        paths = offload(render, doc, fmts, Path(out).absolute())
        t2 = time.perf_counter()
    finally:
        ws.close()
    return doc, paths, t1 - t0, t2 - t1
