"""Import throughput: vru's data.police.uk import vs DuckDB's bare read_csv vs pandas.

    .venv/bin/python bench/bench_import.py            # Bedfordshire street files + scale run
    .venv/bin/python bench/bench_import.py --quick    # small scale run only
    ... --before OLD/src                              # also time an older vru, same files, same run

Goals (issue 2): full import within 4x of the bare scan, >= 5x faster than pandas; a scale run
to 10 million synthetic rows with time growing linearly and peak memory under 2 GB.
"""

from __future__ import annotations

import argparse
import glob
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common  # noqa: E402
from bench._common import SHARED, run_child, save, table, timed_code  # noqa: E402

# The strictest baseline is the fastest bare scan: schema given, no sniffing (sniffing every file
# of a multi-file read costs DuckDB far more than the scan itself on small files).
_BARE_ARGS = (
    "header=true, auto_detect=false, columns={"
    + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(12)) + "}"
)
# Every child imports NumPy and pandas before its clock starts: DuckDB's Python binding imports
# them lazily on the first list parameter, a start-up cost (seconds without bytecode caches)
# that is not import throughput.
WARM = "import numpy, pandas\n"
BARE_COUNT = timed_code(WARM + "import duckdb, sys, glob", f"""
files = sorted(glob.glob(sys.argv[1]))
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # as vru's workspace does: it slows piped runs
con.execute("SELECT count(*) FROM read_csv(?, {_BARE_ARGS})", [files]).fetchall()
""")
# The same scan as a user would write it: read_csv with its defaults, which sniff each file's
# dialect and types.
BARE_DEFAULTS = timed_code(WARM + "import duckdb, sys, glob", """
files = sorted(glob.glob(sys.argv[1]))
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute("SELECT count(*) FROM read_csv(?)", [files]).fetchall()
""")
BARE_LOAD = timed_code(WARM + "import duckdb, sys, glob", f"""
files = sorted(glob.glob(sys.argv[1]))
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, {_BARE_ARGS})", [files])
con.close()
""")
VRU = timed_code(WARM + """import sys, glob
from vru import Workspace
from vru.sources.police_uk import import_police
ws = Workspace.init(sys.argv[2])""", """
s = import_police(ws, sorted(glob.glob(sys.argv[1])))
assert s.rows_read == s.rows_loaded + s.rows_rejected
ws.close()
""")
# The same job in pandas, vectorised as a pandas expert would write it: read, validate the
# same fields with column operations, project to BNG, keep rejects, write to DuckDB.
PANDAS = timed_code("""import sys, glob, hashlib, gzip, json
import duckdb, numpy as np, pandas as pd
from vru.geo.bng import to_bng
""", """
TYPES = {'Anti-social behaviour','Bicycle theft','Burglary','Criminal damage and arson','Drugs',
 'Other crime','Other theft','Possession of weapons','Public order','Robbery','Shoplifting',
 'Theft from the person','Vehicle crime','Violence and sexual offences'}
con = duckdb.connect(sys.argv[2])
con.execute('SET enable_progress_bar = false')
good_parts, bad_parts = [], []
for fid, path in enumerate(sorted(glob.glob(sys.argv[1]))):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as fh:
        sha = hashlib.sha256(fh.read()).hexdigest()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df['row_number'] = np.arange(1, len(df) + 1)
    df['file_id'] = fid
    df['sha256'] = sha
    month = pd.to_datetime(df['Month'], format='%Y-%m', errors='coerce')
    lon = pd.to_numeric(df['Longitude'].replace('', np.nan), errors='coerce')
    lat = pd.to_numeric(df['Latitude'].replace('', np.nan), errors='coerce')
    checks = [
        ('Month', month.isna(), 'unparseable month'),
        ('Longitude', (df['Longitude'] != '') & lon.isna(), 'longitude is not a number'),
        ('Latitude', (df['Latitude'] != '') & lat.isna(), 'latitude is not a number'),
        ('Longitude', (df['Longitude'] == '') != (df['Latitude'] == ''), 'only one of longitude/latitude'),
        ('Latitude', lon.notna() & ~lon.between(-8.75, 1.85) | lat.notna() & ~lat.between(49.8, 60.95),
         'coordinates outside Great Britain'),
        ('LSOA code', (df['LSOA code'] != '') & ~df['LSOA code'].str.fullmatch(r'[EW]01\\d{6}'),
         'malformed LSOA code'),
        ('Crime type', ~df['Crime type'].isin(TYPES), 'unknown crime type'),
        ('Crime ID', (df['Crime ID'] != '') & ~df['Crime ID'].str.fullmatch(r'[0-9a-fA-F]{64}'),
         'malformed Crime ID'),
        ('Falls within', df['Falls within'] == '', 'missing Falls within'),
    ]
    reason = pd.Series('', index=df.index)
    field = pd.Series('', index=df.index)
    for name, mask, text in checks:
        field = field.where(~(mask & (field == '')), name)
        reason = reason.where(~mask, reason + np.where(reason == '', '', '; ') + text)
    bad = reason != ''
    flags = np.where((df['Longitude'] == '') & (df['Latitude'] == ''), 'no_location', '')
    ok = df[~bad].copy()
    e, n = to_bng(lon[~bad].to_numpy(), lat[~bad].to_numpy())
    ok['easting'], ok['northing'] = e, n
    ok['cell_e'] = np.floor(e / 150) * 150
    ok['cell_n'] = np.floor(n / 150) * 150
    ok['month'] = month[~bad]
    ok['flags'] = flags[~bad]
    good_parts.append(ok)
    rej = df[bad].copy()
    rej['field'], rej['reason'] = field[bad], reason[bad]
    rej['raw'] = [json.dumps(r) for r in df[bad].to_dict('records')]
    bad_parts.append(rej[['file_id', 'row_number', 'field', 'reason', 'raw']])
good = pd.concat(good_parts, ignore_index=True)
bad = pd.concat(bad_parts, ignore_index=True)
con.execute('BEGIN')
con.execute('CREATE TABLE crimes AS SELECT * FROM good')
con.execute('CREATE TABLE rejects AS SELECT * FROM bad')
con.execute('COMMIT')
con.close()
""")

# The same job written the straightforward way: pandas reads each file, a Python function
# validates each row (returning its problems, as the reasons the rejects table needs), then the
# good rows are projected in one vectorised pyproj call and written to DuckDB.
PANDAS_ROWWISE = timed_code("""import sys, glob, hashlib, gzip, json, re
import duckdb, numpy as np, pandas as pd
from vru.geo.bng import to_bng
""", """
TYPES = {'Anti-social behaviour','Bicycle theft','Burglary','Criminal damage and arson','Drugs',
 'Other crime','Other theft','Possession of weapons','Public order','Robbery','Shoplifting',
 'Theft from the person','Vehicle crime','Violence and sexual offences'}
MONTH = re.compile(r'\\d{4}-(0[1-9]|1[0-2])')
LSOA = re.compile(r'[EW]01\\d{6}')
CID = re.compile(r'[0-9a-fA-F]{64}')

def number(v):
    try:
        return float(v)
    except ValueError:
        return None

def check(r):
    problems = []
    if not MONTH.fullmatch(r['Month']):
        problems.append(('Month', 'unparseable month: ' + r['Month']))
    lon, lat = r['Longitude'], r['Latitude']
    if (lon == '') != (lat == ''):
        problems.append(('Longitude', 'only one of longitude/latitude is given'))
    elif lon != '':
        x, y = number(lon), number(lat)
        if x is None or y is None:
            problems.append(('Longitude', 'coordinates are not numbers'))
        elif not (-8.75 <= x <= 1.85 and 49.8 <= y <= 60.95):
            problems.append(('Latitude', 'coordinates outside Great Britain'))
    if r['LSOA code'] and not LSOA.fullmatch(r['LSOA code']):
        problems.append(('LSOA code', 'malformed LSOA code: ' + r['LSOA code']))
    if r['Crime type'] not in TYPES:
        problems.append(('Crime type', 'unknown crime type: ' + r['Crime type']))
    if r['Crime ID'] and not CID.fullmatch(r['Crime ID']):
        problems.append(('Crime ID', 'malformed Crime ID'))
    if not r['Falls within']:
        problems.append(('Falls within', 'missing Falls within'))
    return problems

con = duckdb.connect(sys.argv[2])
con.execute('SET enable_progress_bar = false')
good_parts, bad_rows = [], []
for fid, path in enumerate(sorted(glob.glob(sys.argv[1]))):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as fh:
        sha = hashlib.sha256(fh.read()).hexdigest()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df['file_id'], df['sha256'] = fid, sha
    df['row_number'] = np.arange(1, len(df) + 1)
    problems = df.apply(check, axis=1)
    bad = problems.map(len) > 0
    for (_, r), p in zip(df[bad].iterrows(), problems[bad]):
        bad_rows.append((fid, r['row_number'], p[0][0], '; '.join(x[1] for x in p),
                         json.dumps(r.drop(['file_id', 'sha256', 'row_number']).to_dict())))
    ok = df[~bad].copy()
    ok['month'] = pd.to_datetime(ok['Month'], format='%Y-%m')
    ok['flags'] = np.where((ok['Longitude'] == '') & (ok['Latitude'] == ''), 'no_location', '')
    good_parts.append(ok)
good = pd.concat(good_parts, ignore_index=True)
lon = pd.to_numeric(good['Longitude'].replace('', np.nan))
lat = pd.to_numeric(good['Latitude'].replace('', np.nan))
good['easting'], good['northing'] = to_bng(lon.to_numpy(), lat.to_numpy())
good['cell_e'] = np.floor(good['easting'] / 150) * 150
good['cell_n'] = np.floor(good['northing'] / 150) * 150
bad = pd.DataFrame(bad_rows, columns=['file_id', 'row_number', 'field', 'reason', 'raw'])
con.execute('BEGIN')
con.execute('CREATE TABLE crimes AS SELECT * FROM good')
con.execute('CREATE TABLE rejects AS SELECT * FROM bad')
con.execute('COMMIT')
con.close()
""")


def real_data_run(repeat: int = 3, before: str | None = None) -> dict | None:
    """Each step ``repeat`` times, interleaved (a slow spell of a shared machine then hits every
    step alike); the median time of each is compared."""
    street = SHARED / "police-uk" / "bedfordshire" / "street"
    if not street.exists():
        print(f"(skipping real-data run: {street} absent)")
        return None
    pattern = str(street / "*.csv.gz")
    n_files = len(glob.glob(pattern))
    runs: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as d:
        for i in range(repeat):
            for name, code, target in (
                ("duckdb bare read_csv (count)", BARE_COUNT, ""),
                ("duckdb bare read_csv -> table", BARE_LOAD, f"{d}/bare{i}.duckdb"),
                ("duckdb read_csv, defaults (count)", BARE_DEFAULTS, ""),
                ("vru import police", VRU, f"{d}/ws{i}"),
                ("pandas, vectorised", PANDAS, f"{d}/pandas{i}.duckdb"),
                ("pandas, row by row", PANDAS_ROWWISE, f"{d}/pandas_rows{i}.duckdb"),
                *([("vru import police (before)", VRU, f"{d}/before{i}")] if before else []),
            ):
                src = before if name.endswith("(before)") else None
                secs, peak, _ = run_child(code, pattern, target, src=src)
                runs.setdefault(name, []).append((secs, peak))
                if target.endswith(".duckdb"):
                    Path(target).unlink(missing_ok=True)
                else:
                    shutil.rmtree(target, ignore_errors=True)
    results = {name: {"seconds": statistics.median(s for s, _ in r), "peak_mb": max(p for _, p in r),
                      "all_seconds": [s for s, _ in r]} for name, r in runs.items()}
    base_count = results["duckdb bare read_csv (count)"]["seconds"]
    base_load = results["duckdb bare read_csv -> table"]["seconds"]
    vru = results["vru import police"]["seconds"]
    pandas = results["pandas, vectorised"]["seconds"]
    rowwise = results["pandas, row by row"]["seconds"]
    rows = [[k, f"{v['seconds']:.2f}", f"{min(v['all_seconds']):.2f}-{max(v['all_seconds']):.2f}",
             f"{v['seconds'] / base_count:.2f}x", f"{v['seconds'] / base_load:.2f}x",
             f"{v['peak_mb']:.0f}"] for k, v in results.items()]
    print(f"\nBedfordshire street files ({n_files} files, 182,113 rows), each step in a fresh "
          f"process, median of {repeat} interleaved runs:")
    print(table(rows, ["step", "median s", "range s", "vs count", "vs load", "peak MB"]))
    print(f"\nvru import / bare scan (count)     : {vru / base_count:.2f}x   (goal <= 4x)")
    print(f"vru import / bare scan (to table)  : {vru / base_load:.2f}x")
    defaults = results["duckdb read_csv, defaults (count)"]["seconds"]
    print(f"vru import / read_csv defaults     : {vru / defaults:.2f}x")
    print(f"pandas row by row / vru import     : {rowwise / vru:.2f}x   (goal >= 5x)")
    print(f"pandas vectorised / vru import     : {pandas / vru:.2f}x")
    if before:
        old = results["vru import police (before)"]["seconds"]
        print(f"vru import now / before ({before}) : {vru / old:.2f}x   (goal <= 1.0x)")
    return {"results": results, "vru_vs_bare_count": vru / base_count,
            "vru_vs_bare_load": vru / base_load, "pandas_vectorised_vs_vru": pandas / vru,
            "pandas_rowwise_vs_vru": rowwise / vru, "vru_vs_read_csv_defaults": vru / defaults}


SYNTH = """
import sys, duckdb
out, rows, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
con = duckdb.connect()
per = rows // files
for i in range(files):
    y, m = 2000 + i // 12, i % 12 + 1
    con.execute(f'''COPY (
      SELECT sha256((i + {i * per})::VARCHAR) AS "Crime ID", '{y}-{m:02d}' AS "Month",
        'Synthetic Police' AS "Reported by", 'Synthetic Police' AS "Falls within",
        CASE WHEN i % 29 = 0 THEN NULL ELSE round(-0.6 + (hash(i) % 40000) / 100000.0, 6) END
          AS "Longitude",
        CASE WHEN i % 29 = 0 THEN NULL ELSE round(51.9 + (hash(i * 7) % 40000) / 100000.0, 6) END
          AS "Latitude",
        'On or near Synthetic Road' AS "Location",
        CASE WHEN i % 29 = 0 THEN NULL ELSE 'E0101' || lpad((i % 9000)::VARCHAR, 4, '0') END
          AS "LSOA code",
        CASE WHEN i % 29 = 0 THEN NULL ELSE 'Bedford ' || lpad((i % 900)::VARCHAR, 3, '0') || 'A' END
          AS "LSOA name",
        ['Violence and sexual offences', 'Anti-social behaviour', 'Shoplifting', 'Burglary',
         'Vehicle crime'][1 + i % 5] AS "Crime type",
        'Under investigation' AS "Last outcome category", NULL AS "Context"
      FROM range({per}) t(i)) TO '{out}/{y}-{m:02d}-synthetic-street.csv' (HEADER)''')
"""


def scale_run(sizes: list[int], before: str | None = None) -> list[dict]:
    print("\nScale run: synthetic police.uk street files, vru import in a fresh process"
          + (f" (and the import from {before}, on the same files)" if before else ""))
    out = []
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            folder = Path(d) / f"n{n}"
            folder.mkdir()
            files = max(12, n // 100_000)
            run_child(SYNTH, str(folder), str(n), str(files))
            pattern = str(folder / "*.csv")
            base, _, _ = run_child(BARE_COUNT, pattern)
            secs, peak, _ = run_child(VRU, pattern, f"{d}/ws{n}")
            cpu = _common.LAST_CPU_SECONDS
            shutil.rmtree(f"{d}/ws{n}", ignore_errors=True)
            row = {"rows": n, "files": files, "seconds": secs, "bare_seconds": base,
                   "peak_mb": peak, "us_per_row": secs / n * 1e6, "cpu_seconds": cpu}
            if before:
                row["before_seconds"], row["before_peak_mb"], _ = run_child(
                    VRU, pattern, f"{d}/before{n}", src=before)
                shutil.rmtree(f"{d}/before{n}", ignore_errors=True)
            shutil.rmtree(folder, ignore_errors=True)
            out.append(row)
    rows = [[f"{r['rows']:,}", r["files"], f"{r['seconds']:.1f}", f"{r['bare_seconds']:.1f}",
             f"{r['seconds'] / r['bare_seconds']:.2f}x", f"{r['us_per_row']:.2f}",
             f"{r['cpu_seconds']:.1f}", f"{r['peak_mb']:.0f}"] for r in out]
    print(table(rows, ["rows", "files", "vru s", "bare s", "ratio", "us/row", "cpu s", "peak MB"]))
    if before:
        print(table([[f"{r['rows']:,}", f"{r['seconds']:.1f}", f"{r['before_seconds']:.1f}",
                      f"{r['seconds'] / r['before_seconds']:.2f}x", f"{r['peak_mb']:.0f}",
                      f"{r['before_peak_mb']:.0f}"] for r in out],
                    ["rows", "now s", "before s", "now/before", "now peak MB", "before peak MB"]))
    first, last = out[0], out[-1]
    growth = (last["seconds"] / first["seconds"]) / (last["rows"] / first["rows"])
    cpu_growth = (last["cpu_seconds"] / first["cpu_seconds"]) / (last["rows"] / first["rows"])
    print(f"time growth vs row growth ({first['rows']:,} -> {last['rows']:,}): wall {growth:.2f}, "
          f"CPU {cpu_growth:.2f} (1.0 = linear; CPU time is steadier on a shared machine)")
    print(f"peak memory at {last['rows']:,} rows: {last['peak_mb']:.0f} MB (goal < 2048 MB)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small scale run only")
    ap.add_argument("--real", action="store_true", help="Bedfordshire comparison only")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each Bedfordshire step")
    ap.add_argument("--before", default=None, metavar="SRC",
                    help="also run the import from this src folder (an older vru), interleaved")
    ap.add_argument("--sizes", default=None, metavar="N,N",
                    help="scale run only, at these row counts (e.g. 1000000,3000000)")
    args = ap.parse_args()
    result = {}
    if args.sizes:
        result["scale"] = scale_run([int(x) for x in args.sizes.split(",")], args.before)
    elif args.real:
        result["real"] = real_data_run(args.repeat, args.before)
    elif not args.quick:
        result["real"] = real_data_run(args.repeat, args.before)
        result["scale"] = scale_run([1_000_000, 2_500_000, 5_000_000, 10_000_000], args.before)
    else:
        result["scale"] = scale_run([100_000, 300_000], args.before)
    save("import", result)


if __name__ == "__main__":
    main()
