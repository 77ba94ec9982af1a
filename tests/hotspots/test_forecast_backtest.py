"""Forecast methods, the Hawkes fit on simulated data, and backtest measures against hand
computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.hotspots.conftest import HOT, planted_events
from vru.analysis.hotspots import backtest as bt
from vru.analysis.hotspots import forecast as fc
from vru.analysis.hotspots import kde
from vru.analysis.hotspots import units as un


def test_kde_equals_direct_sum_of_quartic_kernels():
    rng = np.random.default_rng(0)
    ex, ey = rng.uniform(0, 2000, 300), rng.uniform(0, 2000, 300)
    w = rng.uniform(0.5, 2, 300)
    ux, uy = rng.uniform(0, 2000, 50), rng.uniform(0, 2000, 50)
    ux[0], uy[0] = ex[0], ey[0]  # a centroid exactly on an event
    got = kde.kde_at(ux, uy, ex, ey, 300.0, w)
    d = np.hypot(ux[:, None] - ex[None, :], uy[:, None] - ey[None, :]) / 300.0
    k = np.where(d <= 1, 3 / np.pi * (1 - d**2) ** 2, 0.0)
    want = (k * w[None, :]).sum(axis=1) / 300.0**2 * 1e6
    assert np.allclose(got, want)
    # the quartic kernel integrates to 1: density x area = total weight
    grid = np.arange(-200, 2200, 20.0)
    gx, gy = np.meshgrid(grid, grid)
    dens = kde.kde_at(gx.ravel(), gy.ravel(), [1000.0], [1000.0], 300.0)
    assert dens.sum() * 20 * 20 / 1e6 == pytest.approx(1.0, rel=1e-2)


def _simulate_hawkes(n, T, mu, theta, beta, rng):
    K = 12
    g = (1 - beta) * beta ** np.arange(K)
    y = np.zeros((n, T))
    for t in range(T):
        lags = y[:, max(0, t - K):t][:, ::-1]
        lam = mu + theta * (lags * g[: lags.shape[1]]).sum(axis=1)
        y[:, t] = rng.poisson(lam)
    return y


def test_hawkes_em_recovers_simulated_parameters():
    # With a free background per unit, the MLE of theta is biased low on short series (each
    # unit's own offspring inflate its background: an incidental-parameter effect of order
    # 1/T). On a long series it comes close to the truth, and closer than on a short one.
    rng = np.random.default_rng(1)
    mu = rng.gamma(2.0, 0.5, 400)
    y = _simulate_hawkes(400, 240, mu, 0.4, 0.5, rng)
    fit = fc.fit_hawkes(y, iterations=200)
    assert fit.theta == pytest.approx(0.4, abs=0.08)
    assert fit.beta == pytest.approx(0.5, abs=0.2)
    assert np.corrcoef(fit.mu, mu)[0, 1] > 0.8
    short = fc.fit_hawkes(y[:, :36], iterations=200)
    assert short.theta < fit.theta


def test_hawkes_without_excitation_finds_little():
    rng = np.random.default_rng(2)
    y = rng.poisson(rng.gamma(2.0, 0.5, 3000)[:, None], size=(3000, 36)).astype(float)
    assert fc.fit_hawkes(y).theta < 0.1


def test_measures_by_hand():
    actual = np.array([5.0, 3, 0, 2, 0, 0, 0, 0, 0, 0])
    prev = np.array([1.0, 1, 1, 1, 1, 0, 0, 0, 0, 5])
    area = np.ones(10)
    r = bt.score_selection(np.array([0, 2]), actual, prev, area)
    assert r["hit_rate"] == pytest.approx(0.5)          # 5 of 10
    assert r["pai"] == pytest.approx(0.5 / 0.2)         # 20% of area
    assert r["pei"] == pytest.approx(5 / 8)             # best 2 cells hold 5 + 3
    assert r["rri"] == pytest.approx(0.5 / (2 / 10))    # held 2 of 10 last period
    scores = np.array([9.0, 1, 9, 0, 0, 0, 0, 0, 0, 0])
    sel = bt.select_top(scores, area, 20.0, np.arange(10))
    assert sorted(sel.tolist()) == [0, 2]


def _eventset(n_months=24, seed=1):
    x, y, m = planted_events(n_months=n_months, seed=seed)
    return bt.EventSet(x, y, m, np.ones(len(x)), [f"m{i}" for i in range(n_months)])


def test_backtest_on_stable_planted_hot_spots():
    from vru.analysis.hotspots import gbm

    ev = _eventset()
    units = un.grid_units(ev.x, ev.y, 250)
    # every method; the model's settings given (its tuning is tested below), small to stay fast
    small = {**gbm.DEFAULT_SETTINGS, "train_steps": 6, "max_iter": 30}
    res = bt.backtest(ev, units, range(12, 24),
                      {**fc.DEFAULT_SPECS, "gbm": small, "ensemble": small})
    assert set(res["method"]) == set(fc.METHODS)
    assert (res["area_definition"].str.startswith("active")).all()
    s = bt.summarise(res)
    at1 = s[s["coverage_pct"] == 1.0].set_index("method")
    # the planted spots hold 80 of ~230 events a month in 2 cells of ~1600: every method that
    # looks at more than one month finds them
    for m in ("count", "kde", "hawkes"):
        assert at1.loc[m, "hit_rate"] > 0.3
    assert at1.loc["count", "pai"] >= at1.loc["naive", "pai"] - 1e-9
    assert (res["pei"].dropna() <= 1 + 1e-9).all()
    best, pai = bt.best_method(s, 1.0)
    assert pai == at1["pai"].max()


def test_sensitivity_over_sizes_and_offsets():
    ev = _eventset(n_months=14)
    sens = bt.sensitivity(ev, [12, 13], sizes=(150.0, 300.0), offsets=(0.0, 0.5),
                          methods={"count": {"months": 12}})
    assert len(sens) == 4
    assert sorted(set(sens["offset_m"])) == [0.0, 75.0, 150.0]
    assert (sens["pai"] > 1).all()


def test_prospective_weights_recent_and_near():
    h = fc.History(np.array([0.0, 300.0, 1000.0]), np.zeros(3), np.zeros((3, 3)),
                   np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([2, 1]),
                   np.ones(2), cell_size=150.0)
    r = fc.prospective(h, months=2, bandwidth=400.0)
    assert r[0] == pytest.approx(1 / 1 + 1 / 2)          # same cell, lags 1 and 2
    assert r[1] == pytest.approx((1 / 1 + 1 / 2) / 3)    # 2 cells away
    assert r[2] == 0.0                                   # beyond 400 m
    _ = HOT


# ---------------------------------------------------------------- gradient-boosted forecast
def _planted_cube(T=30, n_side=20, seed=0):
    """A grid of cells with a stable background, a few persistent hot cells and a moving
    near-repeat flare-up; returns (units, cube)."""
    from vru.analysis.hotspots import units as un_

    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(n_side) * 250.0 + 125, np.arange(n_side) * 250.0 + 125)
    u = un_.grid_units(xs.ravel(), ys.ravel(), 250, extent="events")
    lam = rng.gamma(0.5, 0.4, len(u))
    lam[rng.choice(len(u), 8, replace=False)] += 4.0
    cube = rng.poisson(np.repeat(lam[:, None], T, axis=1)).astype(float)
    return u, cube


def test_gbm_features_never_look_ahead_and_tuning_uses_the_training_window_only():
    from vru.analysis.hotspots import gbm

    u, cube = _planted_cube()
    nb = gbm.neighbours(u.x, u.y, 250)
    moy = np.arange(cube.shape[1]) % 12 + 1
    t = 20
    X = gbm.features(cube, t, nb, moy)
    assert X.shape[1] == len(gbm.feature_names())
    spoiled = cube.copy()
    spoiled[:, t:] = 99.0  # the evaluated month and later
    assert np.array_equal(X, gbm.features(spoiled, t, nb, moy), equal_nan=True)
    rows = np.arange(len(u))
    small = {"train_steps": (6, 12), "min_samples_leaf": (20,)}
    a, ta = gbm.tune(gbm.Inputs(cube, nb, moy), t, rows, val_steps=2, grid=small)
    b, tb = gbm.tune(gbm.Inputs(spoiled, nb, moy), t, rows, val_steps=2, grid=small)
    assert a == b and [r["val_pai5"] for r in ta] == [r["val_pai5"] for r in tb]
    p1 = gbm.fit_predict(gbm.Inputs(cube, nb, moy), t, a)
    p2 = gbm.fit_predict(gbm.Inputs(spoiled, nb, moy), t, a)
    assert np.allclose(p1, p2)
    # it ranks the persistent hot cells first: the 8 planted cells are its top 8
    top = np.argsort(-p1)[:8]
    assert (cube[top, :t].mean(axis=1) > 2).sum() >= 7


def test_bootstrap_band_and_ratio_to_the_best_simple_baseline():
    rng = np.random.default_rng(3)
    rows = []
    for step in range(12):
        for m, base in (("naive", 4.0), ("count", 6.0), ("kde", 5.0), ("gbm", 6.6)):
            rows.append({"method": m, "step": step, "coverage_pct": 5.0,
                         "pai": base + rng.normal(0, 0.3), "pei": 0.5})
    res = pd.DataFrame(rows)
    b = bt.bootstrap(res, reps=4000).set_index("method")
    assert (b["best_baseline"] == "count").all()
    mean = res.pivot_table(index="step", columns="method", values="pai").mean()
    assert b.loc["gbm", "ratio"] == pytest.approx(mean["gbm"] / mean["count"])
    assert b.loc["count", "ratio"] == pytest.approx(1.0)
    # a 95% band of the mean of 12 values with sd 0.3: about +-1.96 * 0.3 / sqrt(12)
    half = (b.loc["gbm", "pai_hi"] - b.loc["gbm", "pai_lo"]) / 2
    assert half == pytest.approx(1.96 * res[res.method == "gbm"]["pai"].std(ddof=0)
                                 / np.sqrt(12), rel=0.2)
    assert b.loc["gbm", "ratio_lo"] < b.loc["gbm", "ratio"] < b.loc["gbm", "ratio_hi"]


# ---------------------------------------------------------------- validated ensemble
def test_ensemble_weights_follow_the_component_that_ranks_best_in_validation():
    from vru.analysis.hotspots import ensemble

    grid = ensemble.weight_grid(3)
    assert len(grid) == 66 and all(abs(sum(w) - 1) < 1e-12 for w in grid)
    rng = np.random.default_rng(1)
    lam = rng.gamma(0.5, 1.0, 400)
    validation = []
    for _ in range(4):
        actual = rng.poisson(lam).astype(float)
        validation.append(({"sharp": lam, "blurred": rng.permutation(lam),
                            "noise": rng.random(400)}, actual))
    tiebreak = rng.permutation(400)
    w, trials = ensemble.choose_weights(validation, tiebreak)
    assert w["sharp"] >= 0.8 and len(trials) == 66
    assert max(t["val_pai5"] for t in trials) == pytest.approx(
        np.mean([ensemble.pai_at(ensemble.blend(c, w), a, 5.0, tiebreak)
                 for c, a in validation]))
    # shares put components on one scale: blending a map with itself times 1000 changes nothing
    b = ensemble.blend({"a": lam, "b": 1000 * lam}, {"a": 0.5, "b": 0.5})
    assert np.allclose(b, lam / lam.sum())


def test_ensemble_in_the_backtest_never_sees_the_evaluated_months():
    from vru.analysis.hotspots import gbm

    u, cube = _planted_cube(T=16, n_side=12)
    idx = np.repeat(np.arange(len(u)), cube.sum(axis=1).astype(int))
    step = np.concatenate([np.repeat(np.arange(cube.shape[1]), cube[i].astype(int))
                           for i in range(len(u))])
    labels = [f"{2020 + t // 12}-{t % 12 + 1:02d}" for t in range(16)]
    ev = bt.EventSet(u.x[idx], u.y[idx], step, np.ones(len(idx)), labels)
    spoiled_step = step.copy()
    late = step >= 14
    spoiled = bt.EventSet(np.where(late, u.x[0], u.x[idx]), np.where(late, u.y[0], u.y[idx]),
                          spoiled_step, np.ones(len(idx)), labels)
    # small gbm settings given (no tuning): the test is about what the weights may see
    specs = {"count": {"months": 12},
             "ensemble": {**gbm.DEFAULT_SETTINGS, "max_iter": 20, "train_steps": 6}}
    trials_a: list = []
    trials_b: list = []
    a = bt.backtest(ev, u, [14], specs, (5.0,), "grid", tuning=trials_a)
    b = bt.backtest(spoiled, u, [14], specs, (5.0,), "grid", tuning=trials_b)
    ens_a = a[a.method == "ensemble"]["params"].iloc[0]
    assert "w_gbm=" in ens_a and ens_a == b[b.method == "ensemble"]["params"].iloc[0]
    assert [t["val_pai5"] for t in trials_a] == [t["val_pai5"] for t in trials_b]
    assert a[a.method == "ensemble"]["pai"].iloc[0] > 3


def _emerging_world(T=30, n_side=16, seed=0, per_month=2, duration=6, rate=4.0):
    """Planted emerging hot spots: a stable background plus, every month, ``per_month`` new
    cells that run hot (``rate`` more events a month) for ``duration`` months and then cool.
    The 12-month count keeps ranking the cooled cells; only the recent months show which are
    hot now. Returns (units, cube, true rates)."""
    from vru.analysis.hotspots import units as un_

    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(n_side) * 250.0 + 125, np.arange(n_side) * 250.0 + 125)
    u = un_.grid_units(xs.ravel(), ys.ravel(), 250, extent="events")
    lam = np.repeat(rng.gamma(0.6, 0.5, len(u))[:, None], T, axis=1)
    for s in range(T):
        for c in rng.choice(len(u), per_month, replace=False):
            lam[c, s:s + duration] += rate
    return u, rng.poisson(lam).astype(float), lam


def _events_of(u, cube):
    T = cube.shape[1]
    idx = np.repeat(np.arange(len(u)), cube.sum(axis=1).astype(int))
    step = np.concatenate([np.repeat(np.arange(T), cube[i].astype(int)) for i in range(len(u))])
    labels = [f"{2020 + t // 12}-{t % 12 + 1:02d}" for t in range(T)]
    return bt.EventSet(u.x[idx], u.y[idx], step, np.ones(len(idx)), labels)


def test_gbm_finds_planted_emerging_hot_spots_the_count_cannot_see():
    u, cube, lam = _emerging_world()
    T = cube.shape[1]
    steps = list(range(T - 4, T))
    res = bt.backtest(_events_of(u, cube), u, steps,
                      {"naive": {}, "count": {"months": 12}, "gbm": {}}, (5.0,), "grid")
    pai = res.groupby("method")["pai"].mean()
    # the independent truth: the PAI of ranking by the planted rates of each evaluated month
    tiebreak = np.random.default_rng(0).permutation(len(u))
    ones = np.ones(len(u))
    truth = np.mean([bt.score_selection(bt.select_top(lam[:, t], ones, 5.0, tiebreak),
                                        cube[:, t], cube[:, t - 1], ones)["pai"] for t in steps])
    assert pai["gbm"] > 1.3 * pai["count"]     # the count keeps ranking cells that have cooled
    assert pai["gbm"] > pai["naive"]           # and one month alone is noisier
    assert pai["gbm"] > 0.6 * truth


def test_gbm_forecast_is_deterministic_and_memoised_rows_never_leak_later_steps():
    from vru.analysis.hotspots import gbm

    u, cube, _ = _emerging_world(T=20, n_side=10, seed=4)
    nb = gbm.neighbours(u.x, u.y, 250)
    moy = np.arange(cube.shape[1] + 1) % 12 + 1  # one more: the month after the data
    settings = {**gbm.DEFAULT_SETTINGS, "train_steps": 8, "max_iter": 30}
    t = 15
    full = gbm.Inputs(cube, nb, moy)
    for s in range(cube.shape[1] + 1):  # rows of every step, later ones included, memoised
        full.features(s)
    spoiled = cube.copy()
    spoiled[:, t] = cube[::-1, t] + 5  # the evaluated month's data changed
    p_full = gbm.fit_predict(full, t, settings)
    p_spoiled = gbm.fit_predict(gbm.Inputs(spoiled, nb, moy), t, settings)
    assert np.array_equal(p_full, p_spoiled)
    assert np.array_equal(p_full, gbm.fit_predict(gbm.Inputs(cube, nb, moy), t, settings))
    with pytest.raises(ValueError, match="beyond"):
        full.before(t).features(t + 1)


def test_foresight_reference_sees_the_months_after_and_is_not_a_method():
    """Hot cells swap at step 15: the 12-month count keeps the old ones; the foresight
    reference (12 months before and after, the month itself left out) sees the new ones, as
    the planted rates (the truth) do."""
    from vru.analysis.hotspots import units as un_

    rng = np.random.default_rng(5)
    xs, ys = np.meshgrid(np.arange(10) * 250.0 + 125, np.arange(10) * 250.0 + 125)
    u = un_.grid_units(xs.ravel(), ys.ravel(), 250, extent="events")
    T = 30
    lam = np.full((len(u), T), 0.3)
    lam[:5, :15] = 6.0
    lam[5:10, 15:] = 6.0
    cube = rng.poisson(lam).astype(float)
    ev = _events_of(u, cube)
    steps = [16, 17]
    res = bt.backtest(ev, u, steps, {"count": {"months": 12}}, (5.0,), "grid")
    ref = bt.foresight_reference(res, ev, u, area="grid").iloc[0]
    tiebreak = np.random.default_rng(0).permutation(len(u))
    ones = np.ones(len(u))
    truth = np.mean([bt.score_selection(bt.select_top(lam[:, t], ones, 5.0, tiebreak),
                                        cube[:, t], cube[:, t - 1], ones)["pai"] for t in steps])
    assert ref["count_pai"] == pytest.approx(res["pai"].mean()) and ref["count_pai"] < 0.3 * truth
    assert ref["foresight_pai"] > 0.9 * truth
    assert ref["ratio"] == pytest.approx(ref["foresight_pai"] / ref["count_pai"])
    assert set(res["method"]) == {"count"}
