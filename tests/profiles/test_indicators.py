"""Indicator statistics against independent computations (SciPy, statsmodels, formulas)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from vru.analysis import indicators as ind

Z = stats.norm.ppf(0.975)


def byar_reference(o: int) -> tuple[float, float]:
    """Byar's formula written out scalar by scalar (PHE Technical Guide, 2018)."""
    lower = o * (1 - 1 / (9 * o) - Z / (3 * math.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + Z / (3 * math.sqrt(o + 1))) ** 3
    return lower, upper


def exact_reference(o: int) -> tuple[float, float]:
    lower = stats.chi2.ppf(0.025, 2 * o) / 2 if o > 0 else 0.0
    upper = stats.chi2.ppf(0.975, 2 * o + 2) / 2
    return lower, upper


def test_poisson_limits_match_independent_references_for_counts_0_to_10000():
    counts = np.arange(0, 10_001)
    lo, hi = ind.poisson_limits(counts)
    for o in range(0, 10_001):
        ref = exact_reference(o) if o < 10 else byar_reference(o)
        assert lo[o] == pytest.approx(ref[0], rel=1e-9, abs=1e-12), o
        assert hi[o] == pytest.approx(ref[1], rel=1e-9), o


def test_switch_between_methods_is_at_ten():
    lo9, hi9 = ind.poisson_limits(9)
    assert (float(lo9), float(hi9)) == pytest.approx(exact_reference(9))
    lo10, hi10 = ind.poisson_limits(10)
    assert (float(lo10), float(hi10)) == pytest.approx(byar_reference(10))
    # Byar's lower limit for 10 is below the exact one (4.795): the methods really differ.
    assert float(lo10) < exact_reference(10)[0]


def test_exact_limits_are_the_garwood_interval_and_cover_the_mean():
    # Independent: the exact Poisson interval equals the gamma-quantile form.
    for o in (1, 3, 7, 9):
        lo, hi = ind.exact_limits(o)
        assert float(lo) == pytest.approx(stats.gamma.ppf(0.025, o))
        assert float(hi) == pytest.approx(stats.gamma.ppf(0.975, o + 1))
    assert ind.exact_limits(0)[0] == 0.0
    # Upper limit for a zero count: -ln(0.025), the classic "rule of 3.69".
    assert float(ind.exact_limits(0)[1]) == pytest.approx(-math.log(0.025))


def test_negative_counts_refused():
    with pytest.raises(ValueError):
        ind.poisson_limits([-1, 3])


def test_crude_rate_scales_count_limits_by_denominator():
    r = ind.crude_rate(250, 50_000)
    lo, hi = byar_reference(250)
    assert r.value == pytest.approx(5.0)
    assert r.lower == pytest.approx(lo / 50)
    assert r.upper == pytest.approx(hi / 50)
    none = ind.crude_rate(250, None)
    assert not none.available and none.value is None


def test_wilson_matches_statsmodels():
    rng = np.random.default_rng(1)
    n = rng.integers(1, 5000, 300)
    x = rng.integers(0, n + 1)
    lo, hi = ind.wilson_interval(x, n)
    ref_lo, ref_hi = proportion_confint(x, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(lo, ref_lo, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hi, ref_hi, rtol=1e-10, atol=1e-12)
    assert np.isnan(ind.wilson_interval(0, 0)[0])


def dobson_reference(o, n, w, per=100_000):
    """Dobson et al. 1991 as written in the PHE technical guide, by hand."""
    o, n, w = (np.asarray(a, float) for a in (o, n, w))
    dsr = sum(w[i] * o[i] / n[i] for i in range(len(o))) / w.sum()
    var = sum(w[i] ** 2 * o[i] / n[i] ** 2 for i in range(len(o))) / w.sum() ** 2
    big_o = o.sum()
    ol, ou = byar_reference(int(big_o)) if big_o >= 10 else exact_reference(int(big_o))
    return (dsr * per, (dsr + math.sqrt(var / big_o) * (ol - big_o)) * per,
            (dsr + math.sqrt(var / big_o) * (ou - big_o)) * per)


def test_dobson_dsr_matches_hand_computation_and_is_suppressed_below_ten():
    esp = [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000]  # ESP 2013-like bands
    counts = [3, 5, 12, 20, 25, 18, 9, 4, 2, 1]
    pops = [8000, 8500, 9000, 9500, 9900, 9100, 8200, 7000, 5000, 3000]
    d = ind.dobson_dsr(counts, pops, esp)
    v, lo, hi = dobson_reference(counts, pops, esp)
    assert d.value == pytest.approx(v)
    assert d.lower == pytest.approx(lo)
    assert d.upper == pytest.approx(hi)
    small = ind.dobson_dsr([2, 3, 4], [1000, 1000, 1000], [1, 1, 1])
    assert small.suppressed and small.value is None and small.total_count == 9


def test_benchmark_comparison_the_fingertips_way():
    out = ind.compare_with_benchmark([1.0, 2.0, 0.5, np.nan], [1.5, 3.0, 1.2, 2.0], 1.2)
    assert list(out) == ["similar", "higher", "similar", "not compared"]
    assert ind.compare_with_benchmark(0.5, 1.1, 1.2)[0] == "lower"
    r = ind.crude_rate(400, 10_000)  # 40 per 1,000 with CI roughly 36 to 44
    assert ind.compare_one(r, 30.0) == "higher"
    assert ind.compare_one(r, 40.0) == "similar"
    assert ind.compare_one(r, 50.0) == "lower"
    assert ind.compare_one(ind.crude_rate(5, None), 1.0) == "not compared"


def test_change_between_matches_exact_conditional_poisson_test():
    from statsmodels.stats.rates import test_poisson_2indep

    for before, after in ((100, 130), (50, 52), (10, 2), (0, 6)):
        ch = ind.change_between(before, after)
        ref = test_poisson_2indep(after, 1.0, before, 1.0, method="exact-cond").pvalue
        assert ch.p_value == pytest.approx(ref, rel=1e-6)
        expect = ("rose" if after > before else "fell") if ref < 0.05 else \
            "no significant change"
        assert ch.direction == expect


def test_vectorised_change_p_values_equal_scipy_binomtest():
    rng = np.random.default_rng(7)
    before = rng.integers(0, 80, 400)
    after = rng.integers(0, 80, 400)
    got = ind.change_p_values(before, after)
    for b, a, p in zip(before, after, got, strict=True):
        ref = stats.binomtest(int(a), int(a + b), 0.5).pvalue if a + b else 1.0
        assert p == pytest.approx(ref, rel=1e-9, abs=1e-15)
