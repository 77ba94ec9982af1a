"""Forecasts of where the next period's harm will be, one score per unit.

Every method sees only the history before the period it forecasts (a :class:`History`):
- ``naive``: last period's value (the "last month's map").
- ``count``: the sum over the last ``months`` periods (the long-run map; 12 by default).
- ``kde``: retrospective kernel density of the last ``months`` periods' events (quartic
  kernel, ``bandwidth`` metres), evaluated at unit centroids.
- ``prospective``: prospective hotspotting after Bowers, Johnson and Pease (2004): each event
  within ``bandwidth`` metres and ``months`` periods raises a unit's risk by
  weight / ((1 + distance in cells) x lag in periods).
- ``gbm``: a gradient-boosted Poisson model on lagged counts, neighbours and season
  (``vru.analysis.hotspots.gbm``; run by the backtest, which tunes and retrains it).
- ``hawkes``: a discrete-time self-exciting (Hawkes / ETAS-like) model per unit in the spirit of
  Mohler et al. (2015): rate = mu_unit + theta x sum_k g(k) y_{t-k}, g geometric with decay
  beta; mu, theta and beta fitted by expectation-maximisation over the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from vru.analysis.hotspots.kde import kde_at


@dataclass
class History:
    """Everything before the forecast period. ``cube`` is (units, steps so far); events carry
    their step index (0 = first step of the cube) and weight."""

    ux: np.ndarray
    uy: np.ndarray
    cube: np.ndarray
    ex: np.ndarray
    ey: np.ndarray
    estep: np.ndarray
    ew: np.ndarray
    cell_size: float = 150.0
    extra: dict = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return self.cube.shape[1]

    def recent(self, months: int) -> np.ndarray:
        return self.estep >= self.steps - months


def naive(h: History) -> np.ndarray:
    return h.cube[:, -1].copy()


def count(h: History, months: int = 12) -> np.ndarray:
    return h.cube[:, -months:].sum(axis=1)


def kde(h: History, months: int = 3, bandwidth: float = 400.0) -> np.ndarray:
    m = h.recent(months)
    return kde_at(h.ux, h.uy, h.ex[m], h.ey[m], bandwidth, h.ew[m], "quartic")


def prospective(h: History, months: int = 2, bandwidth: float = 400.0) -> np.ndarray:
    m = h.recent(months)
    ex, ey, w = h.ex[m], h.ey[m], h.ew[m]
    lag = (h.steps - h.estep[m]).astype(float)  # 1 = last period
    out = np.zeros(len(h.ux))
    if len(ex) == 0:
        return out
    d = cKDTree(np.column_stack([h.ux, h.uy])).sparse_distance_matrix(
        cKDTree(np.column_stack([ex, ey])), bandwidth, output_type="ndarray")
    cells = np.round(d["v"] / h.cell_size)
    contrib = w[d["j"]] / ((1.0 + cells) * lag[d["j"]])
    return np.bincount(d["i"], weights=contrib, minlength=len(h.ux)).astype(float)


@dataclass
class HawkesFit:
    mu: np.ndarray
    theta: float
    beta: float
    iterations: int


def _kernel(beta: float, K: int) -> np.ndarray:
    k = np.arange(1, K + 1)
    return (1 - beta) * beta ** (k - 1)


def fit_hawkes(y: np.ndarray, max_lag: int = 12, iterations: int = 60, tol: float = 1e-6,
               theta0: float = 0.2, beta0: float = 0.5) -> HawkesFit:
    """EM for y[n, t] ~ Poisson(mu_n + theta sum_{k=1..K} g(k) y[n, t-k]), g(k) = (1-b) b^(k-1).

    The E-step splits each bin's events into background and offspring of each lag; the M-step
    sets mu_n = background events / T, theta = offspring / expected offspring opportunities
    (edge-corrected: an event at t can only have offspring up to the last step), and b from
    the mean lag of the offspring (the geometric MLE, 1 - 1/mean lag)."""
    y = np.asarray(y, float)
    n, T = y.shape
    K = max(1, min(max_lag, T - 1))
    active = y.sum(axis=1) > 0
    Y = y[active]
    mu = np.maximum(Y.mean(axis=1), 1e-9)
    theta, beta = theta0, beta0
    # Only bins with events enter the likelihood's E-step: gather, for each such bin, the
    # counts at lags 1..K (0 before the start) once.
    rr, tt = np.nonzero(Y)
    yv = Y[rr, tt]
    lagged = np.zeros((K, len(yv)))
    for k in range(1, K + 1):
        ok = tt - k >= 0
        lagged[k - 1, ok] = Y[rr[ok], tt[ok] - k]
    reach = np.minimum(K, T - 1 - np.arange(T))
    it = 0
    for it in range(1, iterations + 1):  # noqa: B007 - reported
        g = _kernel(beta, K)
        trig_k = theta * g[:, None] * lagged                 # (K, bins with events)
        lam = mu[rr] + trig_k.sum(axis=0)
        bg = np.bincount(rr, weights=yv * mu[rr] / lam, minlength=len(mu))
        off_k = (trig_k * (yv / lam)[None, :]).sum(axis=1)  # offspring per lag
        offspring = off_k.sum()
        # opportunities: an event at t can trigger up to lag min(K, T-1-t)
        cumg = np.concatenate([[0.0], np.cumsum(g)])
        opp = (Y.sum(axis=0) * cumg[reach]).sum()
        new_mu = np.maximum(bg / T, 1e-9)
        new_theta = float(offspring / opp) if opp > 0 else 0.0
        new_theta = min(new_theta, 0.99)
        mean_lag = float((off_k * np.arange(1, K + 1)).sum() / offspring) if offspring > 0 else 1.0
        new_beta = float(np.clip(1 - 1 / max(mean_lag, 1.0 + 1e-6), 1e-3, 0.98))
        change = (np.abs(new_mu - mu).max() + abs(new_theta - theta) + abs(new_beta - beta))
        mu, theta, beta = new_mu, new_theta, new_beta
        if change < tol:
            break
    full_mu = np.zeros(n)
    full_mu[active] = mu
    return HawkesFit(full_mu, theta, beta, it)


def hawkes_rate(y: np.ndarray, fit: HawkesFit, max_lag: int = 12) -> np.ndarray:
    """Expected count in the step after the last column of ``y``."""
    y = np.asarray(y, float)
    T = y.shape[1]
    K = max(1, min(max_lag, T - 1))
    g = _kernel(fit.beta, K)
    recent = y[:, ::-1][:, :K]  # column k-1 = y[t-k]
    return fit.mu + fit.theta * (recent * g[None, : recent.shape[1]]).sum(axis=1)


def hawkes(h: History, max_lag: int = 12, window: int = 24) -> np.ndarray:
    y = h.cube[:, -window:]
    fit = fit_hawkes(y, max_lag=max_lag)
    h.extra["hawkes"] = {"theta": fit.theta, "beta": fit.beta, "iterations": fit.iterations}
    return hawkes_rate(y, fit, max_lag)


METHODS: dict[str, Callable[..., np.ndarray]] = {
    "naive": naive,
    "count": count,
    "kde": kde,
    "prospective": prospective,
    "hawkes": hawkes,
}

DEFAULT_SPECS: dict[str, dict] = {
    "naive": {},
    "count": {"months": 12},
    "kde": {"months": 3, "bandwidth": 400.0},
    "prospective": {"months": 2, "bandwidth": 400.0},
    "hawkes": {"max_lag": 12, "window": 24},
}


def gbm(h: History, **settings) -> np.ndarray:
    """The gradient-boosted forecast from a History alone (default settings unless given;
    the backtest tunes them on the training window first)."""
    from vru.analysis.hotspots import gbm as g

    nb = g.neighbours(h.ux, h.uy, h.cell_size)
    labels = h.extra.get("labels")
    moy = (np.array([int(lab[5:7]) for lab in labels]) if labels
           else np.zeros(h.steps + 1, int))
    return g.fit_predict(g.Inputs(h.cube, nb, moy), h.steps, {**g.DEFAULT_SETTINGS, **settings})


METHODS["gbm"] = gbm
DEFAULT_SPECS["gbm"] = {}


def ensemble(h: History, **settings) -> np.ndarray:  # noqa: ARG001 - run by the backtest
    raise ValueError("the ensemble is run by the backtest, which chooses its weights by "
                     "rolling-origin validation (vru.analysis.hotspots.ensemble)")


METHODS["ensemble"] = ensemble
DEFAULT_SPECS["ensemble"] = {}


def run(method: str, h: History, **params) -> np.ndarray:
    if method not in METHODS:
        raise ValueError(f"unknown forecast method {method!r}; choose from {', '.join(METHODS)}")
    return METHODS[method](h, **params)
