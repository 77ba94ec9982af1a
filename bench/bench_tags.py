"""GPS tagging at force scale: trail-to-crime matching and zone breaches, against a
straightforward DuckDB spatial join of the same data, in one run.

    python bench/bench_tags.py                 # 10M pings x 50k crimes; breaches over 5k zones
    python bench/bench_tags.py --quick         # 200k pings x 5k crimes x 500 zones
    python bench/bench_tags.py --truth         # precision/recall vs D, T and max gap (scenario)

Data: tagged people on random walks by day and at home by night, over a 30 x 30 km area, a fix
a minute for 14 days
(UK local time across the autumn clock change), accuracies 3-40 m; crimes uniform in space and
time (20% with a 1-8 hour committed window); zones near each person's home (exclusion 16-gons
with mixed schedules; curfew squares 19:00-07:00). Written straight into a workspace's hub
tables (the importer has its own benchmark, bench_hub.py).

Each method runs in its own child process (time of the operation only; peak RSS of the child):

- vru matching: ``store.run_match`` (full run): fixes cleaned and converted to UTC, segments
  interpolated, grid cell x time bucket join, exact closest approach - more work than the
  baseline, which only looks at fixes.
- baseline matching: ``em_pings JOIN crimes ON ST_DWithin(fix, scene, D + worst accuracy) AND
  ping time within the widened window`` (DuckDB spatial, no interpolation).
- vru breaches: ``store.run_breaches`` (zones, no-signal, episodes, alerts).
- baseline breaches: ``em_pings JOIN em_zones ON person AND ST_Contains(zone, fix)`` plus the
  schedule test (fixes inside zones only; no episodes).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, ROOT, run_child, save, table, timed_code  # noqa: E402

SETUP = ("import sys, json; sys.path.insert(0, 'bench'); from vru.workspace import Workspace; "
         "from vru.analysis.tags import store; ws = Workspace.open(sys.argv[1])")

VRU_MATCH = "r = store.run_match(ws, incremental=False); print(json.dumps({'rows': r.rows}))"
VRU_BREACH = "r = store.run_breaches(ws); print(json.dumps({'rows': r.rows}))"
BASE_MATCH = """
con = ws.reader()
store.load_spatial(con)
n = con.execute('''
    SELECT count(*) FROM (SELECT DISTINCT c.crime_id, p.person_pid
    FROM em_pings p JOIN crimes c
      ON ST_DWithin(ST_Point(p.easting, p.northing), ST_Point(c.easting, c.northing), 200.0)
     AND p.ping_at BETWEEN c.occurred_from - INTERVAL 30 MINUTE
                       AND coalesce(c.occurred_to, c.occurred_from) + INTERVAL 30 MINUTE
    WHERE c.source = 'police_rms'
      AND ST_Distance(ST_Point(p.easting, p.northing), ST_Point(c.easting, c.northing))
          <= 100 + coalesce(p.accuracy_m, 10))''').fetchone()[0]
print(json.dumps({'rows': n}))
"""
BASE_BREACH = """
from vru.analysis.tags.sql import days_sql, schedule_sql
con = ws.reader()
store.load_spatial(con)
n = con.execute(f'''
    WITH z AS (SELECT *, ST_Transform(ST_GeomFromText(polygon_wkt), 'EPSG:4326', 'EPSG:27700',
                                      always_xy := true) AS geom,
                      coalesce(active_to, DATE '9999-12-31') AS active_to_,
                      {days_sql('days')} AS days_
               FROM em_zones)
    SELECT count(*) FROM em_pings f JOIN (SELECT * REPLACE (active_to_ AS active_to, days_ AS days)
                                          FROM z) z ON z.person_pid = f.person_pid
    WHERE ST_Contains(z.geom, ST_Point(f.easting, f.northing)) = (z.zone_type = 'EXCLUSION')
      AND {schedule_sql('f.ping_at')}''').fetchone()[0]
print(json.dumps({'rows': n}))
"""


def _child(code: str, arg: str, timeout: int | None) -> tuple[float, float, str]:
    """run_child with an optional time limit (the straightforward join can run for hours)."""
    if timeout is None:
        return run_child(code, arg)
    import os

    proc = subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    return float(info["seconds"]), float(info["peak_mb"]), proc.stdout


def generate(ws_dir: Path, pings: int, crimes: int, zones: int, seed: int = 17) -> dict:
    """Write the bench data into a fresh workspace (not timed against anything)."""
    import numpy as np
    import pandas as pd

    from vru.geo.bng import to_lonlat
    from vru.privacy import agreements
    from vru.workspace import Workspace

    rng = np.random.default_rng(seed)
    minutes = 14 * 1440
    people = max(1, -(-pings // minutes))
    per = -(-pings // people)
    x0, y0, side = 480_000.0, 200_000.0, 30_000.0
    home = np.column_stack([x0 + 2000 + rng.random(people) * (side - 4000),
                            y0 + 2000 + rng.random(people) * (side - 4000)])
    if ws_dir.exists():
        shutil.rmtree(ws_dir)
    ws = Workspace.init(ws_dir)
    with ws.transaction() as con:
        agreements.add(con, "em_gps", "Probation Service", "OMA 2007", ["electronic monitoring"],
                       600)
        agreements.add(con, "police_rms", "Bench Police", "policing", ["crime-scene correlation"],
                       600)
    t0 = pd.Timestamp("2024-10-20 00:00", tz="Europe/London").timestamp()
    pids = np.array([f"{i:016x}" for i in range(people)], dtype=object)
    written = 0
    with ws.transaction() as con:
        con.execute("CREATE TEMP TABLE bp AS SELECT * FROM em_pings LIMIT 0")
        for lo in range(0, people, 50):  # 50 people at a time: bounded memory
            k = min(50, people - lo)
            steps = rng.normal(0, 12.0, (k, per, 2))
            walk = np.cumsum(steps, axis=1) + home[lo:lo + k, None, :]
            walk[..., 0] = np.clip(walk[..., 0], x0, x0 + side)
            walk[..., 1] = np.clip(walk[..., 1], y0, y0 + side)
            ts = t0 + np.arange(per) * 60.0 + rng.uniform(-10, 10, (k, per))
            # At home at night (19:00-07:00, roughly: UTC hours), out and about by day.
            hour = (ts // 3600) % 24
            night = (hour >= 19) | (hour < 7)
            walk = np.where(night[..., None], home[lo:lo + k, None, :] + rng.normal(0, 8, (k, per, 2)),
                            walk)
            n = min(k * per, pings - written)
            e, nn = walk[..., 0].ravel()[:n], walk[..., 1].ravel()[:n]
            lon, lat = to_lonlat(e, nn)
            local = pd.to_datetime(ts.ravel()[:n], unit="s", utc=True).tz_convert(
                "Europe/London").tz_localize(None)
            df = pd.DataFrame({"person_pid": np.repeat(pids[lo:lo + k], per)[:n],
                               "ping_at": local, "longitude": lon, "latitude": lat,
                               "easting": e, "northing": nn,
                               "accuracy_m": np.round(rng.gamma(2.0, 5.0, n) + 3, 1),
                               "file_id": 1, "row_number": np.arange(written, written + n) + 1,
                               "import_id": 1})
            con.register("df", df)
            con.execute("INSERT INTO em_pings SELECT * FROM df")
            con.unregister("df")
            written += n
        con.execute("INSERT INTO em_people SELECT person_pid, 'GPS_TRAIL', DATE '2024-10-19', "
                    "DATE '2024-11-05', NULL, 1, row_number() OVER (), 1 FROM "
                    "(SELECT DISTINCT person_pid FROM em_pings)")
        # Crimes: uniform in the area and the fortnight; 20% with a 1-8 hour window.
        ct = t0 + rng.random(crimes) * minutes * 60
        win = np.where(rng.random(crimes) < 0.2, rng.integers(1, 9, crimes) * 3600, 0)
        frm = pd.to_datetime(ct - win, unit="s", utc=True).tz_convert("Europe/London").tz_localize(None)
        to = pd.to_datetime(ct, unit="s", utc=True).tz_convert("Europe/London").tz_localize(None)
        ce, cn = x0 + rng.random(crimes) * side, y0 + rng.random(crimes) * side
        clon, clat = to_lonlat(ce, cn)
        cdf = pd.DataFrame({"crime_id": [f"B/{i:07d}" for i in range(crimes)], "frm": frm,
                            "to_": to, "lon": clon, "lat": clat, "e": ce, "n": cn})
        con.register("cdf", cdf)
        con.execute("""INSERT INTO crimes (source, crime_id, month, occurred_from, occurred_to,
                       longitude, latitude, easting, northing, crime_type, file_id, row_number,
                       import_id)
                       SELECT 'police_rms', crime_id, CAST(date_trunc('month', frm) AS DATE), frm,
                              to_, lon, lat, e, n, 'Burglary', 2, row_number() OVER (), 2 FROM cdf""")
        con.unregister("cdf")
        # Zones near each person's home: exclusion 16-gons (mixed schedules), curfew squares.
        rows = []
        sched = [("ALL", None, None), ("MON,TUE,WED,THU,FRI", "22:00", "06:00"),
                 ("ALL", "10:00", "16:00"), ("SAT,SUN", None, None)]
        for z in range(zones):
            p = z % people
            if z // people % 5 == 4:  # every fifth round: a curfew square at home
                cx, cy, r, kind, (days, a, b) = home[p][0], home[p][1], 40.0, "INCLUSION", \
                    ("ALL", "19:00", "07:00")
                ring = np.array([[-r, -r], [r, -r], [r, r], [-r, r], [-r, -r]]) + [cx, cy]
            else:
                cx, cy = home[p] + rng.normal(0, 1500, 2)
                r, kind, (days, a, b) = rng.uniform(200, 500), "EXCLUSION", sched[z % 4]
                ang = np.linspace(0, 2 * np.pi, 17)
                ring = np.column_stack([cx + r * np.cos(ang), cy + r * np.sin(ang)])
            lon, lat = to_lonlat(ring[:, 0], ring[:, 1])
            wkt = "POLYGON((" + ", ".join(f"{x:.7f} {y:.7f}" for x, y in zip(lon, lat, strict=True)) + "))"
            rows.append((pids[p], f"Z{z:05d}", kind, wkt, "2024-10-19", None, days, a, b, z + 1))
        zdf = pd.DataFrame(rows, columns=["person_pid", "zone_id", "zone_type", "wkt", "af", "ato",
                                          "days", "st", "en", "rn"])
        con.register("zdf", zdf)
        con.execute("""INSERT INTO em_zones SELECT person_pid, zone_id, zone_type, wkt,
                       CAST(af AS DATE), CAST(ato AS DATE), days, CAST(st AS TIME), CAST(en AS TIME),
                       NULL, 3, rn, 3 FROM zdf""")
        con.unregister("zdf")
    ws.checkpoint()
    out = {"pings": ws.scalar("SELECT count(*) FROM em_pings"), "people": people,
           "crimes": ws.scalar("SELECT count(*) FROM crimes"),
           "zones": ws.scalar("SELECT count(*) FROM em_zones")}
    ws.close()
    return out


def truth_table() -> list[list]:
    """Precision/recall of matches and episodes on the synthetic scenario vs D, T, max gap."""
    import os
    import tempfile

    import pandas as pd

    from vru.analysis.tags import evaluate, store
    from vru.privacy import agreements
    from vru.privacy.pseudonymise import Pseudonymiser
    from vru.settings import Tags
    from vru.sources.contract import import_source
    from vru.sources.registry import SOURCES
    from vru.synth.tags import TagScenarioParams, generate_tags
    from vru.workspace import Workspace

    key = "bench-tags-key-not-a-secret-0123456789"
    tmp = Path(tempfile.mkdtemp(prefix="vru-tags-truth-"))
    try:
        generate_tags(tmp / "sc", TagScenarioParams())
        ws = Workspace.init(tmp / "ws")
        with ws.transaction() as con:
            agreements.add(con, "em_gps", "Probation", "x", ["electronic monitoring"], 600)
            agreements.add(con, "police_rms", "Police", "x", ["crime-scene correlation"], 600)
        for s, sub in (("em_gps", "em"), ("police_rms", "police-rms")):
            import_source(ws, SOURCES[s], [tmp / "sc" / sub], key=key.encode())
        ps = Pseudonymiser(key.encode())
        pnc = {ps.pseudonym("pnc_id", p): p for p in
               pd.read_csv(tmp / "sc" / "em" / "tagged-people.csv", dtype=str).person_id}
        pres = pd.read_csv(tmp / "sc" / "truth" / "tags_presence.csv", dtype=str)
        crimes = pd.read_csv(tmp / "sc" / "truth" / "tags_crimes.csv", dtype=str)
        eps = pd.read_csv(tmp / "sc" / "truth" / "tags_episodes.csv", dtype=str).fillna("")
        eps["start"], eps["end"] = pd.to_datetime(eps.start_utc), pd.to_datetime(eps.end_utc)
        rows = []
        base = Tags()
        grid = [("defaults", {})] + [(f"D={d}", {"radius_m": d}) for d in (25, 50, 150, 250)] + \
            [(f"T={t}", {"window_minutes": t}) for t in (0, 10, 60, 120)] + \
            [(f"max gap={g}", {"max_gap_minutes": g}) for g in (2, 10, 60, 240)]
        from dataclasses import replace

        for label, kw in grid:
            s = replace(base, **kw)
            store.run_match(ws, s, incremental=False)
            store.run_breaches(ws, s)
            m = pd.DataFrame(store.matches(ws))
            m = m.assign(crime_reference=m.crime_id, person_id=m.person_pid.map(pnc))
            sm = evaluate.score_matches(m, pres, crimes)
            e = pd.DataFrame(store.episodes(ws))
            e = e.assign(person_id=e.person_pid.map(pnc), start=e.start_utc, end=e.end_utc,
                         zone_id=e.zone_id.fillna(""))
            se = evaluate.score_episodes(e, eps)
            rows.append([label, sm.found, sm.true, f"{sm.precision:.3f}", f"{sm.recall:.3f}",
                         se.found, se.true, f"{se.precision:.3f}", f"{se.recall:.3f}"])
        ws.close()
        os.environ.pop("X", None)
        return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="200k pings x 5k crimes x 500 zones")
    ap.add_argument("--pings", type=int, default=None)
    ap.add_argument("--crimes", type=int, default=None)
    ap.add_argument("--zones", type=int, default=None)
    ap.add_argument("--truth", action="store_true", help="precision/recall vs D, T, max gap")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the generated workspace")
    ap.add_argument("--reuse", action="store_true", help="reuse a kept workspace")
    ap.add_argument("--only", default=None, help="comma-separated: vru,baseline,matching,breaches")
    ap.add_argument("--baseline-timeout", type=int, default=1800,
                    help="stop a baseline after this many seconds and report it as longer")
    a = ap.parse_args()
    if a.truth:
        rows = truth_table()
        print(table(rows, ["setting", "matches", "true", "precision", "recall", "episodes", "true",
                           "precision", "recall"]))
        save("bench_tags_truth", {"rows": rows})
        return
    pings = a.pings or (200_000 if a.quick else 10_000_000)
    crimes = a.crimes or (5_000 if a.quick else 50_000)
    zones = a.zones or (500 if a.quick else 5_000)
    ws_dir = RESULTS / "tags-ws"
    RESULTS.mkdir(parents=True, exist_ok=True)
    import time

    t = time.perf_counter()
    if a.reuse and ws_dir.exists():
        from vru.workspace import Workspace

        with Workspace.open(ws_dir, read_only=True) as w:
            info = {"pings": w.scalar("SELECT count(*) FROM em_pings"),
                    "people": w.scalar("SELECT count(*) FROM em_people"),
                    "crimes": w.scalar("SELECT count(*) FROM crimes"),
                    "zones": w.scalar("SELECT count(*) FROM em_zones")}
        print(f"data (reused): {info}")
    else:
        info = generate(ws_dir, pings, crimes, zones)
        print(f"data: {info} (generated in {time.perf_counter() - t:.0f} s)")
    results = {"data": info}
    runs = [("vru matching", VRU_MATCH), ("vru breaches", VRU_BREACH)]
    if not a.skip_baseline:
        runs = [("vru matching", VRU_MATCH), ("baseline matching", BASE_MATCH),
                ("vru breaches", VRU_BREACH), ("baseline breaches", BASE_BREACH)]
    if a.only:  # e.g. --only vru, --only matching, --only baseline,breaches
        want = a.only.split(",")
        runs = [(n, b) for n, b in runs if all(w in n for w in want)]
    for name, body in runs:
        try:
            sec, peak, out = _child(timed_code(SETUP, body), str(ws_dir),
                                    a.baseline_timeout if name.startswith("baseline") else None)
        except subprocess.TimeoutExpired:
            results[name] = {"seconds": float(a.baseline_timeout), "peak_mb": None, "rows": None,
                             "stopped": True}
            print(f"{name}: stopped after {a.baseline_timeout} s (not finished)", flush=True)
            continue
        rows = json.loads(out.strip().splitlines()[-2])["rows"]
        results[name] = {"seconds": round(sec, 2), "peak_mb": round(peak), "rows": rows}
        print(f"{name}: {sec:.1f} s, peak {peak:.0f} MB, {rows} rows", flush=True)
    lines = []
    for what in ("matching", "breaches"):
        v = results.get(f"vru {what}")
        if v is None:
            continue
        b = results.get(f"baseline {what}")
        ratio = (f"{'>' if b.get('stopped') else ''}{b['seconds'] / v['seconds']:.1f}x"
                 if b else "-")
        lines.append([what, v["seconds"], v["peak_mb"],
                      (f">{b['seconds']:.0f}" if b.get("stopped") else b["seconds"]) if b else "-",
                      (b["peak_mb"] or "-") if b else "-", ratio])
        results[f"{what}_speedup"] = ratio
    print(table(lines, ["", "vru s", "vru peak MB", "baseline s", "baseline peak MB",
                        "baseline/vru"]))
    save("bench_tags", results)
    if not a.keep:
        shutil.rmtree(ws_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
