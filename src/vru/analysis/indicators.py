"""Public-health style indicators: counts, rates per 1,000 with 95% confidence intervals.

The methods are those of OHID's Fingertips ("Technical Guide: Confidence intervals", PHE 2018):

- Poisson counts and rates: Byar's approximation for counts >= 10, exact limits from the
  chi-square distribution below 10 (lower = chi2.ppf(a/2, 2O)/2, upper = chi2.ppf(1-a/2, 2O+2)/2).
- Proportions: Wilson score interval.
- Directly standardised rates: Dobson's method, suppressed when the total count is below 10.
- Comparison with a benchmark: an area is "higher" ("lower") when its whole confidence interval
  lies above (below) the benchmark value, otherwise "similar".

All functions are pure and vectorised with NumPy; SciPy supplies the distributions. These are
written here rather than taken from a library because no maintained Python package implements
the Fingertips conventions (Byar/exact switch at 10, Dobson suppression).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# scipy.special, not scipy.stats: the same functions (chi-square quantiles are inverse regularised
# gamma functions, binomial tails are bdtr/bdtrc, the normal quantile is ndtri) without the
# import of scipy.stats, which was a quarter of every profile command's start-up.
from scipy import special

BYAR_MIN_COUNT = 10
DSR_MIN_COUNT = 10

HIGHER = "higher"
SIMILAR = "similar"
LOWER = "lower"
NOT_COMPARED = "not compared"


def _z(level: float) -> float:
    return float(special.ndtri(1 - (1 - level) / 2))


def byar_limits(count, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximation to the Poisson limits of a count (valid for counts >= 1)."""
    o = np.asarray(count, dtype=float)
    z = _z(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    o1 = o + 1
    upper = o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3
    return np.where(o > 0, lower, 0.0), upper


def exact_limits(count, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson limits from the chi-square distribution (Garwood)."""
    o = np.asarray(count, dtype=float)
    a = 1 - level
    with np.errstate(invalid="ignore"):
        # chi2.ppf(q, 2k) / 2 == gammaincinv(k, q)
        lower = np.where(o > 0, special.gammaincinv(np.maximum(o, 1e-300), a / 2), 0.0)
    upper = special.gammaincinv(o + 1, 1 - a / 2)
    return lower, upper


def poisson_limits(count, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Fingertips' limits for a count: exact below 10, Byar's method from 10 upwards."""
    o = np.asarray(count, dtype=float)
    if np.any(o < 0) or np.any(~np.isfinite(o)):
        raise ValueError("counts must be finite and non-negative")
    bl, bu = byar_limits(np.maximum(o, 1), level)
    el, eu = exact_limits(o, level)
    use_byar = o >= BYAR_MIN_COUNT
    return np.where(use_byar, bl, el), np.where(use_byar, bu, eu)


@dataclass(frozen=True)
class Rate:
    """A crude rate with its confidence interval. value/lower/upper are None when unavailable."""

    count: int
    denominator: float | None
    per: int
    value: float | None
    lower: float | None
    upper: float | None

    @property
    def available(self) -> bool:
        return self.value is not None


def crude_rate(count: int, denominator: float | None, per: int = 1000,
               level: float = 0.95) -> Rate:
    """Rate per ``per`` people with Fingertips limits; unavailable when there is no denominator."""
    if denominator is None or not np.isfinite(denominator) or denominator <= 0:
        return Rate(int(count), None, per, None, None, None)
    lo, hi = poisson_limits(count, level)
    scale = per / float(denominator)
    return Rate(int(count), float(denominator), per, count * scale, float(lo) * scale,
                float(hi) * scale)


def crude_rates(counts: Sequence[int], denominators: Sequence[float], per: int = 1000,
                level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised crude rates: (value, lower, upper); NaN where the denominator is missing."""
    c = np.asarray(counts, float)
    d = np.asarray(denominators, float)
    lo, hi = poisson_limits(c, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(d > 0, per / d, np.nan)
    return c * scale, lo * scale, hi * scale


def wilson_interval(successes, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion (NaN where n == 0)."""
    x = np.asarray(successes, float)
    m = np.asarray(n, float)
    z = _z(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / m
        denom = 1 + z * z / m
        centre = (p + z * z / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / denom
    lo = np.where(m > 0, np.clip(centre - half, 0, 1), np.nan)
    hi = np.where(m > 0, np.clip(centre + half, 0, 1), np.nan)
    return lo, hi


@dataclass(frozen=True)
class DSR:
    """A directly standardised rate (per ``per``); value/limits None when suppressed."""

    total_count: int
    per: int
    value: float | None
    lower: float | None
    upper: float | None
    suppressed: bool


def dobson_dsr(counts: Sequence[int], populations: Sequence[float],
               standard_populations: Sequence[float], per: int = 100_000,
               level: float = 0.95) -> DSR:
    """Directly standardised rate with Dobson et al. (1991) limits.

    Suppressed (value None) when the total count is below 10, as Fingertips does.
    """
    o = np.asarray(counts, float)
    n = np.asarray(populations, float)
    w = np.asarray(standard_populations, float)
    if not (o.shape == n.shape == w.shape):
        raise ValueError("counts, populations and standard populations must align")
    if np.any(n <= 0):
        raise ValueError("every age-band population must be positive")
    total = int(o.sum())
    if total < DSR_MIN_COUNT:
        return DSR(total, per, None, None, None, True)
    wi = w / w.sum()
    dsr = float(np.sum(wi * o / n))
    var = float(np.sum(wi ** 2 * o / n ** 2))
    lo_o, hi_o = poisson_limits(total, level)
    factor = np.sqrt(var / total)
    lower = dsr + factor * (float(lo_o) - total)
    upper = dsr + factor * (float(hi_o) - total)
    return DSR(total, per, dsr * per, lower * per, upper * per, False)


def compare_with_benchmark(lower, upper, benchmark) -> np.ndarray:
    """Fingertips' significance marking of an area's interval against a benchmark value."""
    lo = np.atleast_1d(np.asarray(lower, float))
    hi = np.atleast_1d(np.asarray(upper, float))
    b = np.broadcast_to(np.asarray(benchmark, float), lo.shape)
    out = np.full(lo.shape, SIMILAR, dtype=object)
    out[lo > b] = HIGHER
    out[hi < b] = LOWER
    out[~(np.isfinite(lo) & np.isfinite(hi) & np.isfinite(b))] = NOT_COMPARED
    return out


def compare_one(rate: Rate, benchmark: float | None) -> str:
    if not rate.available or benchmark is None:
        return NOT_COMPARED
    return str(compare_with_benchmark(rate.lower, rate.upper, benchmark)[0])


@dataclass(frozen=True)
class Change:
    """Change between two periods' counts, with an exact conditional test (equal exposure)."""

    before: int
    after: int
    ratio: float | None
    p_value: float
    direction: str  # "rose", "fell" or "no significant change"


def change_between(before: int, after: int, alpha: float = 0.05) -> Change:
    """Compare two Poisson counts over equal periods.

    Conditional on the total, the later count is Binomial(total, 1/2) when the rate is unchanged
    (Przyborowski & Wilenski); the exact two-sided p-value (``change_p_values``, the value SciPy's
    binomtest gives).
    """
    total = before + after
    if total == 0:
        return Change(before, after, None, 1.0, "no significant change")
    p = float(change_p_values([before], [after])[0])
    ratio = after / before if before > 0 else None
    direction = ("rose" if after > before else "fell") if p < alpha else "no significant change"
    return Change(int(before), int(after), ratio, p, direction)


def change_p_values(before, after) -> np.ndarray:
    """Vectorised two-sided p-values of ``change_between`` for many pairs of counts.

    Under no change the later count is Binomial(n, 1/2), a symmetric distribution, so the
    exact two-sided p-value is twice the smaller tail, capped at 1 (the same value SciPy's
    binomtest gives for p = 1/2).
    """
    b = np.asarray(before, dtype=np.int64)
    a = np.asarray(after, dtype=np.int64)
    n = a + b
    with np.errstate(invalid="ignore"):
        lower = special.bdtr(a, n, 0.5)                                   # P(X <= a)
        upper = np.where(a > 0, special.bdtrc(np.maximum(a - 1, 0), n, 0.5), 1.0)  # P(X >= a)
    p = np.minimum(1.0, 2 * np.minimum(lower, upper))
    return np.where(n > 0, p, 1.0)
