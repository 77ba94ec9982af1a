"""`vru profile`: a problem profile / Strategic Needs Assessment as HTML, PDF and DOCX."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from vru.cli.common import WorkspaceOption, console, fail, open_workspace

# Registered alone when it is the command invoked (vru.cli: start-up time).
SELF_CONTAINED = True


def register(app: typer.Typer) -> None:
    app.command("profile")(profile_cmd)


def profile_cmd(
    area: str = typer.Option(..., "--area", "-a",
                             help="Local authority, community safety partnership or police force "
                                  "(code or name, e.g. E06000055 or Bedford)."),
    period: str = typer.Option(..., "--period", "-p",
                               help="Financial year (2023/24) or months (2023-05..2024-04)."),
    formats: str = typer.Option("html,pdf,docx", "--format", "-f",
                                help="Comma-separated: html, pdf, docx."),
    out: Path = typer.Option(Path("."), "--out", "-o", help="Folder for the files."),
    privileged: bool = typer.Option(
        False, "--privileged",
        help="Show unrounded counts (no disclosure control). Never publish such a profile."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Build the problem profile for an area and period."""
    from vru.reports.profile import build_profile

    doc, paths, t_build, t_render = build_and_render(build_profile, area, period, formats, out,
                                                     privileged, workspace)
    console.print(f"[bold]{doc.title}[/] ({doc.subtitle})")
    if privileged:
        console.print("[yellow]privileged profile: unrounded counts; do not publish[/]")
    for f in doc.findings():
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
