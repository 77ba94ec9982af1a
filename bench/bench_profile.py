"""Benchmark: one local-authority problem profile in HTML, PDF and DOCX (target < 10 s).

    .venv/bin/python bench/bench_profile.py                 # build a demo workspace, then time
    .venv/bin/python bench/bench_profile.py --quick         # small synthetic world (smoke)
    .venv/bin/python bench/bench_profile.py --workspace WS --area Kingsmere --period 2023/24
    .venv/bin/python bench/bench_profile.py --workspace WS --sna   # the SNA too (vru sna build)
    .venv/bin/python bench/bench_profile.py --workspace WS --command --baseline-ref 514e8f0
        # the whole `vru sna build` command (start-up included), this tree against an older
        # revision of vru (exported with `git archive`) in the same run, alternating

--command is the user's wall time: a fresh `vru sna build --format html,pdf,docx` process,
interpreter start-up and imports included, for the baseline revision and for this tree, each
``--repeat`` times, alternating so that both see the same machine load; the goal is < 10 s.

With --sna the SNA runs after the profile in the same process, so its charts (the same specs)
come from the renderer's cache: its HTML time is not a cold figure; the profile's is.

Without --workspace, the demo workspace is built as `vru demo` builds it
(``vru.synth.demo.build_demo``: a synthetic force area imported through the project's own
importers: geography pack, police.uk, force extracts, ISTV, admissions, education, youth
justice) in a temporary folder, at scale 0.25 (0.05 with --quick). Set-up is not timed.

Printed, all from the same run: the raw SQL aggregation of the headline counts (baseline),
build_profile, each renderer, the same HTML without charts and maps, and the total against
the 10 s target. Module imports are timed separately (they are paid once per process).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 10.0


def build_demo_workspace(root: Path, scale: float) -> Path:
    """The demo workspace `vru demo` builds (synthetic world through the real importers)."""
    from vru.synth.demo import build_demo

    t = time.perf_counter()
    res = build_demo(root / "ws", seed=1, scale=scale)
    print(f"setup: demo workspace (scale {scale}) in {time.perf_counter() - t:.1f} s: "
          + ", ".join(f"{k} {v[1]:,}" for k, v in res.imports.items()))
    return res.workspace


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", type=Path, help="an existing (demo) workspace to profile")
    ap.add_argument("--area", default="Kingsmere")
    ap.add_argument("--period", default="2023/24")
    ap.add_argument("--quick", action="store_true", help="small synthetic world")
    ap.add_argument("--repeat", type=int, default=1, help="time the run this many times")
    ap.add_argument("--sna", action="store_true",
                    help="also time the Strategic Needs Assessment (after the profile, which is "
                         "its baseline in the same run)")
    ap.add_argument("--command", action="store_true",
                    help="time the whole `vru sna build` command (start-up included) against "
                         "--baseline-ref in the same run")
    ap.add_argument("--baseline-ref", default="514e8f0",
                    help="git revision of vru to compare with (default: main when the SNA "
                         "presentation and speed work began)")
    args = ap.parse_args()
    if args.command:
        if args.workspace is None:
            ap.error("--command needs --workspace (an existing demo workspace)")
        return time_command(args.workspace, args.area, args.period, args.baseline_ref,
                            args.repeat)

    t = time.perf_counter()
    from vru.reports import render_one
    from vru.reports.html import render_html
    from vru.reports.profile import build_profile
    from vru.reports.profile_data import resolve_area
    from vru.reports.sna import build_sna
    from vru.workspace import Workspace

    importlib.import_module("weasyprint")
    importlib.import_module("docx")
    print(f"imports: {time.perf_counter() - t:.2f} s (once per process, not in the totals)")

    tmp = None
    ws_path = args.workspace
    if ws_path is None:
        tmp = tempfile.TemporaryDirectory(prefix="vru-bench-profile-")
        ws_path = build_demo_workspace(Path(tmp.name), 0.05 if args.quick else 0.25)
    ws = Workspace.open(ws_path, read_only=True)
    try:
        for run in range(1, args.repeat + 1):
            area = resolve_area(ws, args.area)
            src = ws.scalar(f"SELECT CASE WHEN count(*) FILTER (WHERE source = 'police_rms') > 0 "
                            f"THEN 'police_rms' ELSE 'police_uk' END FROM crimes_geo c "
                            f"WHERE {area.where}", area.params)
            t = time.perf_counter()
            # Baseline: the raw aggregation an analyst would write by hand for the headline
            # table (counts by crime type and month for the area, this year and last).
            ws.sql(f"SELECT crime_type, month, count(*) FROM crimes_geo c WHERE {area.where} "
                   "AND source = ? GROUP BY ALL", [*area.params, src])
            t_sql = time.perf_counter() - t

            for builder in (build_profile, build_sna) if args.sna else (build_profile,):
                _time_document(builder, ws, area, args.period, run, t_sql, render_one, render_html)
    finally:
        ws.close()
        if tmp is not None:
            tmp.cleanup()
    return 0


def _time_document(builder, ws, area, period, run, t_sql, render_one, render_html) -> None:
    t, c = time.perf_counter(), time.process_time()
    doc = builder(ws, area, period)
    t_build, c_build = time.perf_counter() - t, time.process_time() - c
    times, cpu, sizes = {}, {}, {}
    for fmt in ("html", "pdf", "docx"):
        t, c = time.perf_counter(), time.process_time()
        data = render_one(doc, fmt)
        times[fmt], cpu[fmt] = time.perf_counter() - t, time.process_time() - c
        sizes[fmt] = len(data)
    # Baseline for rendering: the same HTML with the charts and maps left out.
    bare = _without_figures(doc)
    t = time.perf_counter()
    render_html(bare)
    t_bare = time.perf_counter() - t
    total = t_build + sum(times.values())
    print(f"\nrun {run}: {doc.title} ({doc.subtitle}); {len(doc.tables())} tables, "
          f"{len(doc.charts())} charts, {len(doc.maps())} maps")
    print(f"  baseline raw SQL aggregation  {t_sql:7.3f} s")
    print(f"  {builder.__name__:<30}{t_build:7.3f} s  "
          f"({t_build / max(t_sql, 1e-6):,.0f}x the raw aggregation; "
          f"CPU {c_build:.3f} s)")
    for fmt in ("html", "pdf", "docx"):
        print(f"  render {fmt:<5}                  {times[fmt]:7.3f} s  "
              f"({sizes[fmt] / 1024:,.0f} KiB; CPU {cpu[fmt]:.3f} s)")
    print(f"  baseline HTML without figures {t_bare:7.3f} s  (html with figures is "
          f"{times['html'] / max(t_bare, 1e-6):,.1f}x)")
    print(f"  total (build + 3 formats)     {total:7.3f} s  target < {TARGET_S:.0f} s: "
          f"{'PASS' if total < TARGET_S else 'MISS'} ({total / TARGET_S:.2f} of target)")
    cpu_total = c_build + sum(cpu.values())
    print(f"  total CPU time of the process {cpu_total:7.3f} s  (wall time above "
          f"includes waiting for a shared CPU; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores)")


def time_command(ws: Path, area: str, period: str, ref: str, repeat: int) -> int:
    """Wall time of `vru sna build` in a fresh process, the baseline revision and this tree."""
    import statistics
    import subprocess

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="vru-bench-sna-") as tmp:
        base = Path(tmp) / "baseline"
        base.mkdir()
        archive = subprocess.run(["git", "-C", str(root), "archive", ref, "src"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        srcs = {f"baseline {ref}": base / "src", "this tree": root / "src"}
        wss = {f"baseline {ref}": _baseline_workspace(ws, Path(tmp) / "baseline-ws", base / "src"),
               "this tree": ws}
        times: dict[str, list[float]] = {k: [] for k in srcs}
        print(f"`vru sna build --area {area} --period {period} --format html,pdf,docx`, "
              f"{repeat} run(s) each, alternating; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores")
        for i in range(repeat):
            for label, src in srcs.items():
                out = Path(tmp) / f"out-{i}-{label.split()[0]}"
                t = time.perf_counter()
                proc = subprocess.run(
                    [sys.executable, "-m", "vru.cli", "sna", "build", "--area", area, "--period",
                     period, "--workspace", str(wss[label]), "--out", str(out)],
                    capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(src)})
                wall = time.perf_counter() - t
                if proc.returncode != 0:
                    print(f"  {label}: failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
                    return 1
                times[label].append(wall)
                files = sorted(p.suffix for p in out.iterdir())
                print(f"  run {i + 1} {label:<22} {wall:6.2f} s  {' '.join(files)}")
        print()
        for label, ts in times.items():
            print(f"  {label:<24} median {statistics.median(ts):6.2f} s  min {min(ts):6.2f} s")
        b, n = (statistics.median(ts) for ts in times.values())
        print(f"  this tree / baseline      {n / b:6.2f}x  target < {TARGET_S:.0f} s: "
              f"{'PASS' if n < TARGET_S else 'MISS'} ({n / TARGET_S:.2f} of target); "
              f"load average {os.getloadavg()[0]:.1f}")
    return 0


def _baseline_workspace(ws: Path, dst: Path, base_src: Path) -> Path:
    """A copy of the workspace the baseline can open: settings sections it does not know are
    left out, and only when they hold nothing but this tree's defaults (so both runs build the
    same document)."""
    import shutil
    import subprocess

    shutil.copytree(ws, dst, ignore=shutil.ignore_patterns("exports", "tmp", "logs", "*.lock"))
    code = ("import sys, tomllib, tomli_w\n"
            "from vru.settings import Settings\n"
            "p = sys.argv[1]\n"
            "data = tomllib.load(open(p, 'rb'))\n"
            "known = set(Settings().to_dict())\n"
            "extra = {k: data.pop(k) for k in list(data) if k not in known}\n"
            "open(p, 'wb').write(tomli_w.dumps(data).encode())\n"
            "print(repr(extra))\n")
    out = subprocess.run([sys.executable, "-c", code, str(dst / "settings.toml")], check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(base_src)}).stdout.strip()
    import ast

    from vru.settings import Settings

    extra = ast.literal_eval(out)
    defaults = Settings().to_dict()
    changed = [k for k, v in extra.items() if defaults.get(k) != v]
    if changed:
        raise SystemExit(f"the workspace sets {changed}, which the baseline does not know")
    if extra:
        print(f"  baseline workspace: settings sections left out (defaults only): "
              f"{', '.join(extra)}")
    return dst


def _without_figures(doc):
    import copy

    from vru.reports.document import Chart, MapFigure

    bare = copy.copy(doc)
    bare.sections = []
    for s in doc.sections:
        s2 = copy.copy(s)
        s2.blocks = [b for b in s.blocks if not isinstance(b, Chart | MapFigure)]
        bare.sections.append(s2)
    return bare


if __name__ == "__main__":
    sys.exit(main())
