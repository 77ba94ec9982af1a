"""Linkage scores checked against brute-force pair enumeration and a published example."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from vru.linkage.evaluate import by_group, pair_curve, score_clusters, true_pair_count


def _brute(truth, cluster):
    n = len(truth)
    tp = fp = fn = 0
    for i, j in combinations(range(n), 2):
        same_t, same_c = truth[i] == truth[j], cluster[i] == cluster[j]
        tp += same_t and same_c
        fp += same_c and not same_t
        fn += same_t and not same_c
    bp = np.mean([sum(cluster[j] == cluster[i] and truth[j] == truth[i] for j in range(n))
                  / sum(cluster[j] == cluster[i] for j in range(n)) for i in range(n)])
    br = np.mean([sum(cluster[j] == cluster[i] and truth[j] == truth[i] for j in range(n))
                  / sum(truth[j] == truth[i] for j in range(n)) for i in range(n)])
    return tp, fp, fn, bp, br


@pytest.mark.parametrize("seed", range(5))
def test_scores_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 15, 60)
    cluster = np.where(rng.random(60) < 0.2, rng.integers(0, 15, 60), truth) * 7 % 11
    s = score_clusters(truth, cluster)
    tp, fp, fn, bp, br = _brute(truth, cluster)
    assert s.true_positive_pairs == tp
    assert s.predicted_pairs == tp + fp and s.true_pairs == tp + fn
    assert s.precision == pytest.approx(tp / (tp + fp))
    assert s.recall == pytest.approx(tp / (tp + fn))
    assert s.bcubed_precision == pytest.approx(bp) and s.bcubed_recall == pytest.approx(br)
    assert true_pair_count(truth) == tp + fn


def test_bcubed_worked_example():
    # Amigo et al. (2009), B-cubed: one cluster of 5 holding 4 of class A and 1 of class B,
    # beside a cluster with the other B. Precision per item: A: 4/5 (x4), B: 1/5 and 1/1.
    truth = np.array(["A"] * 4 + ["B", "B"])
    cluster = np.array([1, 1, 1, 1, 1, 2])
    s = score_clusters(truth, cluster)
    assert s.bcubed_precision == pytest.approx((4 * 0.8 + 0.2 + 1.0) / 6)
    assert s.bcubed_recall == pytest.approx((4 * 1.0 + 0.5 + 0.5) / 6)


def test_groups_and_curve():
    truth = np.array([1, 1, 2, 2, 3, 3])
    cluster = np.array([1, 1, 2, 3, 4, 4])
    group = np.array(["x", "x", "y", "y", "x", "x"])
    g = by_group(truth, cluster, group).set_index("group")
    assert g.loc["x", "pairwise_recall"] == 1.0 and g.loc["y", "pairwise_recall"] == 0.0
    assert g.loc["y", "missed_pairs"] == 1
    c = pair_curve(np.array([True, False, True]), np.array([0.99, 0.95, 0.5]), 4, [0.9, 0.4])
    assert c["precision"].tolist() == [0.5, pytest.approx(2 / 3)]
    assert c["recall"].tolist() == [0.25, 0.5]
