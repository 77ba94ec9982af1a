"""Spark and DuckDB give the same persons from the same model (Splink's SparkAPI, local mode).

Behind the ``spark`` marker: the main test run leaves it out, CI runs it in its own step
(``pytest -m spark``). Needs pyspark (``vru[spark]``) and Java 17+."""

from __future__ import annotations

import os

import pandas as pd
import pytest

pytestmark = pytest.mark.spark

pyspark = pytest.importorskip("pyspark", reason="the Spark tests need vru[spark] (pyspark)")

KEY = b"spark-parity-key-0123456789abc"
N_RECORDS = 100_000


def _partition_agreement(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Share of records whose whole cluster (as a set of records) is the same in a and b."""
    def sets(df: pd.DataFrame) -> pd.Series:
        members = df.groupby("cluster_key")["record_key"].apply(frozenset)
        return df["cluster_key"].map(members).set_axis(df["record_key"])

    sa, sb = sets(a), sets(b)
    sb = sb.reindex(sa.index)
    return float((sa.to_numpy() == sb.to_numpy()).mean())


@pytest.fixture(scope="module")
def spark_api(tmp_path_factory):
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from vru.linkage import spark

    api = spark.spark_api(tmp_path_factory.mktemp("spark"), cores=2)
    yield api
    spark.stop()


def test_spark_and_duckdb_clusters_agree_on_100k_records(spark_api):
    from splink import DuckDBAPI

    from vru.linkage import model
    from vru.linkage.quality import features_of
    from vru.linkage.spark import to_spark
    from vru.synth.identities import synthetic_linkage_set

    recs, _ = synthetic_linkage_set(people=30_000, seed=21, records=N_RECORDS)
    assert abs(len(recs) - N_RECORDS) < 0.05 * N_RECORDS
    feats = features_of(recs, KEY)
    duck = DuckDBAPI()
    params = model.train(duck, feats)

    d_link = model.linker_for(duck, feats, params)
    d_pairs = model.predict(d_link, 0.01)
    d_clusters = model.cluster(d_link, d_pairs, 0.99).to_pandas()

    s_link = model.linker_for(spark_api, spark_api.register(to_spark(spark_api, feats)), params)
    s_pairs = model.predict(s_link, 0.01)
    s_clusters = model.cluster(s_link, s_pairs, 0.99).to_pandas()

    assert len(d_clusters) == len(s_clusters) == len(recs)
    agree = _partition_agreement(d_clusters, s_clusters)
    print(f"records {len(recs)}: clusters agree on {agree:.6f} of records")
    assert agree >= 0.999, agree
    # The scored pairs themselves: the same pairs, the same weights.
    dp = model.pairs_table(d_pairs).to_pandas().set_index(["record_key_l", "record_key_r"])
    sp = model.pairs_table(s_pairs).to_pandas().set_index(["record_key_l", "record_key_r"])
    assert len(dp) == len(sp)
    both = dp.merge(sp, left_index=True, right_index=True, suffixes=("_d", "_s"))
    assert len(both) == len(dp)
    assert (both["match_weight_d"] - both["match_weight_s"]).abs().max() < 1e-6


def test_workspace_links_on_spark_like_on_duckdb(spark_api, tmp_path, monkeypatch):
    """`vru link run --engine spark` through the workspace: the same persons as DuckDB."""
    from vru.linkage import service
    from vru.privacy import agreements
    from vru.privacy.pseudonymise import KEY_ENV, KEY_FILE_ENV
    from vru.sources.contract import import_source
    from vru.sources.registry import SOURCES
    from vru.synth.identities import synthetic_linkage_set, write_partner_files
    from vru.workspace import Workspace

    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    recs, _ = synthetic_linkage_set(people=400, seed=22)
    write_partner_files(recs, tmp_path / "files")
    ws = Workspace.init(tmp_path / "ws")
    try:
        dirs = (("admissions", "admissions"), ("education", "education"),
                ("youth_justice", "youth-justice"), ("police_rms", "police-rms"), ("em_gps", "em"))
        with ws.transaction() as con:
            for s, _ in dirs:
                agreements.add(con, s, "agency", "SV Duty", ["record linkage"], 120)
        for s, d in dirs:
            import_source(ws, SOURCES[s], [tmp_path / "files" / d])
        service.train_model(ws)
        service.run_linkage(ws, 0.99, mode="full", engine="duckdb")
        a = ws.df("SELECT record_key, person_id FROM person_links")
        run = service.run_linkage(ws, 0.99, mode="full", engine="spark")
        b = ws.df("SELECT record_key, person_id FROM person_links")
    finally:
        ws.close()
    assert run.engine == "spark" and len(a) == len(b) > 500
    m = a.merge(b, on="record_key")
    assert (m["person_id_x"] == m["person_id_y"]).mean() >= 0.999
