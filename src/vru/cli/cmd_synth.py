"""`vru synth OUT`: write a synthetic VRU world (police, partners, geography, ground truth)."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from vru.cli.common import console, fail


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)


def synth(
    out: Path = typer.Argument(..., help="Folder to write (replaced if it holds an earlier "
                                         "world)."),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives identical files."),
    scale: float = typer.Option(1.0, "--scale", min=0.01,
                                help="Multiplies crime and partner volumes (1 = ~136k crimes a "
                                     "year for ~1.5M residents)."),
    years: int = typer.Option(3, "--years", min=1, max=20, help="Financial years to generate."),
    start_year: int = typer.Option(2021, "--start-year",
                                   help="First financial year starts 1 April of this year."),
    no_crime_truth: bool = typer.Option(False, "--no-crime-truth",
                                        help="Skip the per-crime truth files (large at big "
                                             "scales)."),
    no_partners: bool = typer.Option(False, "--no-partners",
                                     help="Police and geography files only (no partner files)."),
    set_: list[str] = typer.Option(None, "--set", help="Any parameter, e.g. --set "
                                   "partners.ed_unknown_to_police=0.8 (repeat; see "
                                   "docs/guide/synth.md)."),
) -> None:
    """Generate a seeded, deterministic synthetic force area with ground truth.

    See docs/guide/synth.md.
    """
    from vru.synth.generate import generate
    from vru.synth.params import SynthParams

    params = SynthParams(seed=seed, scale=scale, years=years, start_year=start_year)
    for item in set_ or []:
        key, sep, value = item.partition("=")
        if not sep:
            fail(f"--set {item!r}: expected KEY=VALUE")
        try:
            params.set(key.strip(), value.strip())
        except ValueError as exc:
            fail(str(exc))
    t0 = time.perf_counter()
    try:
        with console.status("Generating...") as status:
            def progress(stage: str, done: int, total: int) -> None:
                status.update(f"{stage}: {done}/{total}")
            summary = generate(out, params, progress=progress, crime_truth=not no_crime_truth,
                               partners=not no_partners)
    except FileExistsError as exc:
        fail(str(exc))
    console.print(
        f"Wrote a synthetic world to [bold]{out}[/] in {time.perf_counter() - t0:.1f} s: "
        f"{summary.zones:,} zones, {summary.crimes:,} crimes over {summary.months} months."
    )
    for name, n in sorted(summary.files.items()):
        console.print(f"  {name}: {n:,}")
    console.print(f"Ground truth: {out / 'truth'}  (parameters.json, hotspots.csv, ...)")
