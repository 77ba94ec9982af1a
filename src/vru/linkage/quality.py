"""Linkage quality on the synthetic world: Splink and the deterministic baseline in one run,
scored against the planted truth (pairwise and B-cubed, by name origin and by sex).

Used by the tests, ``vru link evaluate`` and ``bench/bench_linkage.py``. The raw synthetic
records live in memory only; the engines see keyed features.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from vru.linkage import baseline, evaluate, model
from vru.linkage.spec import ModelParams
from vru.privacy.matchkeys import MatchKeyMaker, record_features
from vru.privacy.pseudonymise import Pseudonymiser

THRESHOLDS = (0.5, 0.9, 0.99, 0.995, 0.998, 0.999, 0.9999)
BASELINE_COLUMNS = ["record_key", "fn_h", "sn_h", "dob_h", "pnc_pid", "nhs_pid", "upn_pid"]


def features_of(records: pd.DataFrame, key: bytes, bloom: bool = True) -> pa.Table:
    """Keyed features of synthetic records, with record_key and source."""
    t = record_features(MatchKeyMaker(key, bloom=bloom), Pseudonymiser(key), records)
    t = t.append_column("record_key", pa.array(records["record_id"].to_numpy(), pa.int64()))
    return t.append_column("source", pa.array(records["source"].astype(str).to_numpy()))


@dataclass
class QualityReport:
    records: int
    persons: int
    threshold: float
    splink: evaluate.Scores
    baseline: evaluate.Scores
    by_threshold: pd.DataFrame                 # cluster scores of Splink at each threshold
    pair_curve: pd.DataFrame                   # scored pairs, before clustering
    by_origin: pd.DataFrame
    by_sex: pd.DataFrame
    baseline_by_origin: pd.DataFrame
    equal_precision: dict[str, Any]
    by_source: pd.DataFrame                    # records unlinked per source, Splink and baseline
    seconds: dict[str, float] = field(default_factory=dict)
    params: ModelParams | None = None
    clusters: pd.DataFrame | None = None


def run_quality(records: pd.DataFrame, key: bytes, db_api: Any, threshold: float = 0.99,
                bloom: bool = True, u_pairs: float = 2e6, em_pairs: float | None = None,
                params: ModelParams | None = None) -> QualityReport:
    """Train (unless ``params`` given), predict, cluster; baseline; score both."""
    tm = model.Timings()
    t0 = time.perf_counter()
    feats = features_of(records, key, bloom)
    tm.add("features", t0)
    if params is None:
        params = model.train(db_api, feats, bloom=bloom, u_pairs=u_pairs, em_pairs=em_pairs,
                             timings=tm)
    link = model.linker_for(db_api, feats, params)
    pairs = model.predict(link, min(0.5, threshold), tm)
    clusters = {}
    for t in sorted({*THRESHOLDS, threshold}):
        step = "clustering" if t == threshold else "clustering_sweep"
        c = model.cluster(link, pairs, t, tm if step == "clustering" else None).to_pandas()
        clusters[t] = c
    t0 = time.perf_counter()
    base = baseline.deterministic_clusters(feats.select(BASELINE_COLUMNS).to_pandas())
    tm.add("baseline", t0)
    truth = records.set_index("record_id")["person_id"]

    def scored(c: pd.DataFrame) -> tuple[pd.DataFrame, evaluate.Scores]:
        m = records[["record_id", "person_id", "origin", "true_sex", "source"]].merge(
            c, left_on="record_id", right_on="record_key", how="left", validate="1:1")
        m["cluster_key"] = m["cluster_key"].fillna(-m["record_id"])
        return m, evaluate.score_clusters(m["person_id"].to_numpy(), m["cluster_key"].to_numpy())

    rows = []
    for t, c in clusters.items():
        _, s = scored(c)
        rows.append({"threshold": t, **s.as_dict()})
    by_t = pd.DataFrame(rows)
    main, s_main = scored(clusters[threshold])
    bm, s_base = scored(base)
    pt = model.pairs_table(pairs).to_pandas()
    same = (truth.reindex(pt["record_key_l"]).to_numpy()
            == truth.reindex(pt["record_key_r"]).to_numpy())
    curve = evaluate.pair_curve(same, pt["match_probability"].to_numpy(),
                                evaluate.true_pair_count(records["person_id"].to_numpy()),
                                list(THRESHOLDS))
    # Splink's recall at (at least) the baseline's precision: the lowest threshold whose
    # cluster precision reaches the baseline's.
    ok = by_t[by_t["precision"] >= s_base.precision]
    eq: dict[str, Any] = {"baseline_precision": s_base.precision,
                          "baseline_recall": s_base.recall}
    if len(ok):
        best = ok.sort_values("threshold").iloc[0]
        eq.update(threshold=float(best["threshold"]), splink_precision=float(best["precision"]),
                  splink_recall=float(best["recall"]))
    else:
        eq.update(threshold=None, splink_precision=float(by_t["precision"].max()),
                  splink_recall=None)
    return QualityReport(
        records=len(records), persons=int(records["person_id"].nunique()), threshold=threshold,
        splink=s_main, baseline=s_base, by_threshold=by_t, pair_curve=curve,
        by_origin=evaluate.by_group(main["person_id"].to_numpy(), main["cluster_key"].to_numpy(),
                                    main["origin"].to_numpy()),
        by_sex=evaluate.by_group(main["person_id"].to_numpy(), main["cluster_key"].to_numpy(),
                                 main["true_sex"].to_numpy()),
        baseline_by_origin=evaluate.by_group(bm["person_id"].to_numpy(),
                                             bm["cluster_key"].to_numpy(),
                                             bm["origin"].to_numpy()),
        equal_precision=eq, by_source=unlinked_by_source(main, bm), seconds=dict(tm.seconds),
        params=params,
        clusters=clusters[threshold])


def unlinked_by_source(splink: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """Per source: records, those whose true person has other records ("linkable"), and how
    many of those each method left alone (in no cluster with another record). Both frames
    hold the same records in the same order (source, person_id, cluster_key)."""
    def alone(m: pd.DataFrame) -> np.ndarray:
        return m["cluster_key"].map(m["cluster_key"].value_counts()).eq(1).to_numpy()

    linkable = splink["person_id"].map(splink["person_id"].value_counts()).gt(1).to_numpy()
    df = pd.DataFrame({"source": splink["source"].to_numpy(), "records": 1,
                       "linkable": linkable, "splink_unlinked": linkable & alone(splink),
                       "baseline_unlinked": linkable & alone(base)})
    return df.groupby("source", sort=True).sum().astype(int).reset_index()


def format_report(r: QualityReport) -> str:
    """A plain-text summary (no record-level content)."""
    def line(name: str, s: evaluate.Scores) -> str:
        return (f"{name:<14} P={s.precision:.4f} R={s.recall:.4f} F1={s.f1:.4f}  "
                f"B3-P={s.bcubed_precision:.4f} B3-R={s.bcubed_recall:.4f} "
                f"B3-F1={s.bcubed_f1:.4f}")
    out = [f"{r.records} records of {r.persons} persons; threshold {r.threshold}",
           line("splink", r.splink), line("deterministic", r.baseline),
           "splink clusters by threshold:",
           r.by_threshold[["threshold", "precision", "recall", "f1", "bcubed_f1"]]
           .to_string(index=False, float_format=lambda x: f"{x:.4f}"),
           "scored pairs (before clustering):",
           r.pair_curve.to_string(index=False, float_format=lambda x: f"{x:.4f}"),
           f"equal precision: {r.equal_precision}",
           "by name origin (splink):",
           r.by_origin.to_string(index=False, float_format=lambda x: f"{x:.4f}"),
           "by name origin (deterministic):",
           r.baseline_by_origin.to_string(index=False, float_format=lambda x: f"{x:.4f}"),
           "linkable records left unlinked, by source:",
           r.by_source.to_string(index=False),
           "by sex (splink):",
           r.by_sex.to_string(index=False, float_format=lambda x: f"{x:.4f}"),
           "seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in r.seconds.items())]
    return "\n".join(out)

