"""Mann-Kendall against pymannkendall; every emerging hot spot category from the series that
defines it; the whole pipeline on a planted intensifying cluster."""

from __future__ import annotations

import numpy as np
import pymannkendall
import pytest
from scipy import stats

from vru.analysis.hotspots import emerging, units


def test_mann_kendall_matches_pymannkendall_with_ties():
    rng = np.random.default_rng(0)
    Y = np.vstack([rng.poisson(3, 36) + np.arange(36) * k / 20 for k in range(-3, 4)]
                  + [np.repeat([1.0, 2.0, 2.0, 3.0], 9), np.zeros(36)])
    S, z, p = emerging.mann_kendall(Y)
    for row, s_, z_, p_ in zip(Y, S, z, p, strict=True):
        ref = pymannkendall.original_test(row)
        assert s_ == ref.s
        assert z_ == pytest.approx(ref.z, abs=1e-9)
        assert p_ == pytest.approx(ref.p, abs=1e-9)


def test_mann_kendall_without_continuity_equals_kendalls_tau_test():
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(20, 24)) + np.linspace(0, 1, 24)
    _, _, p = emerging.mann_kendall(Y, continuity=False)
    for row, p_ in zip(Y, p, strict=True):
        ref = stats.kendalltau(np.arange(24), row, method="asymptotic").pvalue
        assert p_ == pytest.approx(ref, rel=1e-9)


H, C, N = 1, -1, 0
T = 20


def series(pattern: list[int]) -> tuple[np.ndarray, np.ndarray]:
    a = np.array(pattern)
    return a == H, a == C


# (name, per-step state, Mann-Kendall z of the Gi* series, its p): each series is built by hand
# from the definition of its category on ArcGIS Pro's "How Emerging Hot Spot Analysis works"
# page (the reference), 20 steps, "90%" = 18 steps.
CASES = [
    ("new hot spot", [N] * 19 + [H], 0.0, 1.0),
    ("consecutive hot spot", [N] * 15 + [H] * 5, 0.0, 1.0),
    ("intensifying hot spot", [H] * 20, 3.0, 0.001),
    ("persistent hot spot", [H] * 9 + [N] + [H] * 10, 0.2, 0.8),
    ("diminishing hot spot", [H] * 20, -3.0, 0.001),
    ("sporadic hot spot", [N, H, N, N, H] * 4, 0.0, 1.0),
    ("oscillating hot spot", [C, N, N, H, N] * 3 + [N, C, N, H, H], 0.0, 1.0),
    ("historical hot spot", [H] * 19 + [N], -1.0, 0.3),
    ("new cold spot", [N] * 19 + [C], 0.0, 1.0),
    ("consecutive cold spot", [N] * 16 + [C] * 4, 0.0, 1.0),
    ("intensifying cold spot", [C] * 20, -3.0, 0.001),
    ("persistent cold spot", [C] * 20, 0.5, 0.6),
    ("diminishing cold spot", [C] * 19 + [C], 3.0, 0.001),
    ("sporadic cold spot", [C, N, N, N] * 4 + [N, C, N, C], 0.0, 1.0),
    ("oscillating cold spot", [H, N, C, N] * 4 + [N, H, C, C], 0.0, 1.0),
    ("historical cold spot", [C] * 19 + [N], 1.0, 0.3),
    ("no pattern", [N] * 20, 0.0, 1.0),
    ("no pattern", [H, N, C, N] * 5, 0.0, 1.0),  # hot and cold history, neither now
    # hot on and off but not in the final step: sporadic needs the final step (ArcGIS)
    ("no pattern", [N, H, N, N, H] * 3 + [N, H, N, H, N], 0.0, 1.0),
    ("no pattern", [N, C, N, N, C] * 3 + [N, C, N, C, N], 0.0, 1.0),
    # hot in every step except the final one: historical (>= 90% of all steps hot) ...
    ("historical hot spot", [H] * 19 + [N], 0.0, 1.0),
    # ... or no pattern when that is under 90%: never sporadic
    ("no pattern", [N] * 3 + [H] * 16 + [N], 0.0, 1.0),
    # a single final run of hot steps after a cold history: consecutive (table order)
    ("consecutive hot spot", [C] + [N] * 16 + [H] * 3, 0.0, 1.0),
]


@pytest.mark.parametrize(("name", "pattern", "tz", "tp"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_category_from_its_defining_series(name, pattern, tz, tp):
    assert len(pattern) == T
    hot, cold = series(pattern)
    got = emerging.classify(hot[None], cold[None], np.array([tz]), np.array([tp]))
    assert got[0] == name


def test_every_category_is_covered():
    assert {c[0] for c in CASES} == set(emerging.CATEGORIES)


@pytest.mark.parametrize("T_", [5, 8, 10, 12, 20, 36])
def test_hot_except_final_period_is_historical_or_no_pattern_never_sporadic(T_):
    hot, cold = series([H] * (T_ - 1) + [N])
    got = emerging.classify(hot[None], cold[None], np.zeros(1), np.ones(1))[0]
    expected = "historical hot spot" if (T_ - 1) / T_ >= 0.9 else "no pattern"
    assert got == expected
    hot, cold = series([C] * (T_ - 1) + [N])
    got = emerging.classify(hot[None], cold[None], np.zeros(1), np.ones(1))[0]
    assert got == expected.replace("hot", "cold")


def test_vru_variant_is_an_explicit_option():
    on_off = [N, H, N, N, H] * 3 + [N, H, N, H, N]
    hot, cold = series(on_off)
    args = (hot[None], cold[None], np.zeros(1), np.ones(1))
    assert emerging.classify(*args)[0] == "no pattern"
    assert emerging.classify(*args, rules="vru")[0] == "sporadic hot spot"
    with pytest.raises(ValueError, match="rules must be"):
        emerging.classify(*args, rules="esri")


def test_edge_of_ninety_percent():
    # 18 of 20 hot (90%) incl. the last = persistent; 17 of 20 is not
    hot, cold = series([N, N] + [H] * 18)
    assert emerging.classify(hot[None], cold[None], np.zeros(1), np.ones(1))[0] == \
        "persistent hot spot"
    hot, cold = series([N, H, N, N] + [H] * 16)
    assert emerging.classify(hot[None], cold[None], np.zeros(1), np.ones(1))[0] == \
        "sporadic hot spot"


def test_pipeline_finds_planted_intensifying_and_new_hot_spots():
    rng = np.random.default_rng(4)
    T_ = 24
    xs, ys, ts = [], [], []
    for t in range(T_):
        n = 120
        xs.append(rng.uniform(0, 6000, n))
        ys.append(rng.uniform(0, 6000, n))
        ts.append(np.full(n, t))
        k = 4 + 2 * t  # a cluster growing every month
        xs.append(rng.normal(1500, 30, k))
        ys.append(rng.normal(1500, 30, k))
        ts.append(np.full(k, t))
        if t == T_ - 1:  # a cluster that appears in the last month only
            xs.append(rng.normal(4500, 30, 40))
            ys.append(rng.normal(4500, 30, 40))
            ts.append(np.full(40, t))
    x, y, t = np.concatenate(xs), np.concatenate(ys), np.concatenate(ts)
    u = units.grid_units(x, y, 200, extent="bbox")
    cube = emerging.space_time_cube(u.assign(x, y), t, len(u), T_)
    w = units.distance_band_weights(u.x, u.y, 300)
    r = emerging.emerging_hot_spots(cube, w)
    at = lambda px, py: int(np.argmin(np.hypot(u.x - px, u.y - py)))  # noqa: E731
    assert r.categories[at(1500, 1500)] == "intensifying hot spot"
    assert r.categories[at(4500, 4500)] == "new hot spot"
    assert r.summary()["units"].sum() == len(u)
