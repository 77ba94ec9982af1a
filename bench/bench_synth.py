"""Synthetic world: time and peak memory as the crime volume grows (to 10 million crimes).

Each size runs in its own process: `vru.synth.generate` writing the geography pack and the
data.police.uk street files for three financial years (no partner files and no per-crime truth:
bench_demo covers those). Baselines, measured in the same run:
- linearity: the marginal CPU seconds per million crimes between consecutive sizes, as a ratio
  to the first step's (near 1 = linear; the world's fixed set-up cost is taken out). CPU time,
  not wall time: the reference machine is shared and wall time swings with its load;
- bounded memory: peak RSS as a ratio to the smallest size's (near 1 = bounded);
- overhead: pyarrow's own CSV writer writing the same number of 12-column rows (the bare cost
  of the bytes), as generator time / bare write time.

    .venv/bin/python bench/bench_synth.py            # ~0.4M, 1.6M, 4M, 10M crimes
    .venv/bin/python bench/bench_synth.py --quick    # ~20k, 80k, 200k crimes
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, run_child, timed_code  # noqa: E402

FULL = [1.0, 4.0, 10.0, 24.5]   # scale 1 ~= 410k crimes over three financial years
QUICK = [0.05, 0.2, 0.5]

# pyarrow imports pandas on first use: import it in the set-up so no timing includes it.
GEN_SETUP = """
import pandas
import json
import sys
from pathlib import Path
from vru.synth.generate import generate
from vru.synth.params import SynthParams
"""
GEN_BODY = """
import resource as _r
_c0 = _r.getrusage(_r.RUSAGE_SELF)
s = generate(Path(sys.argv[2]), SynthParams(seed=1, scale=float(sys.argv[1])),
             crime_truth=False, partners=False)
_c1 = _r.getrusage(_r.RUSAGE_SELF)
print(json.dumps({"crimes": s.crimes, "cpu": _c1.ru_utime - _c0.ru_utime
                  + _c1.ru_stime - _c0.ru_stime}))
"""
BARE_SETUP = """
import pandas
import sys
import pyarrow as pa, pyarrow.csv as pc
n = int(sys.argv[1])
row = ["%064x" % 7, "2022-05", "Kingsmere Police", "Kingsmere Police", "-1.332516", "52.595834",
       "On or near Beech Court", "E01990001", "Kingsmere 001A", "Violence and sexual offences",
       "Unable to prosecute suspect", ""]
"""
BARE_BODY = """
chunk = 200_000
table = pa.table({f"c{i}": pa.array([v] * min(n, chunk)) for i, v in enumerate(row)})
with pc.CSVWriter(sys.argv[2], table.schema) as w:
    left = n
    while left > 0:
        w.write_table(table.slice(0, min(left, chunk)))
        left -= chunk
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
        for scale in QUICK if args.quick else FULL:
            out = Path(tmp) / f"s{scale}"
            secs, peak, stdout = run_child(timed_code(GEN_SETUP, GEN_BODY), str(scale), str(out))
            info = json.loads(stdout.strip().splitlines()[-2])
            crimes, cpu = info["crimes"], info["cpu"]
            written = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
            bare, _, _ = run_child(timed_code(BARE_SETUP, BARE_BODY), str(crimes),  # wall
                                   str(Path(tmp) / "bare.csv"))
            for f in Path(tmp).iterdir():
                shutil.rmtree(f) if f.is_dir() else f.unlink()
            rows.append({"scale": scale, "crimes": crimes, "wall_seconds": secs, "seconds": cpu,
                         "peak_mb": peak, "bytes": written, "bare_write_seconds": bare})
            print(f"scale {scale:6.2f}: {crimes:>11,} crimes in {cpu:7.1f} s CPU "
                  f"({secs:.1f} s wall) "
                  f"(bare write {bare:5.1f} s), peak RSS {peak:6.0f} MB, "
                  f"{written / 1e6:7.0f} MB written", flush=True)
    base = rows[0]
    first_step = None
    print(f"\n{'crimes':>12} {'CPU s':>8} {'marginal s/M':>13} {'linearity':>10} "
          f"{'peak MB':>8} {'memory ratio':>13} {'vs bare write':>14}")
    for i, r in enumerate(rows):
        marginal = lin = None
        if i:
            prev = rows[i - 1]
            marginal = (r["seconds"] - prev["seconds"]) / (r["crimes"] - prev["crimes"]) * 1e6
            first_step = first_step or marginal
            lin = marginal / first_step
        r.update(marginal_s_per_million=marginal, linearity_ratio=lin,
                 memory_ratio=r["peak_mb"] / base["peak_mb"],
                 bare_ratio=r["seconds"] / r["bare_write_seconds"])
        print(f"{r['crimes']:>12,} {r['seconds']:>8.1f} "
              f"{(f'{marginal:.1f}' if marginal else '-'):>13} "
              f"{(f'{lin:.2f}' if lin else '-'):>10} {r['peak_mb']:>8.0f} "
              f"{r['memory_ratio']:>13.2f} {r['bare_ratio']:>14.1f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "synth.json").write_text(json.dumps({"quick": args.quick, "sizes": rows},
                                                    indent=2))


if __name__ == "__main__":
    main()
