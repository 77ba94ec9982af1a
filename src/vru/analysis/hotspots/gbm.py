"""A gradient-boosted Poisson forecast of next month's count in every cell.

Features of cell i for target step t, all from steps before t (no look-ahead):
- its own mean count over the last 1, 3, 6, 12, 24 and 36 steps and over all steps before t,
  exponentially weighted means with half-lives of 3, 6 and 12 steps (recent change without
  the noise of one month), its count 12 steps earlier (the same month last year), the steps
  since its last event (near-repeat / recency) and the share of the last 12 steps with an
  event (persistence);
- its neighbours' mean counts (cells within 1.5 cells: the 8 around it) over the last 1, 3 and
  12 steps and all steps, and the next ring's (within 2.5 cells) over the last 12 and all;
- the season (month of year of step t);
- optional context: another cube (e.g. all crime) as means over 3 and 12 steps and all steps,
  and static per-cell columns (e.g. the LSOA's deprivation and population).

The model is scikit-learn's ``HistGradientBoostingRegressor(loss='poisson')`` (a maintained
library; LightGBM is not needed), trained on the pooled cells x months of many rolling
origins: every target step in the ``train_steps`` steps before t, each row built from its own
past only. ``tune`` validates candidate settings by rolling origin inside the training data:
it fits each candidate on the steps before each of the last ``val_steps`` steps before the
first evaluated step and keeps the one with the highest mean PAI at 5% there (PAI is a top-k
measure, so candidates are compared on the top 5% they pick, not on squared error). Since the
third version the default grid holds one candidate (regularised trees, 24 months; see
``GRID``): three months chose settings badly. The evaluated months never influence features,
settings or the study area. The model is deterministic (``random_state=0``; no subsampling).

The backtest retrains the model before every evaluated month on the steps before it (a model
fitted once and kept for a year drifted badly on the NYC shootings); ``refit=False`` fits it
once, before the first evaluated month.

Steps are the months that have data: a missing month is skipped, not read as zero (the lag
windows run over months with data).

Features are computed once per step (:class:`Inputs` memoises them): step s's row depends on
the steps before s only, so the same row serves every model whose training window holds s.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from vru.analysis.hotspots.ensemble import pai_at
from vru.analysis.hotspots.units import distance_band_weights

LAGS = (1, 3, 6, 12, 24, 36)
HALF_LIVES = (3.0, 6.0, 12.0)
# Third version (designed on burned data only: Bedfordshire, City of London, NYC 2018-07..
# 2023-06): smaller, slower-learning trees (7 leaves, 200 cell-months a leaf, learning rate
# 0.05) on 24 months, fixed. The second version chose 12 or 24 months and leaf size 50 or 200
# by validation on 3 months, which picked differently from what did best in the evaluated year
# (NYC 2022-07..2023-06: 0.81x the 12-month count); the regularised fixed settings did better
# on 4 of the 5 burned windows (docs/guide/hotspots.md). The grid is kept (one candidate) so
# that the validation score is still reported and another grid can be given to ``tune``.
GRID = {"train_steps": (24,), "min_samples_leaf": (200,)}
DEFAULT_SETTINGS = {"learning_rate": 0.05, "max_leaf_nodes": 7, "min_samples_leaf": 200,
                    "max_iter": 100, "train_steps": 24}
VAL_STEPS = 3


@dataclass
class Neighbours:
    ring1: sparse.csr_matrix
    ring2: sparse.csr_matrix


def neighbours(ux, uy, cell: float) -> Neighbours:
    r1 = distance_band_weights(ux, uy, 1.5 * cell, star=False)
    r2 = distance_band_weights(ux, uy, 2.5 * cell, star=False) - r1
    r2.eliminate_zeros()
    return Neighbours(r1.tocsr(), r2.tocsr())


def _means(cube: np.ndarray, t: int, k: int | None) -> np.ndarray:
    """Mean over the last ``k`` steps before ``t`` (all of them when ``k`` is None)."""
    a = 0 if k is None else max(0, t - k)
    if t - a <= 0:
        return np.full(cube.shape[0], np.nan)
    return cube[:, a:t].mean(axis=1)


def _ewm(cube: np.ndarray, t: int, half_life: float) -> np.ndarray:
    if t <= 0:
        return np.full(cube.shape[0], np.nan)
    w = 0.5 ** (np.arange(t)[::-1] / half_life)
    return cube[:, :t] @ (w / w.sum())


def feature_names(context: bool = False, static: int = 0) -> list[str]:
    names = [f"mean_{k}" for k in LAGS] + ["mean_all"] + [f"ewm_{h:g}" for h in HALF_LIVES]
    names += ["same_month_last_year", "steps_since_last", "active_share_12"]
    names += ["ring1_mean_1", "ring1_mean_3", "ring1_mean_12", "ring1_mean_all",
              "ring2_mean_12", "ring2_mean_all", "month_of_year"]
    if context:
        names += ["context_mean_3", "context_mean_12", "context_mean_all"]
    return names + [f"static_{j}" for j in range(static)]


def features(cube: np.ndarray, t: int, nb: Neighbours, month_of_year: np.ndarray,
             context: np.ndarray | None = None, static: np.ndarray | None = None) -> np.ndarray:
    """(cells, features) for target step ``t`` from ``cube[:, :t]`` only (see the module
    docstring; the order is :func:`feature_names`)."""
    n = cube.shape[0]
    past = cube[:, :t]
    cols = [_means(past, t, k) for k in LAGS] + [_means(past, t, None)]
    cols += [_ewm(past, t, h) for h in HALF_LIVES]
    cols.append(past[:, t - 12] if t >= 12 else np.full(n, np.nan))
    seen = past > 0
    last = (np.where(seen.any(axis=1), t - 1 - np.argmax(seen[:, ::-1], axis=1), -1) if t > 0
            else np.full(n, -1))
    cols.append(np.where(last >= 0, t - last, 99).astype(float))
    cols.append(seen[:, max(0, t - 12):].mean(axis=1) if t > 0 else np.full(n, np.nan))
    for k in (1, 3, 12, None):
        cols.append(nb.ring1 @ np.nan_to_num(_means(past, t, k)))
    for k in (12, None):
        cols.append(nb.ring2 @ np.nan_to_num(_means(past, t, k)))
    cols.append(np.full(n, float(month_of_year[t])))
    if context is not None:
        ctx = context[:, :t]
        cols += [_means(ctx, t, 3), _means(ctx, t, 12), _means(ctx, t, None)]
    X = np.column_stack(cols)
    if static is not None:
        X = np.column_stack([X, static])
    # history not yet available (e.g. last year's month in the first year) is -1, not NaN: a
    # column that is NaN throughout a short window would break the binning
    return np.nan_to_num(X, nan=-1.0)


@dataclass
class Inputs:
    """A cube with what the features need, and each step's feature rows computed once."""

    cube: np.ndarray
    nb: Neighbours
    month_of_year: np.ndarray
    context: np.ndarray | None = None
    static: np.ndarray | None = None
    _memo: dict = field(default_factory=dict, repr=False)

    def features(self, t: int) -> np.ndarray:
        if not 0 <= t <= self.cube.shape[1]:
            raise ValueError(f"step {t} is beyond the {self.cube.shape[1]} steps given")
        if t not in self._memo:
            self._memo[t] = features(self.cube, t, self.nb, self.month_of_year, self.context,
                                     self.static)
        return self._memo[t]

    def before(self, t: int) -> Inputs:
        """The same inputs cut to the steps before ``t``: what a forecast of step ``t`` may
        see. The memo is shared: a row of step s depends on the steps before s only, so it is
        the same whichever cube it came from, and a cut can only read rows of steps <= t."""
        return Inputs(self.cube[:, :t], self.nb, self.month_of_year,
                      None if self.context is None else self.context[:, :t], self.static,
                      self._memo)


def _model(settings: dict):
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        loss="poisson", learning_rate=settings["learning_rate"],
        max_leaf_nodes=settings["max_leaf_nodes"], min_samples_leaf=settings["min_samples_leaf"],
        max_iter=settings["max_iter"], l2_regularization=1.0, early_stopping=False,
        random_state=0)


def fit(inp: Inputs, t: int, settings: dict, rows: np.ndarray | None = None):
    """A model trained on the pooled target steps [t - train_steps, t), each row from its own
    past: uses ``inp.cube[:, :t]`` only. ``rows`` restricts the training cells."""
    first = max(1, t - int(settings["train_steps"]))
    keep = slice(None) if rows is None else rows
    steps = range(first, t)
    if not steps:
        raise ValueError("the gradient-boosted forecast needs at least two steps of history")
    X = np.vstack([inp.features(s)[keep] for s in steps])
    y = np.concatenate([inp.cube[keep, s] for s in steps])
    return _model(settings).fit(X, y)


def predict(model, inp: Inputs, t: int) -> np.ndarray:
    """Expected count of every cell in step ``t`` from the steps before it. Trees give many
    cells the same prediction; such ties are broken by the cell's mean over all steps before
    ``t`` (a nudge far below any difference the model makes), not by chance."""
    X = inp.features(t)
    pred = model.predict(X)
    longrun = np.maximum(X[:, len(LAGS)], 0.0)  # mean_all
    return pred + 1e-6 * longrun / (1.0 + longrun.max())


def fit_predict(inp: Inputs, t: int, settings: dict, rows: np.ndarray | None = None
                ) -> np.ndarray:
    """Train on the steps before ``t`` and predict step ``t`` (sees ``cube[:, :t]`` only)."""
    past = inp.before(t)
    return predict(fit(past, t, settings, rows), past, t)


def tune(inp: Inputs, first_eval: int, area_rows: np.ndarray, val_steps: int = VAL_STEPS,
         grid: dict | None = None, seed: int = 0) -> tuple[dict, list[dict]]:
    """Rolling-origin validation on the ``val_steps`` steps before ``first_eval`` (each scored
    by a model trained on the steps before it); returns the best settings (mean PAI at 5%) and
    every candidate's score. Uses ``cube[:, :first_eval]`` only."""
    grid = grid or GRID
    past = inp.before(first_eval)
    tiebreak = np.random.default_rng(seed).permutation(past.cube.shape[0])
    val = [s for s in range(first_eval - val_steps, first_eval) if s >= 2]
    trials = []
    keys = list(grid)
    for combo in itertools.product(*(grid[k] for k in keys)):
        settings = {**DEFAULT_SETTINGS, **dict(zip(keys, combo, strict=True))}
        # PAI among the study area's places, out of every event of the month
        pais = [pai_at(fit_predict(past, s, settings, area_rows)[area_rows],
                       past.cube[area_rows, s], 5.0, tiebreak[:len(area_rows)],
                       total=past.cube[:, s].sum()) for s in val]
        trials.append({**settings, "val_pai5": float(np.nanmean(pais)) if pais else math.nan})
    if not trials or all(not np.isfinite(t["val_pai5"]) for t in trials):
        return dict(DEFAULT_SETTINGS), trials
    best = max(trials, key=lambda r: r["val_pai5"] if np.isfinite(r["val_pai5"]) else -1)
    return {k: best[k] for k in DEFAULT_SETTINGS}, trials
