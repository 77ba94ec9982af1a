"""The same records give the same trained model, bit for bit, so every match weight, link and
cluster is repeatable (EM's sums run on DuckDB's threads and differed in the last bits)."""

from __future__ import annotations

from vru.linkage import model
from vru.linkage.quality import features_of
from vru.synth.identities import synthetic_linkage_set

KEY = b"repeatable-model-key-0123456789"


def test_training_twice_gives_the_same_model():
    from splink import DuckDBAPI

    recs, _ = synthetic_linkage_set(people=6_000, seed=5, records=20_000)
    feats = features_of(recs, KEY)
    first = model.train(DuckDBAPI(), feats, u_pairs=5e5)
    second = model.train(DuckDBAPI(), feats, u_pairs=5e5)
    assert first.lambda_ == second.lambda_
    assert first.comparisons == second.comparisons
    # trained, not defaults: the identifier's exact level is far likelier among matches
    nhs = first.comparisons["nhs"]
    exact = next(lv for lv in nhs if lv.m is not None and lv.u is not None)
    assert exact.m / exact.u > 1000
