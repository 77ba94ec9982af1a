"""Gi* against esda (same weights), FDR against statsmodels, bins, and a planted hot spot."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from esda.getisord import G_Local
from libpysal.weights import WSP
from statsmodels.stats.multitest import multipletests

from tests.hotspots.conftest import HOT, planted_events
from vru.analysis.hotspots import gistar, units


def _esda_w(w_sparse):
    """The same binary weights as a libpysal W (without the diagonal: esda adds it for Gi*)."""
    no_diag = w_sparse.tolil()
    no_diag.setdiag(0)
    return WSP(no_diag.tocsr()).to_W(silence_warnings=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gi_star_z_equals_esda(seed):
    x, y, _ = planted_events(n_months=3, seed=seed)
    u = units.grid_units(x, y, 250, extent="bbox", pad=1)
    idx = u.assign(x, y)
    counts = np.bincount(idx, minlength=len(u)).astype(float)
    w = units.distance_band_weights(u.x, u.y, 1.5 * 250)
    ours = gistar.gi_star_z(counts, w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = G_Local(counts, _esda_w(w), transform="B", star=True, permutations=0)
    assert np.max(np.abs(ours - ref.Zs)) < 1e-6
    assert np.isfinite(ours).all()


def test_gi_star_many_columns_equal_one_by_one():
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 3000, 400), rng.uniform(0, 3000, 400)
    w = units.distance_band_weights(x, y, 400)
    Y = rng.poisson(2.0, size=(400, 6)).astype(float)
    both = gistar.gi_star_z(Y, w)
    for k in range(6):
        assert np.allclose(both[:, k], gistar.gi_star_z(Y[:, k], w))


def test_fdr_matches_statsmodels_and_bins():
    rng = np.random.default_rng(2)
    p = np.concatenate([rng.uniform(0, 0.002, 30), rng.uniform(0, 1, 500)])
    ours = gistar.bh_adjust(p)
    ref = multipletests(p, method="fdr_bh")[1]
    assert np.allclose(ours, ref)
    z = np.array([4.0, -2.2, 1.7, 0.1, -3.0])
    pv = np.array([0.001, 0.03, 0.08, 0.9, 0.0099])
    assert gistar.gi_bins(z, pv).tolist() == [3, -2, 1, 0, -3]


def test_planted_hot_spots_are_found_and_nothing_far_away():
    x, y, _ = planted_events(n_months=6)
    u = units.grid_units(x, y, 150, extent="bbox", pad=1)
    idx = u.assign(x, y)
    counts = np.bincount(idx, minlength=len(u)).astype(float)
    w = units.distance_band_weights(u.x, u.y, 225)
    r = gistar.gi_star(counts, w, fdr=True)
    hot = r.bin == 3
    for cx, cy in HOT:
        near = np.hypot(u.x - cx, u.y - cy) < 100
        assert hot[near].all()
    far = np.min([np.hypot(u.x - cx, u.y - cy) for cx, cy in HOT], axis=0) > 600
    assert not (r.bin[far] >= 2).any()


def test_empirical_p_matches_exact_enumeration():
    # 9 places on a line, binary distance band incl. self: neighbourhoods of 2 and 3 places.
    # The null of each local sum: K values drawn from the 9 observed values, every one of the
    # 9^K draws equally likely (itertools.product: independent of the FFT convolution)
    from itertools import product

    vals = np.array([0, 0, 1, 0, 2, 7, 9, 1, 0], float)
    w = units.distance_band_weights(np.arange(9) * 100.0, np.zeros(9), 100)
    sums = w @ vals
    k = np.diff(w.tocsr().indptr)
    ours = gistar.empirical_p(vals, w)
    for i in range(9):
        null = np.array([sum(c) for c in product(vals, repeat=int(k[i]))])
        hi, lo = (null >= sums[i]).mean(), (null <= sums[i]).mean()
        assert ours[i] == pytest.approx(min(1.0, 2 * min(hi, lo)), abs=1e-9), i


def test_empirical_p_agrees_with_normal_p_where_the_normal_shape_holds():
    # symmetric values, large neighbourhoods: the normal approximation is good there, and the
    # two p values must agree (values on a lattice of 4,096 steps: not integers)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 3000, 1000), rng.uniform(0, 3000, 1000)
    vals = rng.normal(10, 2, 1000) + (np.hypot(x - 1500, y - 1500) < 400) * 1.5
    w = units.distance_band_weights(x, y, 300)
    assert np.diff(w.tocsr().indptr).min() >= 8
    normal = gistar.two_sided_p(gistar.gi_star_z(vals, w))
    emp = gistar.empirical_p(vals, w)
    assert np.max(np.abs(emp - normal)) < 0.02
    assert gistar.lattice(vals)[1] != 1.0 and "lattice" in \
        gistar.gi_star(vals, w, inference="empirical").params["test"]


def test_empirical_p_does_not_flag_lone_skewed_values_that_the_normal_tail_does():
    # skewed counts (most cells 0-1, a few large), single-cell neighbourhoods: under the normal
    # approximation the large single values look like 99% hot spots; in their own distribution a
    # lone value is only as rare as its rank, which FDR does not call a discovery
    rng = np.random.default_rng(4)
    vals = rng.negative_binomial(0.5, 0.3, 3000).astype(float)
    w = units.distance_band_weights(np.arange(3000) * 1000.0, np.zeros(3000), 10)  # self only
    normal = gistar.gi_star(vals, w, fdr=True, inference="normal")
    emp = gistar.gi_star(vals, w, fdr=True, inference="empirical")
    assert (normal.bin > 0).sum() > 10
    assert (emp.bin > 0).sum() == 0
    # the p of a lone value is its share of values at least as large (doubled)
    top = int(np.argmax(vals))
    assert emp.p[top] == pytest.approx(min(1.0, 2 * (vals >= vals[top]).mean()), abs=1e-9)
    assert emp.params["inference"] == "empirical"
    assert gistar.significance_label(emp.params).startswith("FDR-corrected")


def test_empirical_p_finds_the_planted_hot_spots_and_flags_little_else():
    x, y, _ = planted_events(n_months=6)
    u = units.grid_units(x, y, 150, extent="bbox", pad=1)
    counts = np.bincount(u.assign(x, y), minlength=len(u)).astype(float)
    w = units.distance_band_weights(u.x, u.y, 225)
    r = gistar.gi_star(counts, w, fdr=True, inference="empirical")
    for cx, cy in HOT:
        assert (r.bin[np.hypot(u.x - cx, u.y - cy) < 100] > 0).all()
    far = np.min([np.hypot(u.x - cx, u.y - cy) for cx, cy in HOT], axis=0) > 600
    assert not (r.bin[far] > 0).any()


def test_gi_star_refuses_unknown_inference_and_non_binary_weights():
    w = units.distance_band_weights(np.arange(5) * 10.0, np.zeros(5), 15)
    with pytest.raises(ValueError, match="inference"):
        gistar.gi_star(np.arange(5.0), w, inference="bootstrap")
    with pytest.raises(ValueError, match="binary"):
        gistar.empirical_p(np.arange(5.0), w * 0.5)
