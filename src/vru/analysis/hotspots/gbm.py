"""A gradient-boosted Poisson forecast of next month's count in every cell.

Features of cell i for target step t, all from steps before t (no look-ahead):
- its own mean count over the last 1, 3, 6, 12 and 24 steps, its count 12 steps earlier (the
  same month last year) and the steps since its last event (near-repeat / recency);
- its neighbours' mean counts (cells within 1.5 cells: the 8 around it) over the last 1, 3 and
  12 steps, and the next ring's (within 2.5 cells) over the last 12;
- the season (month of year of step t);
- optional context: another cube (e.g. all crime, or harm) as means over 3 and 12 steps, and
  static per-cell columns (e.g. the LSOA's deprivation and population).

The model is scikit-learn's ``HistGradientBoostingRegressor(loss='poisson')`` (a maintained
library; LightGBM is not needed), trained on the cells x months of a trailing window. Settings
are chosen by rolling-origin validation inside the training data only: ``tune`` fits each
candidate on the months before each of the last ``val_steps`` steps before the first evaluated
step and keeps the one with the highest mean PAI at 5% there; the evaluated months never
influence features, settings or the study area.

The backtest retrains the model before every evaluated month on the 12 months before it (a
model fitted once and kept for a year drifted badly on the NYC shootings); ``refit=False``
fits it once, before the first evaluated month.

Steps are the months that have data: a missing month is skipped, not read as zero (the lag
windows run over months with data).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from vru.analysis.hotspots.units import distance_band_weights

LAGS = (1, 3, 6, 12, 24)
GRID = {"max_leaf_nodes": (7, 31), "min_samples_leaf": (40, 200)}
DEFAULT_SETTINGS = {"learning_rate": 0.1, "max_leaf_nodes": 15, "min_samples_leaf": 50,
                    "max_iter": 100, "train_steps": 12}


@dataclass
class Neighbours:
    ring1: sparse.csr_matrix
    ring2: sparse.csr_matrix


def neighbours(ux, uy, cell: float) -> Neighbours:
    r1 = distance_band_weights(ux, uy, 1.5 * cell, star=False)
    r2 = distance_band_weights(ux, uy, 2.5 * cell, star=False) - r1
    r2.eliminate_zeros()
    return Neighbours(r1.tocsr(), r2.tocsr())


def _means(cube: np.ndarray, t: int, k: int) -> np.ndarray:
    a = max(0, t - k)
    if t - a <= 0:
        return np.full(cube.shape[0], np.nan)
    return cube[:, a:t].mean(axis=1)


def features(cube: np.ndarray, t: int, nb: Neighbours, month_of_year: np.ndarray,
             context: np.ndarray | None = None, static: np.ndarray | None = None) -> np.ndarray:
    """(cells, features) for target step ``t`` from ``cube[:, :t]`` only."""
    n = cube.shape[0]
    cols = [_means(cube, t, k) for k in LAGS]
    cols.append(cube[:, t - 12] if t >= 12 else np.full(n, np.nan))
    seen = cube[:, :t] > 0
    last = np.where(seen.any(axis=1), t - 1 - np.argmax(seen[:, ::-1], axis=1), -1)
    cols.append(np.where(last >= 0, t - last, 99).astype(float))
    for k in (1, 3, 12):
        cols.append(nb.ring1 @ np.nan_to_num(_means(cube, t, k)))
    cols.append(nb.ring2 @ np.nan_to_num(_means(cube, t, 12)))
    cols.append(np.full(n, float(month_of_year[t])))
    if context is not None:
        cols += [_means(context, t, 3), _means(context, t, 12)]
    X = np.column_stack(cols)
    if static is not None:
        X = np.column_stack([X, static])
    # history not yet available (e.g. last year's month in the first year) is -1, not NaN: a
    # column that is NaN throughout a short window would break the binning
    return np.nan_to_num(X, nan=-1.0)


def _model(settings: dict):
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        loss="poisson", learning_rate=settings["learning_rate"],
        max_leaf_nodes=settings["max_leaf_nodes"], min_samples_leaf=settings["min_samples_leaf"],
        max_iter=settings["max_iter"], l2_regularization=1.0, early_stopping=False,
        random_state=0)


def fit(cube: np.ndarray, t: int, nb: Neighbours, month_of_year: np.ndarray, settings: dict,
        context=None, static=None, rows: np.ndarray | None = None):
    """A model trained on target steps [t - train_steps, t), each from its own past: uses
    ``cube[:, :t]`` only. ``rows`` restricts the training cells (e.g. the study area)."""
    first = max(1, t - int(settings["train_steps"]))
    Xs, ys = [], []
    keep = np.arange(cube.shape[0]) if rows is None else rows
    for s in range(first, t):
        Xs.append(features(cube, s, nb, month_of_year, context, static)[keep])
        ys.append(cube[keep, s])
    if not Xs:
        raise ValueError("the gradient-boosted forecast needs at least two steps of history")
    return _model(settings).fit(np.vstack(Xs), np.concatenate(ys))


def predict(model, cube: np.ndarray, t: int, nb: Neighbours, month_of_year: np.ndarray,
            context=None, static=None) -> np.ndarray:
    """Expected count of every cell in step ``t`` from ``cube[:, :t]``. Trees give many cells
    the same prediction; such ties are broken by the cell's mean over the last 24 steps (a
    nudge far below any difference the model makes), not by chance."""
    X = features(cube, t, nb, month_of_year, context, static)
    pred = model.predict(X)
    longrun = np.maximum(X[:, LAGS.index(24)], 0.0)
    return pred + 1e-6 * longrun / (1.0 + longrun.max())


def fit_predict(cube: np.ndarray, t: int, nb: Neighbours, month_of_year: np.ndarray,
                settings: dict, context=None, static=None, rows: np.ndarray | None = None
                ) -> np.ndarray:
    """Train on the steps before ``t`` and predict step ``t``."""
    model = fit(cube, t, nb, month_of_year, settings, context, static, rows)
    return predict(model, cube, t, nb, month_of_year, context, static)


def _pai_at(scores: np.ndarray, actual: np.ndarray, area_rows: np.ndarray, pct: float,
            tiebreak: np.ndarray) -> float:
    s, a = scores[area_rows], actual[area_rows]
    N = actual.sum()
    if N <= 0:
        return math.nan
    k = max(1, int(math.ceil(pct / 100.0 * len(s))))
    order = np.lexsort((tiebreak[: len(s)], -s))[:k]
    return (a[order].sum() / N) / (k / len(s))


def tune(cube: np.ndarray, first_eval: int, nb: Neighbours, month_of_year: np.ndarray,
         area_rows: np.ndarray, context=None, static=None, val_steps: int = 2,
         grid: dict | None = None, seed: int = 0) -> tuple[dict, list[dict]]:
    """Rolling-origin validation on the ``val_steps`` steps before ``first_eval`` (each scored
    by a model trained on the steps before it); returns the best settings (mean PAI at 5%) and
    every candidate's score. Uses ``cube[:, :first_eval]`` only."""
    grid = grid or GRID
    past = cube[:, :first_eval]
    ctx = context[:, :first_eval] if context is not None else None
    tiebreak = np.random.default_rng(seed).permutation(cube.shape[0])
    val = [s for s in range(first_eval - val_steps, first_eval) if s >= 2]
    trials = []
    keys = list(grid)
    for combo in itertools.product(*(grid[k] for k in keys)):
        settings = {**DEFAULT_SETTINGS, **dict(zip(keys, combo, strict=True))}
        pais = [_pai_at(fit_predict(past, s, nb, month_of_year, settings, ctx, static,
                                    area_rows), past[:, s], area_rows, 5.0, tiebreak)
                for s in val]
        trials.append({**settings, "val_pai5": float(np.nanmean(pais)) if pais else math.nan})
    if not trials or all(not np.isfinite(t["val_pai5"]) for t in trials):
        return dict(DEFAULT_SETTINGS), trials
    best = max(trials, key=lambda r: r["val_pai5"] if np.isfinite(r["val_pai5"]) else -1)
    return {k: best[k] for k in DEFAULT_SETTINGS}, trials
