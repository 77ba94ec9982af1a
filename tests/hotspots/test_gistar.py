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
