"""Record linkage at scale: Splink training, prediction and clustering time and peak memory on
synthetic person records across five sources, next to the deterministic baseline in the same
run, on DuckDB and (with --spark) on Spark local mode.

    .venv/bin/python bench/bench_linkage.py                 # 1M records, DuckDB
    .venv/bin/python bench/bench_linkage.py --spark         # ... and Spark local mode
    .venv/bin/python bench/bench_linkage.py --quick         # 50k records (smoke run)
    .venv/bin/python bench/bench_linkage.py --records 200000

Goal (docs/guide/linkage.md): 1M records under 5 minutes and 8 GB on a 2-core machine.
Features are made once in the parent (not timed: they are made at import); each engine runs in
its own child process, whose peak memory includes its children (Spark's JVM), sampled.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import ROOT, run_child, save, table  # noqa: E402

CHILD = r'''
import json, sys, threading, time, os
import psutil
import pyarrow.parquet as pq
import pandas as pd

engine, folder = sys.argv[1], sys.argv[2]
proc = psutil.Process()
peak = [0]
stop = threading.Event()


def sample():
    while not stop.is_set():
        try:
            rss = proc.memory_info().rss + sum(c.memory_info().rss
                                               for c in proc.children(recursive=True))
        except psutil.Error:
            rss = 0
        peak[0] = max(peak[0], rss)
        stop.wait(0.2)


threading.Thread(target=sample, daemon=True).start()
from vru.linkage import baseline, evaluate, model

feats = pq.read_table(os.path.join(folder, "features.parquet"))
truth = pd.read_parquet(os.path.join(folder, "truth.parquet"))
t0 = time.perf_counter()
if engine == "duckdb":
    import duckdb
    from splink import DuckDBAPI
    con = duckdb.connect()
    con.execute("SET memory_limit = '6GB'")
    con.execute(f"SET temp_directory = '{folder}/duckdb-tmp'")
    api = DuckDBAPI(connection=con)
    table = api.register(feats)
else:
    from vru.linkage.spark import spark_api, to_spark
    api = spark_api(os.path.join(folder, "spark"), cores=2)
    table = api.register(to_spark(api, feats))
start = time.perf_counter() - t0
tm = model.Timings()
params = model.train(api, table, u_pairs=2e6, em_pairs=2e6, timings=tm)
link = model.linker_for(api, table, params)
pairs = model.predict(link, 0.01, tm)
clusters = model.cluster(link, pairs, 0.99, tm).to_pandas()
n_pairs = pairs.as_pandas_dataframe().shape[0] if engine == "duckdb" else None
t1 = time.perf_counter()
base = baseline.deterministic_clusters(
    feats.select(["record_key", "fn_h", "sn_h", "dob_h", "pnc_pid", "nhs_pid", "upn_pid"])
    .to_pandas())
base_s = time.perf_counter() - t1
stop.set()
m = truth.merge(clusters, on="record_key", how="left")
m["cluster_key"] = m["cluster_key"].fillna(-m["record_key"])
s = evaluate.score_clusters(m["person_id"].to_numpy(), m["cluster_key"].to_numpy())
b = truth.merge(base, on="record_key")
sb = evaluate.score_clusters(b["person_id"].to_numpy(), b["cluster_key"].to_numpy())
print(json.dumps({"engine": engine, "start_s": start, **{k + "_s": v for k, v in tm.seconds.items()},
                  "baseline_s": base_s, "pairs": n_pairs,
                  "f1": s.f1, "precision": s.precision, "recall": s.recall,
                  "baseline_f1": sb.f1, "baseline_precision": sb.precision,
                  "baseline_recall": sb.recall,
                  "seconds": sum(tm.seconds.values()), "peak_mb": peak[0] / 2**20}))
'''


def main() -> int:
    args = sys.argv[1:]
    quick = "--quick" in args
    n = 50_000 if quick else 1_000_000
    if "--records" in args:
        n = int(args[args.index("--records") + 1])
    engines = ["duckdb"] + (["spark"] if "--spark" in args else [])
    if "--spark-only" in args:
        engines = ["spark"]

    import pandas as pd
    import pyarrow.parquet as pq

    from vru.linkage.quality import features_of
    from vru.synth.identities import synthetic_linkage_set

    folder = Path(tempfile.mkdtemp(prefix="vru-bench-linkage-"))
    t0 = time.perf_counter()
    people = max(1000, int(n / 3.4))
    recs, _ = synthetic_linkage_set(people=people, seed=5, records=n)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    feats = features_of(recs, b"bench-linkage-key-0123456789abcd")
    feat_s = time.perf_counter() - t0
    pq.write_table(feats, folder / "features.parquet")
    pd.DataFrame({"record_key": recs["record_id"], "person_id": recs["person_id"]}).to_parquet(
        folder / "truth.parquet")
    print(f"{len(recs):,} records of {recs['person_id'].nunique():,} people in "
          f"{recs['source'].nunique()} sources (generated in {gen_s:.0f} s; features made in "
          f"{feat_s:.0f} s, not timed below: they are made at import)", flush=True)
    results = []
    for engine in engines:
        seconds, peak_mb, out = run_child(CHILD, engine, str(folder))
        info = json.loads(out.strip().splitlines()[-1])
        results.append(info)
        print(json.dumps(info), flush=True)
    rows = []
    for r in results:
        total = r["training_s"] + r["prediction_s"] + r["clustering_s"]
        rows.append([r["engine"], f"{r['start_s']:.0f}", f"{r['training_s']:.0f}",
                     f"{r['prediction_s']:.0f}", f"{r['clustering_s']:.0f}", f"{total:.0f}",
                     f"{r['baseline_s']:.1f}", f"{total / r['baseline_s']:.0f}x",
                     f"{r['peak_mb'] / 1024:.1f}", f"{r['f1']:.4f}", f"{r['baseline_f1']:.4f}",
                     "yes" if total < 300 and r["peak_mb"] < 8192 else "NO"])
    print()
    print(table(rows, ["engine", "start s", "train s", "predict s", "cluster s", "total s",
                       "baseline s", "ratio", "peak GB", "F1", "baseline F1",
                       "goal (<300 s, <8 GB)"]))
    save("linkage", {"records": len(recs), "results": results, "root": str(ROOT)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
