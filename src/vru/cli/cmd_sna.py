"""`vru sna`: the Strategic Needs Assessment: build it, write its narrative sections, sign it off."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from vru.cli.common import WorkspaceOption, console, fail, open_workspace

# Registered alone when it is the command invoked (vru.cli: start-up time).
SELF_CONTAINED = True

sna_app = typer.Typer(help="Strategic Needs Assessment (docs/guide/sna.md).", no_args_is_help=True)

AreaOption = typer.Option(..., "--area", "-a", help="Local authority, community safety "
                          "partnership or police force (code or name).")
PeriodOption = typer.Option(..., "--period", "-p",
                            help="Financial year (2023/24) or months (2023-05..2024-04).")


def register(app: typer.Typer) -> None:
    app.add_typer(sna_app, name="sna")


@sna_app.command("build")
def build(
    area: str = AreaOption,
    period: str = PeriodOption,
    formats: str = typer.Option("html,pdf,docx", "--format", "-f",
                                help="Comma-separated: html, pdf, docx."),
    out: Path = typer.Option(Path("."), "--out", "-o", help="Folder for the files."),
    privileged: bool = typer.Option(False, "--privileged",
                                    help="Unrounded counts (no disclosure control). Never publish."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Build the SNA for an area and period as HTML, PDF and DOCX."""
    from vru.cli.cmd_profile import build_and_render
    from vru.reports.sna import build_sna

    doc, paths, t_build, t_render = build_and_render(build_sna, area, period, formats, out,
                                                     privileged, workspace)
    console.print(f"[bold]{doc.title}[/] ({doc.subtitle})")
    for p in paths:
        console.print(f"wrote {p}")
    console.print(f"built in {t_build:.1f} s, rendered in {t_render:.1f} s", style="dim")


@sna_app.command("narrative")
def narrative(
    area: str = AreaOption,
    period: str = PeriodOption,
    section: str = typer.Option(..., "--section", "-s", help="Narrative section id (see the guide)."),
    text: str = typer.Option("", "--text", help="The section's text (paragraphs apart by a blank "
                                                "line)."),
    file: Path = typer.Option(None, "--file", help="Read the text from this file instead."),
    author: str = typer.Option(..., "--author", help="Who wrote it."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Write (a new version of) one narrative section."""
    from vru.periods import parse_period
    from vru.reports.profile_data import resolve_area
    from vru.reports.sna import NARRATIVE_SECTIONS
    from vru.reports.sna_store import area_key, write_narrative

    body = file.read_text(encoding="utf-8") if file else text
    if not body.strip():
        fail("no text: give --text or --file")
    ws = open_workspace(workspace)
    try:
        key = area_key(resolve_area(ws, area))
        n = write_narrative(ws, key, parse_period(period).label, section, body, author,
                            NARRATIVE_SECTIONS)
    finally:
        ws.close()
    console.print(f"section {n.section}: version {n.version} by {n.author}")


@sna_app.command("signoff")
def signoff(
    area: str = AreaOption,
    period: str = PeriodOption,
    version: str = typer.Option(..., "--version", help="The version signed off, e.g. 1.0."),
    by: str = typer.Option(..., "--by", help="Who signed it off."),
    role: str = typer.Option(..., "--role", help="Their role, e.g. 'Chair, VRU board'."),
    review: str = typer.Option("", "--review-date", help="Review date (YYYY-MM-DD); default a "
                                                         "year on."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Record the partnership's sign-off of a version of the SNA."""
    from vru.periods import parse_period
    from vru.reports.profile_data import resolve_area
    from vru.reports.sna_store import area_key, sign_off

    try:
        review_date = date.fromisoformat(review) if review else None
    except ValueError:
        fail(f"--review-date {review!r} is not a date (YYYY-MM-DD)")
    ws = open_workspace(workspace)
    try:
        key = area_key(resolve_area(ws, area))
        s = sign_off(ws, key, parse_period(period).label, version, by, role, review_date)
    finally:
        ws.close()
    console.print(f"version {s.version} signed off by {s.signed_by} ({s.role}); "
                  f"review by {s.review_date:%d %B %Y}")
