"""`vru demo`: build time and peak memory of the whole demo, stage by stage.

Runs `vru.synth.demo.build_demo` (synthetic world -> geography, data.police.uk, seven partner
sources through the data hub) in a fresh process and reports its peak RSS, then the analyses
the demo runs (`vru demo` steps: hotspots and problem profiles) in another. Baseline, measured in
the same run: DuckDB's bare `read_csv` of every CSV the demo imports (the least any import of
those files can cost), so the import stages print as a ratio to it. Target: the whole demo under
60 s on the reference machine (2 cores).

    .venv/bin/python bench/bench_demo.py             # the demo's default size (scale 0.15)
    .venv/bin/python bench/bench_demo.py --quick     # scale 0.05
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, run_child, timed_code  # noqa: E402

BUILD_SETUP = """
import pandas, sys, json
from pathlib import Path
from vru.synth.demo import build_demo
import vru.sources.registry, vru.sources.geography, vru.sources.police_uk
"""
BUILD_BODY = """
res = build_demo(Path(sys.argv[2]), scale=float(sys.argv[1]))
print(json.dumps({"timings": res.timings, "imports": res.imports}))
"""
ANALYSES_SETUP = """
import pandas, sys, json, io, contextlib
from pathlib import Path
from vru.cli.cmd_demo import StepLog, hotspot_steps, profile_steps, run_steps
import vru.cli
"""
ANALYSES_BODY = """
log = StepLog()
with contextlib.redirect_stdout(io.StringIO()):
    run_steps(hotspot_steps(Path(sys.argv[1])) + profile_steps(Path(sys.argv[1])), log)
print(json.dumps({"timings": log.timings, "failures": log.failures, "missing": log.missing}))
"""
BARE_SETUP = """
import duckdb, sys
from pathlib import Path
"""
BARE_BODY = """
con = duckdb.connect()
n = 0
for folder in sys.argv[1:]:
    for f in sorted(Path(folder).rglob("*.csv")):
        n += con.execute(f"SELECT count(*) FROM read_csv('{f}', all_varchar=true)").fetchone()[0]
print(n)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small world (scale 0.05)")
    args = ap.parse_args()
    scale = 0.05 if args.quick else 0.15
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        ws = Path(tmp) / "demo"
        secs, peak, out = run_child(timed_code(BUILD_SETUP, BUILD_BODY), str(scale), str(ws))
        build = json.loads(out.strip().splitlines()[-2])
        data = Path(tmp) / "demo-data"
        imported = [data / d for d in ("geography", "police-uk", "police-rms", "istv",
                                       "admissions", "education", "youth-justice", "em",
                                       "patrols")]
        bare, _, _ = run_child(timed_code(BARE_SETUP, BARE_BODY), *map(str, imported))
        a_secs, a_peak, a_out = run_child(timed_code(ANALYSES_SETUP, ANALYSES_BODY), str(ws))
        analyses = json.loads(a_out.strip().splitlines()[-2])
    t = build["timings"]
    imports = sum(v for k, v in t.items() if k != "synth")
    print(f"demo at scale {scale}: build {secs:.1f} s (peak RSS {peak:.0f} MB), "
          f"analyses {a_secs:.1f} s (peak RSS {a_peak:.0f} MB), total {secs + a_secs:.1f} s "
          f"(target < 60 s)")
    print(f"  synthetic world: {t['synth']:.1f} s")
    for k, v in t.items():
        if k != "synth":
            rows = build["imports"].get(k, [None])[0]
            print(f"  import {k:14s} {v:6.1f} s" + (f"  ({rows:,} rows)" if rows else ""))
    print(f"  imports together: {imports:.1f} s; baseline bare DuckDB read_csv of the same "
          f"files: {bare:.1f} s; ratio {imports / bare:.1f}x")
    for k, v in analyses["timings"].items():
        print(f"  {k}: {v:.1f} s")
    if analyses["failures"] or analyses["missing"]:
        print(f"  failed: {analyses['failures']}; not in this build: {analyses['missing']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "demo.json").write_text(json.dumps({
        "scale": scale, "build_seconds": secs, "build_peak_mb": peak,
        "analyses_seconds": a_secs, "analyses_peak_mb": a_peak, "stages": t,
        "imports": build["imports"], "bare_read_seconds": bare,
        "analyses": analyses}, indent=2))


if __name__ == "__main__":
    main()
