"""A validated blend of forecasts: the gradient-boosted model with the simple maps it competes
with (the 12-month count and the KDE), weights chosen by rolling-origin validation inside the
training window.

Each component's scores are turned into shares (a cell's part of the component's total, so
that counts, densities and expected counts are on one scale) and blended as
``sum_c w_c share_c`` with weights on a simplex grid (steps of ``WEIGHT_STEP``). The weights
are the ones with the highest mean PAI at 5% over the ``VAL_STEPS`` months before the first
evaluated month, each month scored by components that saw only the months before it: the
evaluated months never influence the weights. Forecast combination is the textbook answer
when no single method dominates (Bates and Granger 1969; Timmermann 2006); the validation
also lets the blend fall back on one component (weight 1) where that did best.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

COMPONENTS = ("gbm", "count", "kde")
WEIGHT_STEP = 0.1
VAL_STEPS = 6


def shares(scores: np.ndarray) -> np.ndarray:
    s = np.maximum(np.asarray(scores, float), 0.0)
    total = s.sum()
    return s / total if total > 0 else s


def weight_grid(k: int, step: float = WEIGHT_STEP) -> list[tuple[float, ...]]:
    """Every k-tuple of multiples of ``step`` summing to 1."""
    n = int(round(1 / step))
    return [tuple(c / n for c in combo) + ((n - sum(combo)) / n,)
            for combo in itertools.product(range(n + 1), repeat=k - 1) if sum(combo) <= n]


def blend(components: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    out = np.zeros(len(next(iter(components.values()))))
    for name, w in weights.items():
        if w:
            out += w * shares(components[name])
    return out


def pai_at(scores: np.ndarray, actual: np.ndarray, pct: float, tiebreak: np.ndarray,
           total: float | None = None) -> float:
    """PAI of the top ``pct``% of the places (equal areas) by score, ties broken by
    ``tiebreak``; ``total``: the events the hit rate is out of (default: ``actual``'s)."""
    N = actual.sum() if total is None else total
    if N <= 0:
        return math.nan
    k = max(1, int(math.ceil(pct / 100.0 * len(scores))))
    top = np.lexsort((tiebreak, -scores))[:k]
    return (actual[top].sum() / N) / (k / len(scores))


def choose_weights(validation: list[tuple[dict[str, np.ndarray], np.ndarray]],
                   tiebreak: np.ndarray, pct: float = 5.0,
                   step: float = WEIGHT_STEP) -> tuple[dict[str, float], list[dict]]:
    """The simplex weights with the highest mean PAI at ``pct``% over ``validation`` (pairs of
    component scores and the month's actual counts); every candidate's score as trials. Ties go
    to the first candidate in grid order."""
    names = list(validation[0][0]) if validation else list(COMPONENTS)
    trials = []
    for ws in weight_grid(len(names), step):
        weights = dict(zip(names, ws, strict=True))
        pais = [pai_at(blend(comp, weights), actual, pct, tiebreak)
                for comp, actual in validation]
        trials.append({**{f"w_{k}": v for k, v in weights.items()},
                       "val_pai5": float(np.nanmean(pais)) if pais else math.nan})
    finite = [t for t in trials if np.isfinite(t["val_pai5"])]
    if not finite:
        return {n: 1.0 / len(names) for n in names}, trials
    best = max(finite, key=lambda t: t["val_pai5"])
    return {n: best[f"w_{n}"] for n in names}, trials
