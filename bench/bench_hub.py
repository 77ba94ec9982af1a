"""Data hub import throughput: ISTV (ED assaults) and EM GPS pings at 10 million rows.

    .venv/bin/python bench/bench_hub.py            # 10,000,000 rows per source
    .venv/bin/python bench/bench_hub.py --quick    # 200,000 rows per source
    .venv/bin/python bench/bench_hub.py --rows 2000000

For each source a synthetic CSV of N rows is written to a temp folder (outside any workspace),
then, each in a fresh process so that peak memory is the operation's own:
- baseline: DuckDB's bare ``read_csv`` of the same file into a table of a fresh database file;
- import: ``vru`` import of the file into a fresh workspace (agreement, key, validation,
  pseudonymisation, BNG projection, rejects, provenance).
Printed: seconds, rows/s, peak RSS, and the import/baseline time ratio. About 2% of rows are
made invalid so that the reject path is exercised.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import RESULTS, run_child  # noqa: E402

CHUNK = 1_000_000


def _lonlat(rng, n):
    return (np.round(rng.normal(-0.466, 0.05, n), 6), np.round(rng.normal(52.136, 0.03, n), 6))


def write_istv(path: Path, n: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    methods = np.array(["BODY", "BLUNT", "SHARP", "GLASS", "OTHER", "UNKNOWN"])
    places = np.array(["HOME", "STREET", "PUB_CLUB", "SHOP", "TRANSPORT", "PARK"])
    bands = np.array(["10-14", "15-17", "18-24", "25-34", "35-44", "45-54", ""])
    base = np.datetime64("2024-01-01T00:00")
    writer = None
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        arrival = base + rng.integers(60, 365 * 24 * 60 - 1, m).astype("timedelta64[m]")
        assault = arrival - rng.integers(10, 600, m).astype("timedelta64[m]")
        method = methods[rng.integers(0, len(methods), m)]
        lon, lat = _lonlat(rng, m)
        has_xy = rng.random(m) < 0.7
        bad = rng.random(m) < 0.02
        method = np.where(bad, "PUNCH", method)
        other = np.where(method == "OTHER", "bottle of sauce", "")
        table = pa.table({
            "site_code": np.full(m, "RC971"),
            "period_start": np.full(m, "2024-01-01"),
            "period_end": np.full(m, "2024-12-31"),
            "record_ref": np.char.add("R", np.arange(start, start + m).astype(str)),
            "arrival_datetime": np.datetime_as_string(arrival, unit="m"),
            "assault_datetime": np.datetime_as_string(assault, unit="m"),
            "assault_method": method,
            "assault_method_other": other,
            "location_type": places[rng.integers(0, len(places), m)],
            "location_description": np.where(rng.random(m) < 0.5, "outside the Crown, High St",
                                             ""),
            "age_band": bands[rng.integers(0, len(bands), m)],
            "sex": np.array(["M", "F"])[rng.integers(0, 2, m)],
            "longitude": np.where(has_xy, lon.astype(str), ""),
            "latitude": np.where(has_xy, lat.astype(str), ""),
            "postcode": np.where(~has_xy & (rng.random(m) < 0.3), "MK40 1AA", ""),
            "lsoa_code": np.where(~has_xy & (rng.random(m) < 0.3), "E01017525", ""),
        })
        if writer is None:
            writer = pacsv.CSVWriter(str(path), table.schema,
                                     write_options=pacsv.WriteOptions(quoting_style="needed"))
        writer.write_table(table)
    writer.close()


def write_pings(path: Path, n: int, people: int = 500, seed: int = 2) -> None:
    rng = np.random.default_rng(seed)
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    ids = np.array([f"{rng.integers(0, 24):02d}/{rng.integers(1, 9_999_999)}"
                    f"{letters[rng.integers(0, len(letters))]}" for _ in range(people)])
    base = np.datetime64("2024-01-01T00:00:00")
    writer = None
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        t = base + (np.arange(start, start + m) * 3).astype("timedelta64[s]")
        lon, lat = _lonlat(rng, m)
        lat = np.where(rng.random(m) < 0.02, 48.0, lat)  # ~2% outside GB: rejected
        table = pa.table({
            "person_id": ids[rng.integers(0, people, m)],
            "ping_time": np.char.replace(np.datetime_as_string(t, unit="s"), "T", " "),
            "longitude": lon.astype(str),
            "latitude": lat.astype(str),
            "accuracy_m": np.round(rng.gamma(2.0, 5.0, m), 1).astype(str),
        })
        if writer is None:
            writer = pacsv.CSVWriter(str(path), table.schema,
                                     write_options=pacsv.WriteOptions(quoting_style="needed"))
        writer.write_table(table)
    writer.close()


def timed_code(setup: str, body: str) -> str:
    """Child code timing only ``body``: wall and CPU seconds (all threads), peak RSS.

    On a shared machine wall time swings with other people's load; CPU seconds much less, so
    both are reported.
    """
    return (setup + "\nimport json as _j, resource as _r, time as _t\n"
            "_u = _r.getrusage(_r.RUSAGE_SELF)\n_t0 = _t.perf_counter()\n" + body +
            "\n_v = _r.getrusage(_r.RUSAGE_SELF)\n"
            # ru_maxrss survives exec on Linux (a child starts with its parent's peak, here the
            # CSV writer's): the address space's own high-water mark, VmHWM, does not.
            "_hwm = [x for x in open('/proc/self/status') if x.startswith('VmHWM')]\n"
            "_peak = int(_hwm[0].split()[1]) / 1024 if _hwm else _v.ru_maxrss / 1024\n"
            "print(_j.dumps({'seconds': _t.perf_counter() - _t0, 'peak_mb': _peak, "
            "'cpu': _v.ru_utime + _v.ru_stime - _u.ru_utime - _u.ru_stime}))")


def _cpu(out: str) -> float:
    return float(json.loads(out.strip().splitlines()[-1])["cpu"])


BASELINE = timed_code(
    "import duckdb, sys",
    "con = duckdb.connect(sys.argv[2])\n"
    "con.execute('SET enable_progress_bar = false')\n"
    "con.execute(\"CREATE TABLE t AS SELECT * FROM read_csv(?, header = true, all_varchar = true)\","
    " [sys.argv[1]])\n"
    "print(con.execute('SELECT count(*) FROM t').fetchone()[0])\n"
    "con.close()",
)

IMPORT = timed_code(
    "import os, sys\n"
    "os.environ['VRU_PSEUDONYM_KEY'] = 'bench-key-not-secret-0123456789'\n"
    "from vru.workspace import Workspace\n"
    "from vru.privacy import agreements\n"
    "from vru.sources.contract import import_source\n"
    "from vru.sources.registry import SOURCES\n"
    "ws = Workspace.init(sys.argv[2])\n"
    "with ws.transaction() as con:\n"
    "    agreements.add(con, sys.argv[3], 'bench', 'bench', ['bench'], 120)",
    "s = import_source(ws, SOURCES[sys.argv[3]], [sys.argv[1]])\n"
    "assert s.rows_read == s.rows_loaded + s.rows_rejected\n"
    "print(s.rows_read, s.rows_loaded, s.rows_rejected)\n"
    "ws.close()",
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="200,000 rows per source")
    ap.add_argument("--rows", type=int, default=None, help="rows per source")
    args = ap.parse_args()
    n = args.rows or (200_000 if args.quick else 10_000_000)
    tmp = Path(tempfile.mkdtemp(prefix="vru-bench-hub-"))
    try:
        print(f"data hub import benchmark: {n:,} rows per source (files in {tmp})")
        results = []
        print(f"{'source':8} {'what':9} {'wall s':>8} {'rows/s':>11} {'CPU s':>8} "
              f"{'peak MB':>8} {'wall ratio':>10} {'CPU ratio':>9}")
        for source, writer in (("istv", write_istv), ("em_gps", write_pings)):
            csv_path = tmp / f"{source}.csv"
            writer(csv_path, n)
            size_mb = csv_path.stat().st_size / 1e6
            b_sec, b_mb, b_out = run_child(BASELINE, str(csv_path),
                                           str(tmp / f"{source}-base.duckdb"))
            i_sec, i_mb, out = run_child(IMPORT, str(csv_path), str(tmp / f"{source}-ws"), source)
            read, loaded, rejected = map(int, out.strip().splitlines()[-2].split())
            assert read == n, (read, n)
            b_cpu, i_cpu = _cpu(b_out), _cpu(out)
            print(f"{source:8} {'baseline':9} {b_sec:8.1f} {n / b_sec:11,.0f} {b_cpu:8.1f} "
                  f"{b_mb:8.0f} {1.0:10.2f} {1.0:9.2f}")
            print(f"{source:8} {'import':9} {i_sec:8.1f} {n / i_sec:11,.0f} {i_cpu:8.1f} "
                  f"{i_mb:8.0f} {i_sec / b_sec:10.2f} {i_cpu / b_cpu:9.2f}   ({size_mb:,.0f} MB "
                  f"CSV; loaded {loaded:,}, rejected {rejected:,})", flush=True)
            goal = ("met" if i_mb < 1000 and i_sec / b_sec <= 3 else "MISSED")
            print(f"{source:8} goal (peak < 1,000 MB, wall <= 3x bare): {goal} "
                  f"(peak {i_mb:,.0f} MB, {i_sec / b_sec:.2f}x)", flush=True)
            results.append({"source": source, "rows": n, "csv_mb": round(size_mb, 1),
                            "baseline": {"seconds": b_sec, "cpu_seconds": b_cpu, "peak_mb": b_mb},
                            "import": {"seconds": i_sec, "cpu_seconds": i_cpu, "peak_mb": i_mb,
                                       "loaded": loaded, "rejected": rejected},
                            "wall_ratio": i_sec / b_sec, "cpu_ratio": i_cpu / b_cpu})
            shutil.rmtree(tmp / f"{source}-ws", ignore_errors=True)
            (tmp / f"{source}-base.duckdb").unlink(missing_ok=True)
            csv_path.unlink()
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / ("hub-quick.json" if n < 10_000_000 else "hub.json")
        out.write_text(json.dumps({"rows": n, "results": results}, indent=2) + "\n")
        print(f"saved {out}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
