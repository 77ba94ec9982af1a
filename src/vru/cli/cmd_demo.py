"""`vru demo`: the whole product in one command, on a synthetic force area.

Builds the world and the workspace through the importers users use (vru.synth.demo), then runs
the analyses that exist in this build through the same commands a user types (`vru profile`,
`vru hotspots ...`), and prints what to open next. A step that fails is reported with its error
and makes the command exit non-zero; steps whose command is not in this build are listed as such.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from vru.cli.common import console, err, fail

DEFAULT_WORKSPACE = Path("vru-demo")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def _find(root: Any, path: list[str]) -> Any:
    """The (click) command at `path` under the root group, or None when not in this build."""
    cmd = root
    for name in path:
        cmd = getattr(cmd, "commands", {}).get(name)
        if cmd is None:
            return None
    return cmd


def _has_option(cmd: Any, name: str) -> bool:
    return any(name in getattr(p, "opts", []) for p in cmd.params)


def hotspot_steps(ws: Path) -> list[tuple[str, list[str]]]:
    """Hotspot analyses: (title, argv after `vru`). Run on the data.police.uk crimes."""
    w = ["--workspace", str(ws)]
    return [
        ("Where serious violence concentrates", ["hotspots", "concentration", *w]),
        ("Getis-Ord Gi* hot spots", ["hotspots", "gistar", *w]),
        ("Emerging hot spots (by quarter)", ["hotspots", "emerging", "--step", "quarter", *w]),
        # police.uk rows carry months only: the default time bands are then whole months
        # (same month, 1, 2, 3 months apart).
        ("Near repeats (Knox test, last 12 months)",
         ["hotspots", "nearrepeat", "--from", "2023-04", "--permutations", "49", *w]),
        ("Hot spot patrol plan", ["hotspots", "plan", *w]),
        # the forecast against the count baseline, two months evaluated on the last 18
        # (small: the demo stays fast; the full 36 months doubled the step with gbm's pooled
        # 24-month training window)
        ("Forecast backtest (gbm vs 12-month count)",
         ["hotspots", "backtest", "--size", "250", "--from", "2022-10", "--eval-months", "2",
          "--methods", "count,gbm", *w]),
    ]


def profile_steps(ws: Path) -> list[tuple[str, list[str]]]:
    """Problem profiles, run once every source is in."""
    w = ["--workspace", str(ws)]
    out = ws / "exports" / "profile"
    return [
        ("Problem profile for Kingsmere, 2023/24",
         ["profile", "--area", "Kingsmere", "--period", "2023/24", "--format", "html,pdf,docx",
          "--out", str(out), *w]),
        ("Problem profile for the force area, 2023/24",
         ["profile", "--area", "Kingsmere Police", "--period", "2023/24", "--format", "html",
          "--out", str(out), *w]),
        ("SNA narrative: priorities for Kingsmere",
         ["sna", "narrative", "--area", "Kingsmere", "--period", "2023/24", "--section",
          "summary", "--author", "Demo analyst", "--text",
          "Priorities: night-time economy violence in the town centre, and young people "
          "excluded from school.", *w]),
        ("SNA sign-off (version 0.1, demo)",
         ["sna", "signoff", "--area", "Kingsmere", "--period", "2023/24", "--version", "0.1",
          "--by", "Demo chair", "--role", "Chair, VRU board", *w]),
        ("Strategic Needs Assessment for Kingsmere, 2023/24",
         ["sna", "build", "--area", "Kingsmere", "--period", "2023/24", "--format", "html",
          "--out", str(out), *w]),
    ]


def programme_steps(ws: Path) -> list[tuple[str, list[str]]]:
    """The programme and its money, once the providers' returns are in."""
    w = ["--workspace", str(ws)]
    return [
        ("Referral funnel, 2023/24", ["programme", "funnel", "--fy", "2023-24", *w]),
        ("Young people reached by theme, 2023/24",
         ["programme", "reach", "--by", "theme", "--fy", "2023-24", *w]),
        ("Funding reconciliation, 2023/24", ["funding", "check", "--fy", "2023-24", *w]),
        ("Quarterly monitoring return, 2023/24 Q4",
         ["funding", "return", "--fy", "2023-24", "--quarter", "4", *w]),
        ("Board finance summary, 2023/24", ["funding", "board", "--fy", "2023-24", *w]),
    ]


def tags_steps(ws: Path) -> list[tuple[str, list[str]]]:
    """GPS tagging: tag trails against the force extract's crimes, zone breaches and silences."""
    w = ["--workspace", str(ws)]
    out = ws / "exports" / "tags"
    return [
        ("GPS tags: who was near a crime scene at the time",
         ["tags", "match", "--reason", "vru demo", "--export", str(out / "matches.csv"), *w]),
        ("GPS tags: zone breaches and no-signal episodes",
         ["tags", "breaches", "--reason", "vru demo", "--export", str(out / "episodes.csv"), *w]),
    ]


def linkage_steps(ws: Path, user: str) -> list[tuple[str, list[str]]]:
    """Record linkage across the partner sources (docs/guide/linkage.md)."""
    w = ["--workspace", str(ws)]
    return [
        ("Train the record linkage model", ["link", "train", "--user", user, *w]),
        ("Link records into persons", ["link", "run", "--user", user, *w]),
        ("Linkage quality", ["link", "status", *w]),
    ]


@dataclass
class StepLog:
    failures: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def run_steps(steps: list[tuple[str, list[str]]], log: StepLog) -> None:
    """Run each step through the CLI, as a user would type it. A failing step is reported with
    its error (and fails the demo at the end); a command not in this build is listed."""
    import typer.main

    from vru.cli import app

    root = typer.main.get_command(app)
    for title, argv in steps:
        path = argv[:2] if argv[0] in ("hotspots", "link") else argv[:1]
        cmd = _find(root, path)
        if cmd is None:
            log.missing.append(f"{title} (`vru {' '.join(path)}` is not in this build)")
            continue
        if argv[0] == "hotspots" and _has_option(cmd, "--source"):
            argv = [*argv, "--source", "police_uk"]
        console.rule(f"{title}: vru {' '.join(argv)}", style="dim")
        t = time.perf_counter()
        try:
            code = root.main(argv, prog_name="vru", standalone_mode=False)
        except Exception as exc:  # noqa: BLE001 - reported here and in the exit code
            err.print(f"[bold red]{title} failed:[/] {type(exc).__name__}: {exc}")
            err.print(traceback.format_exc(), highlight=False, markup=False)
            log.failures.append(title)
            continue
        if code not in (None, 0):
            log.failures.append(f"{title} (exit code {code})")
        log.timings[title] = time.perf_counter() - t
        console.print(f"[dim]{title}: {log.timings[title]:.1f} s[/]")


def demo(
    workspace: Path = typer.Option(DEFAULT_WORKSPACE, "--workspace", "-w",
                                   help="Folder for the demo workspace (replaced if it holds an "
                                        "earlier demo)."),
    seed: int = typer.Option(1, "--seed", help="Seed of the synthetic world."),
    scale: float = typer.Option(0.15, "--scale", min=0.01,
                                help="Size of the world's crime and partner volumes (1 = ~136k "
                                     "crimes a year)."),
    analyses: bool = typer.Option(True, "--analyses/--no-analyses",
                                  help="Run the profile and hotspot analyses after the import."),
) -> None:
    """Build a complete demo workspace from a synthetic force area, run the analyses, and show
    what to open next (docs/guide/demo.md). No network is used."""
    from vru.synth.demo import DemoError, build_demo

    t0 = time.perf_counter()
    log = StepLog()

    def hotspots(ws: Path) -> None:
        # Before the force extract is imported: `crimes` then holds data.police.uk rows only,
        # so the hotspot commands (which read every source) count each crime once.
        if analyses:
            run_steps(hotspot_steps(ws), log)

    try:
        res = build_demo(workspace, seed=seed, scale=scale, after_police_uk=hotspots,
                         progress=lambda m: console.print(
                             f"[dim]{time.perf_counter() - t0:5.1f}s[/] {m}", highlight=False))
    except DemoError as exc:
        fail(str(exc))
    console.print("\n[bold]Imported[/] (read = loaded + rejected):")
    for source, (read, loaded, rejected) in res.imports.items():
        note = "  (rows without an NHS number, kept in rejects)" if rejected and \
            source == "admissions" else ""
        console.print(f"  {source:14s} {read:>9,} = {loaded:>9,} + {rejected:,}{note}")
    if analyses:
        run_steps(linkage_steps(res.workspace, res.user), log)
        run_steps(profile_steps(res.workspace), log)
        run_steps(programme_steps(res.workspace), log)
        run_steps(tags_steps(res.workspace), log)
    console.rule("Demo ready", style="green")
    build = sum(res.timings.values())
    console.print(f"Workspace: [bold]{res.workspace}[/]  ({time.perf_counter() - t0:.0f} s: "
                  f"{build:.0f} s generating and importing, "
                  f"{sum(log.timings.values()):.0f} s of analyses)")
    console.print(f"Synthetic files and ground truth: {res.data_dir}  (truth/ holds the planted "
                  "hotspots, true links and every parameter)")
    console.print(f"Demo pseudonymisation key (outside the workspace): {res.key_file}")
    console.print("\n[bold]Open next[/]")
    console.print(f"  vru status --workspace {res.workspace}")
    console.print(f"  vru serve --workspace {res.workspace}   then sign in as "
                  f"[bold]{res.user}[/] with password [bold]{res.password}[/] (shown once)")
    prof = res.workspace / "exports" / "profile"
    if prof.exists():
        for f in sorted(prof.glob("*.html")):
            console.print(f"  {f}")
    for f in sorted((res.workspace / "exports").glob("*.xlsx")):
        console.print(f"  {f}")
    tg = res.workspace / "exports" / "tags"
    if tg.exists():
        console.print(f"  {tg}/  (compare with {res.data_dir / 'truth' / 'em_presence.csv'})")
    hs = res.workspace / "exports" / "hotspots"
    if hs.exists():
        console.print(f"  {hs}/  (compare with {res.data_dir / 'truth' / 'hotspots.csv'})")
    for m in log.missing:
        console.print(f"[yellow]not in this build:[/] {m}")
    if log.failures:
        err.print(f"[bold red]{len(log.failures)} step(s) failed:[/] " + "; ".join(log.failures))
        raise typer.Exit(1)
