"""`vru sna`: the Strategic Needs Assessment: build it, write its narrative sections, sign it off."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from vru.cli.cmd_profile import AREA_OPTION, PERIOD_OPTION, document_command
from vru.cli.common import WorkspaceOption, console, fail, open_workspace

# Registered alone when it is the command invoked (vru.cli: start-up time).
SELF_CONTAINED = True

sna_app = typer.Typer(help="Strategic Needs Assessment (docs/guide/sna.md).", no_args_is_help=True)

def register(app: typer.Typer) -> None:
    app.add_typer(sna_app, name="sna")


def _sna_builder():
    from vru.reports.sna import build_sna

    return build_sna


sna_app.command("build")(document_command(
    _sna_builder, False, "Build the SNA for an area and period as HTML, PDF and DOCX."))


@sna_app.command("narrative")
def narrative(
    area: str = AREA_OPTION,
    period: str = PERIOD_OPTION,
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
    area: str = AREA_OPTION,
    period: str = PERIOD_OPTION,
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
