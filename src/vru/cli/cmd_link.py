"""`vru link train|run|status|explain|export|quality`: cross-agency record linkage
(docs/guide/linkage.md). Person-level commands need an admin or analyst user (``--user`` or
``$VRU_USER``) and agreements whose purposes cover linkage; each is audited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from vru.cli.common import WorkspaceOption, console, fail, open_workspace

link_app = typer.Typer(help="Cross-agency record linkage (Splink) into persons.",
                       no_args_is_help=True)
UserOption = typer.Option(None, "--user", "-u", envvar="VRU_USER",
                          help="Your vru user (admin or analyst); default $VRU_USER.")
EngineOption = typer.Option("duckdb", "--engine", help="duckdb (default) or spark (vru[spark]).")


def register(app: typer.Typer) -> None:
    app.add_typer(link_app, name="link")


@contextmanager
def _person_level(workspace: Path, user: str | None, action: str) -> Iterator[tuple[Any, str]]:
    """The workspace and the user's role, for a person-level action the user may do; closed
    after. A refusal or a LinkageError is a VruError: the CLI reports it once."""
    from vru.linkage.access import require

    ws = open_workspace(workspace)
    try:
        yield ws, require(ws, user, action)
    finally:
        ws.close()


@link_app.command("train")
def train(workspace: Path = WorkspaceOption, user: str = UserOption,
          bloom: bool = typer.Option(True, "--bloom/--no-bloom",
                                     help="Also compare names by keyed Bloom filters (Dice)."),
          engine: str = EngineOption) -> None:
    """Train a new model version (u by random sampling, m by EM) on all match features."""
    from vru.linkage import access, service

    with _person_level(workspace, user, "linkage.train") as (ws, role):
        with console.status("training the linkage model..."):
            version, params, seconds = service.train_model(ws, bloom=bloom, engine=engine,
                                                           user=user)
        access.audit(ws, user, role, "linkage.train",
                     {"model_version": version, "engine": engine, "bloom": bloom})
    console.print(f"model version {version} trained in {seconds:.1f} s "
                  f"(lambda {params.lambda_:.3g})")
    t = Table(title="match weights by level (log2 m/u)")
    for col in ("comparison", "level", "m", "u", "weight"):
        t.add_column(col, justify="left" if col in ("comparison", "level") else "right")
    import math

    for name, levels in params.comparisons.items():
        for lv in levels:
            if lv.m is None or lv.u is None:
                continue
            m, u = (1e-6 if isinstance(x, str) else float(x) for x in (lv.m, lv.u))
            t.add_row(name, lv.label, f"{m:.4f}", f"{u:.6f}", f"{math.log2(m / u):+.2f}")
    console.print(t)


@link_app.command("run")
def run(workspace: Path = WorkspaceOption, user: str = UserOption,
        threshold: float = typer.Option(None, "--threshold", "-t",
                                        help="Match probability at or above which two records "
                                             "are one person (default: last run's, else 0.99)."),
        mode: str = typer.Option("auto", "--mode",
                                 help="auto (incremental when possible), full or incremental."),
        engine: str = EngineOption) -> None:
    """Link every record into persons (person_links); new files link incrementally."""
    from vru.linkage import access, service

    with _person_level(workspace, user, "linkage.run") as (ws, role):
        with console.status("linking..."):
            s = service.run_linkage(ws, threshold, mode, engine, user=user)
        access.audit(ws, user, role, "linkage.run",
                     {"run_id": s.run_id, "kind": s.kind, "engine": engine,
                      "model_version": s.model_version, "threshold": s.threshold,
                      "records": s.records, "persons": s.persons, "changes": s.changes})
    console.print(f"run {s.run_id} ({s.kind}, {s.engine}, model {s.model_version}, threshold "
                  f"{s.threshold}): {s.records} records ({s.new_records} new) -> {s.persons} "
                  f"persons; {s.pairs} scored pairs")
    c = s.changes
    if c.get("records_compared"):
        console.print(f"changes against the previous links: {c['persons_unchanged']} persons "
                      f"unchanged, {c['persons_merged']} merged, {c['persons_split']} split, "
                      f"{c['records_moved']} records moved")


@link_app.command("status")
def status(workspace: Path = WorkspaceOption,
           as_json: bool = typer.Option(False, "--json", help="Machine-readable.")) -> None:
    """Linkage quality and coverage (aggregates only)."""
    from vru.linkage import service

    ws = open_workspace(workspace)
    try:
        st = service.status(ws)
    finally:
        ws.close()
    if as_json:
        console.print_json(json.dumps(st, default=str))
        return
    t = Table(title=f"linkage: {st['records']} records, {st['pending_records']} not yet linked")
    for col in ("source", "records", "linked", "unlinked", "alone"):
        t.add_column(col, justify="left" if col == "source" else "right")
    for s in st["sources"]:
        t.add_row(s["source"], str(s["records"]), str(s["linked"]), str(s["unlinked"]),
                  str(s["alone"]))
    console.print(t)
    r = st["last_run"]
    if r:
        console.print(f"last run {r['run_id']} ({r['kind']}, model {r['model_version']}, "
                      f"threshold {r['threshold']}): {r['persons']} persons")
    if st["cluster_sizes"]:
        console.print("records per person: " + ", ".join(
            f"{c['size']}: {c['persons']}" for c in st["cluster_sizes"]))


@link_app.command("explain")
def explain(source: str = typer.Argument(..., help="source of the record, e.g. admissions"),
            file: str = typer.Argument(..., help="the imported file's name"),
            row: int = typer.Argument(..., help="row number in that file (1 = first data row)"),
            other: list[str] = typer.Option(None, "--with", help="SOURCE FILE ROW of the other "
                                            "record (default: its strongest link)"),
            svg: Path = typer.Option(None, "--svg", help="Also write the waterfall chart as SVG."),
            workspace: Path = WorkspaceOption, user: str = UserOption) -> None:
    """Why a record is linked (Splink's waterfall of comparison levels; no values shown)."""
    from vru.linkage import access, service

    if other and len(other) != 3:
        fail("--with takes SOURCE FILE ROW (use it three times, or quote)")
    with _person_level(workspace, user, "linkage.explain") as (ws, role):
        e = service.explain_record(ws, source, file, row, tuple(other) if other else None)
        access.audit(ws, user, role, "linkage.explain",
                     {"record_key_l": e.record_key_l, "record_key_r": e.record_key_r})
    console.print(e.text(), highlight=False)
    if svg:
        svg.write_text(e.svg())
        console.print(f"waterfall chart: {svg}")


@link_app.command("export")
def export(out: Path = typer.Option(..., "--out", "-o", help="CSV file to write."),
           workspace: Path = WorkspaceOption, user: str = UserOption) -> None:
    """One row per linked record: source, file, row_number, person_id, match_probability."""
    from vru.linkage import access, service

    with _person_level(workspace, user, "linkage.export") as (ws, role):
        df = service.export_links(ws)
        access.audit(ws, user, role, "linkage.export", {"rows": len(df), "out": str(out)})
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    console.print(f"{len(df)} linked records, {df['person_id'].nunique()} persons -> {out}")


@link_app.command("quality")
def quality(people: int = typer.Option(5000, "--people", help="synthetic people"),
            noise: float = typer.Option(1.0, "--noise", help="noise scale (2 = double noise)"),
            seed: int = typer.Option(1, "--seed"),
            threshold: float = typer.Option(0.99, "--threshold"),
            bloom: bool = typer.Option(True, "--bloom/--no-bloom")) -> None:
    """Splink and the deterministic baseline on synthetic identities, scored against the
    planted truth (pairwise, B-cubed, by name origin and sex). Needs no workspace."""
    import secrets

    import duckdb
    from splink import DuckDBAPI

    from vru.linkage.quality import format_report, run_quality
    from vru.synth.identities import synthetic_linkage_set

    recs, _ = synthetic_linkage_set(people=people, seed=seed, noise_scale=noise)
    con = duckdb.connect()  # Splink's scratch engine; no workspace is involved
    con.execute("SET enable_progress_bar = false")
    try:
        with console.status(f"linking {len(recs)} synthetic records..."):
            r = run_quality(recs, secrets.token_bytes(32), DuckDBAPI(connection=con),
                            threshold=threshold, bloom=bloom)
    finally:
        con.close()
    console.print(format_report(r), highlight=False, soft_wrap=True)
