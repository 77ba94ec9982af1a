"""`vru tags match|breaches|alerts`: GPS tag trails against crimes, zone breaches, alerts
(docs/guide/tags.md). Every listing or export needs ``--reason`` and is audited with it."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.table import Table

from vru.cli.common import WorkspaceOption, console, fail, open_workspace

tags_app = typer.Typer(help="GPS tagging: crime-scene matches, zone breaches, alerts.",
                       no_args_is_help=True)

MATCH_COLUMNS = ("crime_reference", "person_id", "closest_m", "minutes_within", "first_seen",
                 "last_seen")
EPISODE_COLUMNS = ("person_id", "zone_id", "kind", "start", "end")
ReasonOption = typer.Option(..., "--reason", help="Why you are looking (written to the audit log).")
PersonOption = typer.Option(None, "--person", help="Only this person (pseudonym).")


def _export_option(what: str):
    return typer.Option(None, "--export", help=f"Write one row per {what} to this CSV.")


def _run_option(help_: str):
    return typer.Option(True, "--run/--no-run", help=help_)


def register(app: typer.Typer) -> None:
    app.add_typer(tags_app, name="tags")


def _local(ts) -> str:
    from vru.clock import to_local

    return "" if ts is None else to_local(ts).isoformat(timespec="seconds")


def _gate(ws, action: str, reason: str) -> None:
    """The CLI runs as whoever holds the workspace; still, no EM agreement, no EM results."""
    from vru.privacy.em_access import em_agencies

    if not reason.strip():
        fail("give a reason (--reason): every view of electronic-monitoring data is audited")
    _, ok = em_agencies(ws.reader())
    if not ok:
        fail("no em_gps data-sharing agreement in force covers electronic monitoring "
             "(add one whose purposes include 'electronic monitoring')")


@contextmanager
def _gated(workspace: Path | None, action: str, reason: str) -> Iterator:
    """The workspace, once the reason and the agreement allow ``action``; closed after."""
    ws = open_workspace(workspace)
    try:
        _gate(ws, action, reason)
        yield ws
    finally:
        ws.close()


def _show(ws, action: str, reason: str, detail: dict, rows: list[dict], export: Path | None,
          columns: tuple[str, ...], shown: tuple[str, ...], title: str) -> None:
    """Audit the view, then write the CSV (``columns``) or print the table (``shown``)."""
    _audit(ws, action, reason, {**detail, "rows": len(rows),
                                "export": str(export) if export else None})
    if export:
        _write(export, columns, rows)
        console.print(f"Wrote {len(rows)} rows to {export}.")
    else:
        _table(rows, shown, title)


def _audit(ws, action: str, reason: str, detail: dict) -> None:
    from vru.privacy.audit import AuditLog, Entry

    AuditLog.for_workspace(ws).append(Entry("access", ws.user_name(), action, None,
                                            {"reason": reason, "channel": "cli", **detail}))


def _settings(ws, radius, window, max_gap):
    from dataclasses import replace

    s = ws.settings.tags
    if radius is not None:
        s = replace(s, radius_m=radius)
    if window is not None:
        s = replace(s, window_minutes=window)
    if max_gap is not None:
        s = replace(s, max_gap_minutes=max_gap)
    return s


def _table(rows: list[dict], cols: tuple[str, ...], title: str) -> None:
    if not rows:
        console.print("(none)")
        return
    t = Table(*cols, title=title)
    for r in rows:
        t.add_row(*("" if r.get(c) is None else str(r[c]) for c in cols))
    console.print(t)


def _write(path: Path, cols: tuple[str, ...], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


@tags_app.command("match")
def match(
    reason: str = ReasonOption,
    crime: str = typer.Option(None, "--crime", help="Only this crime reference."),
    person: str = PersonOption,
    export: Path = _export_option("match"),
    run: bool = _run_option("Bring matches up to date first."),
    full: bool = typer.Option(False, "--full", help="Recompute everything (not incremental)."),
    radius: float = typer.Option(None, "--radius", help="D in metres (default: tags.radius_m)."),
    window: float = typer.Option(None, "--window", help="T in minutes (tags.window_minutes)."),
    max_gap: float = typer.Option(None, "--max-gap", help="Minutes (tags.max_gap_minutes)."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Tagged people whose trail was within D of a crime scene during its window (+/- T)."""
    from vru.analysis.tags import store

    with _gated(workspace, "tags.matches", reason) as ws:
        if run:
            r = store.run_match(ws, _settings(ws, radius, window, max_gap), incremental=not full)
            console.print(f"Matching ({r.mode}): {r.rows} matches over {r.crimes} crimes and "
                          f"{r.people} tagged people in {r.seconds:.1f} s.")
        rows = [{**m, "crime_reference": m["crime_id"], "person_id": m["person_pid"],
                 "closest_m": round(m["closest_m"], 1), "minutes_within": round(m["minutes_within"], 1),
                 "first_seen": _local(m["first_seen_utc"]), "last_seen": _local(m["last_seen_utc"])}
                for m in store.matches(ws, crime, person)]
        _show(ws, "tags.matches", reason, {"crime": crime, "person": person}, rows, export,
              MATCH_COLUMNS, MATCH_COLUMNS, "Tag matches (closest first)")
        unknown = store.unknowns(ws, crime, person)
        if unknown and not export:
            console.print(f"{len(unknown)} (crime, person) pairs with whereabouts unknown "
                          "(a silence in the window): see the web page or --crime.")


@tags_app.command("breaches")
def breaches(
    reason: str = ReasonOption,
    person: str = PersonOption,
    kind: str = typer.Option(None, "--kind", help="exclusion | inclusion | no_signal"),
    export: Path = _export_option("episode"),
    run: bool = _run_option("Recompute episodes first."),
    workspace: Path = WorkspaceOption,
) -> None:
    """Exclusion-zone entries, absences from inclusion zones and no-signal episodes."""
    from vru.analysis.tags import store

    if kind and kind not in ("exclusion", "inclusion", "no_signal"):
        fail("--kind is exclusion, inclusion or no_signal")
    with _gated(workspace, "tags.breaches", reason) as ws:
        if run:
            r = store.run_breaches(ws)
            console.print(f"Episodes: {r.rows} for {r.people} tagged people in {r.seconds:.1f} s.")
        rows = [{**e, "person_id": e["person_pid"], "zone_id": e["zone_id"] or "",
                 "start": _local(e["start_utc"]), "end": _local(e["end_utc"]),
                 "minutes": round(e["minutes"], 1),
                 "max_depth_m": None if e["max_depth_m"] is None else round(e["max_depth_m"], 1)}
                for e in store.episodes(ws, person, kind)]
        _show(ws, "tags.breaches", reason, {"person": person, "kind": kind}, rows, export,
              EPISODE_COLUMNS, (*EPISODE_COLUMNS, "minutes", "max_depth_m", "severity"), "Episodes")


@tags_app.command("alerts")
def alerts(
    reason: str = ReasonOption,
    state: str = typer.Option(None, "--state", help="raised | acknowledged | actioned | closed"),
    alert: int = typer.Option(None, "--alert", help="The alert to move on (with --to, --note)."),
    to: str = typer.Option(None, "--to", help="acknowledged | actioned | closed"),
    note: str = typer.Option(None, "--note", help="What was done (required with --to)."),
    workspace: Path = WorkspaceOption,
) -> None:
    """The alert list; --alert ID --to STATE --note TEXT moves one on (who and why recorded)."""
    from vru.analysis.tags import store

    with _gated(workspace, "tags.alerts", reason) as ws:
        if alert is not None or to is not None:
            if alert is None or to is None:
                fail("give both --alert ID and --to STATE")
            done = store.update_alert(ws, alert, to, ws.user_name(), note or "")
            _audit(ws, "tags.alert_update", reason, {**done, "note": note})
            console.print(f"Alert {done['alert_id']}: {done['from']} -> {done['to']}.")
            return
        rows = [{**a, "start": _local(a["start_utc"]), "zone_id": a["zone_id"] or ""}
                for a in store.alerts(ws, state)]
        _show(ws, "tags.alerts", reason, {"state": state}, rows, None, (),
              ("alert_id", "person_pid", "zone_id", "kind", "start", "severity", "state",
               "updated_by"), "Alerts")
