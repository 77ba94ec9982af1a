"""`vru programme ...`: interventions, referrals and their workflow, attendance, reach, funnel,
outcomes. Thin: parse, call, print. Identifiers are asked for at a hidden prompt (never on the
command line, where they would land in shell history)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from vru.cli.common import WorkspaceOption, console, fail, open_workspace

programme_app = typer.Typer(help="The programme: interventions, referrals, reach (docs/guide/"
                            "programme.md).", no_args_is_help=True)
intervention_app = typer.Typer(help="Interventions.", no_args_is_help=True)
referral_app = typer.Typer(help="Referrals and their workflow.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    programme_app.add_typer(intervention_app, name="intervention")
    programme_app.add_typer(referral_app, name="referral")
    app.add_typer(programme_app, name="programme")


@contextmanager
def _ws(workspace: Path | None, read_only: bool = False):
    from vru.privacy.pseudonymise import PseudonymKeyError
    from vru.programme.model import ProgrammeError

    ws = open_workspace(workspace, read_only=read_only)
    try:
        yield ws
    except (ProgrammeError, PseudonymKeyError, ValueError) as exc:
        fail(str(exc))
    finally:
        ws.close()


def audit(ws, action: str, detail: dict) -> None:
    from vru.privacy.audit import AuditLog, Entry

    AuditLog.for_workspace(ws).append(Entry("cli", ws.user_name(), action, None, detail))


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {text}") from None


def _print(rows: list[dict], as_json: bool, title: str = "") -> None:
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        console.print("(none)")
        return
    t = Table(*rows[0].keys(), title=title or None)
    for r in rows:
        t.add_row(*("" if v is None else str(v) for v in r.values()))
    console.print(t)


@programme_app.command("toolkit")
def toolkit_(as_json: bool = typer.Option(False, "--json")) -> None:
    """The YEF Toolkit strands, with their published impact band and estimate."""
    from vru.programme import toolkit

    rows = [{"strand": s.strand, "title": s.title, "band": s.band,
             "impact_pct": s.impact_pct, "note": s.note}
            for s in toolkit.strands().values()]
    _print(rows, as_json, f"YEF Toolkit ({toolkit.CURRENT}, as of {toolkit.AS_OF[toolkit.CURRENT]})")


@intervention_app.command("add")
def intervention_add(
    code: str = typer.Option(..., "--code"), name: str = typer.Option(..., "--name"),
    theme: str = typer.Option(..., "--theme", help="One of the workspace's programme.themes."),
    level: str = typer.Option(..., "--level", help="primary | secondary | tertiary"),
    strand: str = typer.Option(..., "--strand", help="YEF strand (vru programme toolkit)."),
    provider: str = typer.Option(..., "--provider"),
    area: list[str] = typer.Option(..., "--area", help="Area served (repeat)."),
    start: str = typer.Option(..., "--start"), end: str = typer.Option(None, "--end"),
    capacity: int = typer.Option(None, "--capacity"),
    cost_per_place: str = typer.Option(None, "--cost-per-place", help="Pounds, e.g. 1250.00"),
    delivery: str = typer.Option("one_to_one", "--delivery",
                                 help="one_to_one | group | universal"),
    setting: str = typer.Option(None, "--setting"),
    workspace: Path = WorkspaceOption,
) -> None:
    """Add an intervention."""
    from vru.programme.model import Intervention, add_intervention

    with _ws(workspace) as ws:
        iid = add_intervention(ws, Intervention(code, name, theme, level, strand, provider, area,
                                                _date(start), _date(end), capacity,
                                                cost_per_place, delivery, setting))
        audit(ws, "programme.intervention.add", {"code": code, "id": iid})
    console.print(f"Added intervention {code} (id {iid}).")


@intervention_app.command("list")
def intervention_list(fy: str = typer.Option(None, "--fy"),
                      as_json: bool = typer.Option(False, "--json"),
                      workspace: Path = WorkspaceOption) -> None:
    """Interventions with referrals, starts, completions, people, spend, cost per person."""
    from vru.programme import stats
    from vru.programme.model import gbp

    with _ws(workspace, read_only=True) as ws:
        rows = stats.interventions(ws, fy)
    if not as_json:
        rows = [{"code": r["code"], "theme": r["theme"], "strand": r["yef_strand"],
                 "band": r["band"], "referrals": r["referrals"], "starts": r["starts"],
                 "completions": r["completions"], "people": r["people"],
                 "universal": r["universal_reach"], "spent": gbp(r["spent_pence"]),
                 "per person": gbp(r["cost_per_person_pence"])} for r in rows]
    _print(rows, as_json, "Interventions")


@referral_app.command("add")
def referral_add(
    intervention: str = typer.Option(..., "--intervention", help="Intervention code."),
    agency: str = typer.Option(..., "--agency", help="Referring agency."),
    on: str = typer.Option(..., "--date", help="Referral date YYYY-MM-DD."),
    reason: list[str] = typer.Option(..., "--reason", help="Reason (repeat)."),
    age: int = typer.Option(None, "--age"), sex: str = typer.Option(None, "--sex"),
    ethnicity: str = typer.Option(None, "--ethnicity"), area: str = typer.Option(None, "--area"),
    workspace: Path = WorkspaceOption,
) -> None:
    """Add a referral; identifiers are asked for at hidden prompts (leave blank to skip)."""
    from vru.programme.model import intervention_by_code
    from vru.programme.people import PersonIds
    from vru.programme.workflow import NewReferral, create_referral

    ids = PersonIds(**{k: typer.prompt(label, default="", hide_input=True,
                                       show_default=False) or None
                       for k, label in (("nhs_number", "NHS number"), ("pnc_id", "PNC ID"),
                                        ("upn", "Unique pupil number"), ("forename", "Forename"),
                                        ("surname", "Surname"),
                                        ("date_of_birth", "Date of birth"),
                                        ("postcode", "Home postcode"))})
    with _ws(workspace) as ws:
        rid = create_referral(ws, NewReferral(intervention_by_code(ws, intervention), agency,
                                              _date(on), reason, ids, age, sex, ethnicity, area),
                              ws.user_name())
        audit(ws, "programme.referral.add", {"referral_id": rid})
    console.print(f"Referral {rid} received (version 1).")


@referral_app.command("move")
def referral_move(
    referral_id: int, status: str,
    on: str = typer.Option(..., "--date"), version: int = typer.Option(..., "--version",
                                                                       help="The version you read"),
    reason: str = typer.Option(None, "--reason"), workspace: Path = WorkspaceOption,
) -> None:
    """Move a referral along the workflow (received -> assessed -> accepted/declined -> engaged
    -> completed/disengaged)."""
    from vru.programme.workflow import move

    with _ws(workspace) as ws:
        v = move(ws, referral_id, status, _date(on), ws.user_name(), version, reason)
        audit(ws, "programme.referral.move", {"referral_id": referral_id, "to": status})
    console.print(f"Referral {referral_id} is now {status} (version {v}).")


@referral_app.command("attend")
def referral_attend(
    referral_id: int, on: str = typer.Option(..., "--date"),
    version: int = typer.Option(..., "--version"),
    missed: bool = typer.Option(False, "--missed", help="The session was not attended."),
    minutes: int = typer.Option(None, "--minutes"), workspace: Path = WorkspaceOption,
) -> None:
    """Record a one-to-one session."""
    from vru.programme.workflow import record_attendance

    with _ws(workspace) as ws:
        v = record_attendance(ws, referral_id, _date(on), not missed, ws.user_name(), version,
                              minutes)
        audit(ws, "programme.referral.attend", {"referral_id": referral_id})
    console.print(f"Session recorded for referral {referral_id} (version {v}).")


@referral_app.command("show")
def referral_show(referral_id: int, as_json: bool = typer.Option(False, "--json"),
                  workspace: Path = WorkspaceOption) -> None:
    """A referral, its history and sessions."""
    from vru.programme import workflow

    with _ws(workspace, read_only=True) as ws:
        ref = workflow.get_referral(ws, referral_id)
        hist = workflow.history(ws, referral_id)
        sessions = workflow.attendance(ws, referral_id)
    if as_json:
        typer.echo(json.dumps({"referral": ref, "history": hist, "sessions": sessions},
                              indent=2, default=str))
        return
    _print([ref], False, f"Referral {referral_id}")
    _print(hist, False, "History")
    _print(sessions, False, "Sessions")


@referral_app.command("list")
def referral_list(status: str = typer.Option(None, "--status"),
                  provider: str = typer.Option(None, "--provider"),
                  limit: int = typer.Option(50, "--limit", "-n"),
                  as_json: bool = typer.Option(False, "--json"),
                  workspace: Path = WorkspaceOption) -> None:
    """Referrals, newest first."""
    from vru.programme import workflow

    with _ws(workspace, read_only=True) as ws:
        rows = workflow.list_referrals(ws, provider=provider, status=status, limit=limit)
    if not as_json:
        rows = [{k: r[k] for k in ("referral_id", "intervention", "provider", "referral_date",
                                   "status", "status_date", "version")} for r in rows]
    _print(rows, as_json, "Referrals")


@programme_app.command("reach")
def reach(by: str = typer.Option("", "--by", help="Comma-separated: theme, intervention, "
                                  "provider, area, age_band, sex, ethnicity."),
          fy: str = typer.Option(None, "--fy"), quarter: int = typer.Option(None, "--quarter"),
          as_json: bool = typer.Option(False, "--json"),
          workspace: Path = WorkspaceOption) -> None:
    """Young people reached (distinct people engaged) by the chosen dimensions."""
    from vru.programme import stats

    dims = tuple(d.strip() for d in by.split(",") if d.strip())
    with _ws(workspace, read_only=True) as ws:
        rows = stats.reach(ws, dims, fy, quarter)
    _print(rows, as_json, "Young people reached (distinct)")


@programme_app.command("funnel")
def funnel(fy: str = typer.Option(None, "--fy"),
           intervention: str = typer.Option(None, "--intervention"),
           as_json: bool = typer.Option(False, "--json"),
           workspace: Path = WorkspaceOption) -> None:
    """The referral funnel: stages, conversion, completion rate, median waiting days."""
    from vru.programme import stats
    from vru.programme.model import intervention_by_code

    with _ws(workspace, read_only=True) as ws:
        iid = intervention_by_code(ws, intervention) if intervention else None
        f = stats.funnel(ws, fy, iid)
    if as_json:
        typer.echo(json.dumps(f, indent=2, default=str))
        return
    _print(f["stages"], False, "Referral funnel")
    console.print(f"declined {f['declined']}, disengaged {f['disengaged']} (of whom dropped out "
                  f"after engaging {f['dropped_out']}); completion rate "
                  f"{f['completion_pct']}%; median days {f['median_days']}")


@programme_app.command("outcomes")
def outcomes_(intervention: str, as_json: bool = typer.Option(False, "--json"),
              workspace: Path = WorkspaceOption) -> None:
    """Participants' outcomes from linked data: new offences, ED attendances, exclusions in the
    6 and 12 months after starting, against their own 12 months before."""
    from vru.programme import outcomes
    from vru.programme.model import intervention_by_code

    with _ws(workspace, read_only=True) as ws:
        rows = outcomes.before_after(ws, intervention_by_code(ws, intervention))
    _print(rows, as_json, f"Outcomes of {intervention} participants")
