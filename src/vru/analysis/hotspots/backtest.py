"""Rolling-origin backtests of hotspot forecasts: hit rate, PAI, PEI and RRI at fixed coverage.

For each evaluated step t, every method sees steps < t only, scores every unit, and the top
units filling x% of the study area are "the hot spots". With n events (or harm) of step t in
them out of N in the area, a = their area and A = the study area:

- hit rate = n / N
- PAI (Chainey, Tompson and Uhlig 2008) = (n / N) / (a / A)
- PEI (Hunt 2016) = n / n*, n* = the most any selection of the same units could have caught
- RRI (Levine 2008, recapture rate index) = (n / N) / (n_prev / N_prev): the share the same
  units hold in step t over the share they held in step t-1 (1 = as good as last period).

The study area (``area``) is stated beside every PAI: ``history`` = units with any event before
the first evaluated step (the evaluated months never shape it; events of an evaluated month
outside it still count in N, as misses), ``active`` = units with any event in the whole data
given (uses the evaluated months: kept for comparison only), ``grid`` = every unit of the grid
extent. Ties in the scores are broken by a fixed random order (``seed``), never by anything the
methods could exploit.

The ``gbm`` method (``vru.analysis.hotspots.gbm``) has its settings chosen once, by rolling-origin
validation on the steps before the first evaluated step, and is retrained before every
evaluated step on the steps before it (``refit=False``: fitted once, before the first).
Steps are months with data: a missing month is never scored and
never enters a model as a zero.

``bootstrap`` resamples the evaluated months to put a 95% band on each method's mean PAI and PEI
and on its ratio to the best simple baseline (last month, 12-month count, KDE).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vru.analysis.hotspots import forecast as fc
from vru.analysis.hotspots.emerging import space_time_cube
from vru.analysis.hotspots.units import Units, grid_units

DEFAULT_COVERAGES = (1.0, 2.0, 5.0, 10.0)


@dataclass
class EventSet:
    """Events for hotspot work: BNG coordinates, integer step (0 = first period) and weight."""

    x: np.ndarray
    y: np.ndarray
    step: np.ndarray
    weight: np.ndarray
    step_labels: list[str]

    def __post_init__(self) -> None:
        self.x = np.asarray(self.x, float)
        self.y = np.asarray(self.y, float)
        self.step = np.asarray(self.step, np.int64)
        self.weight = np.asarray(self.weight, float)
        ok = np.isfinite(self.x) & np.isfinite(self.y)
        if not ok.all():
            self.x, self.y = self.x[ok], self.y[ok]
            self.step, self.weight = self.step[ok], self.weight[ok]

    @property
    def n_steps(self) -> int:
        return len(self.step_labels)


def select_top(scores: np.ndarray, area: np.ndarray, coverage_pct: float,
               tiebreak: np.ndarray) -> np.ndarray:
    """Indices of the highest-scoring units whose area first reaches ``coverage_pct`` of the
    total (at least one unit)."""
    order = np.lexsort((tiebreak, -scores))
    cum = np.cumsum(area[order])
    k = int(np.searchsorted(cum, coverage_pct / 100.0 * area.sum() - 1e-9) + 1)
    return order[: max(1, min(k, len(order)))]


def score_selection(sel: np.ndarray, actual: np.ndarray, prev: np.ndarray,
                    area: np.ndarray, N_total: float | None = None) -> dict:
    N = actual.sum() if N_total is None else N_total
    n = actual[sel].sum()
    a, A = area[sel].sum(), area.sum()
    best = np.sort(actual)[::-1][: len(sel)].sum()
    hit = n / N if N > 0 else math.nan
    prev_share = prev[sel].sum() / prev.sum() if prev.sum() > 0 else math.nan
    return {
        "units": int(len(sel)), "area_share_pct": 100.0 * a / A, "n": float(n), "N": float(N),
        "hit_rate": hit, "pai": hit / (a / A) if N > 0 else math.nan,
        "pei": n / best if best > 0 else math.nan,
        "rri": hit / prev_share if prev_share and prev_share > 0 else math.nan,
    }


def study_area(full: np.ndarray, first_eval: int, area: str, units: Units
               ) -> tuple[np.ndarray, str]:
    """Which units a backtest scores (a mask over ``full``, units x steps) and its definition."""
    if area == "history":
        return (full[:, :first_eval].sum(axis=1) > 0,
                "history: units with any event before the first evaluated month")
    if area == "active":
        return full.sum(axis=1) > 0, "active: units with any event in the data"
    if area == "grid":
        return np.ones(len(units), bool), f"grid: every unit of the extent ({units.describe()})"
    raise ValueError("area must be 'history', 'active' or 'grid'")


def backtest(events: EventSet, units: Units, eval_steps: Sequence[int],
             methods: dict[str, dict] | None = None, coverages=DEFAULT_COVERAGES,
             area: str = "active", seed: int = 0, context: np.ndarray | None = None,
             static: np.ndarray | None = None, tuning: list | None = None) -> pd.DataFrame:
    """One row per method x evaluated step x coverage (see the module docstring). ``context``
    (units x steps, e.g. all-crime counts) and ``static`` (units x k) feed the ``gbm`` method;
    ``tuning``, when a list, receives its validation trials."""
    methods = methods or fc.DEFAULT_SPECS
    eval_steps = list(eval_steps)
    uidx = units.assign(events.x, events.y)
    full = space_time_cube(uidx, events.step, len(units), events.n_steps, events.weight)
    first_eval = min(eval_steps)
    keep, area_def = study_area(full, first_eval, area, units)
    kept = np.flatnonzero(keep)
    remap = np.full(len(units), -1)
    remap[kept] = np.arange(len(kept))
    ev_u = np.where(uidx >= 0, remap[np.maximum(uidx, 0)], -1)
    inside = ev_u >= 0
    ux, uy = units.x[kept], units.y[kept]
    cube = full[kept]
    ctx = context[kept] if context is not None else None
    stat = static[kept] if static is not None else None
    uarea = units.area_m2[kept] if units.has_area else np.ones(len(kept))
    cell = units.params.get("size", 150.0)
    tiebreak = np.random.default_rng(seed).permutation(len(kept))
    specs = dict(methods)
    inp = None
    if any(name.split(":")[0] in ("gbm", "ensemble") for name in specs):
        from vru.analysis.hotspots import gbm

        moy = np.array([int(lab[5:7]) if len(lab) >= 7 and lab[4] == "-" else 0
                        for lab in events.step_labels])
        # the model's inputs over the whole cube; every fit and forecast below reads them
        # through inp.before(t), which cuts them to the steps before t
        inp = gbm.Inputs(cube, gbm.neighbours(ux, uy, cell), moy, ctx, stat)
        for name, params in list(specs.items()):
            if name.split(":")[0] == "gbm" and not params.get("train_steps"):
                chosen, trials = gbm.tune(inp, first_eval, np.arange(len(kept)), seed=seed)
                specs[name] = chosen
                if tuning is not None:
                    tuning.extend({"method": name, **t} for t in trials)
    gbm_settings = next((p for n, p in specs.items() if n.split(":")[0] == "gbm"), None)
    for name, params in list(specs.items()):
        if name.split(":")[0] == "ensemble" and "w_gbm" not in params:
            if gbm_settings is None and params.get("train_steps"):
                gbm_settings = params  # the ensemble's own gbm settings, given
            elif gbm_settings is None:
                gbm_settings, _ = gbm.tune(inp, first_eval, np.arange(len(kept)), seed=seed)
            weights, trials = _ensemble_weights(events, inside, inp, ux, uy, cell, first_eval,
                                                gbm_settings, tiebreak)
            specs[name] = {**gbm_settings, **{f"w_{k}": v for k, v in weights.items()}}
            if tuning is not None:
                tuning.extend({"method": name, **t} for t in trials)
    models: dict = {}
    rows = []
    for t in eval_steps:
        if t < 1 or t >= events.n_steps:
            raise ValueError(f"cannot evaluate step {t}: need history before it and data in it")
        past = inside & (events.step < t)
        h = fc.History(ux, uy, cube[:, :t], events.x[past], events.y[past],
                       events.step[past], events.weight[past], cell_size=cell)
        actual = cube[:, t]
        prev = cube[:, t - 1]
        N_total = float(full[:, t].sum())
        for name, params in specs.items():
            base = name.split(":")[0]
            if base == "gbm":
                from vru.analysis.hotspots import gbm

                seen = inp.before(t)
                if name not in models or params.get("refit", True):
                    # retrained before every evaluated month on the months before it
                    # (refit=False: fitted once, before the first evaluated month)
                    models[name] = gbm.fit(seen, t, params)
                scores = gbm.predict(models[name], seen, t)
            elif base == "ensemble":
                from vru.analysis.hotspots import ensemble

                comps = _components(h, inp, t, params)
                scores = ensemble.blend(comps, {k: params[f"w_{k}"] for k in comps})
            else:
                scores = fc.run(base, h, **params)
            for cov in coverages:
                sel = select_top(scores, uarea, cov, tiebreak)
                r = score_selection(sel, actual, prev, uarea, N_total)
                rows.append({"method": name, "params": _fmt(params), "step": t,
                             "period": events.step_labels[t], "coverage_pct": float(cov), **r,
                             "area_definition": area_def, "area_units": len(kept),
                             "area_km2": float(uarea.sum() / 1e6) if units.has_area else math.nan})
    return pd.DataFrame(rows)


SIMPLE_BASELINES = ("naive", "count", "kde")


def _components(h: fc.History, inp, t, settings) -> dict[str, np.ndarray]:
    """The ensemble's component scores for step ``t`` from the steps before it."""
    from vru.analysis.hotspots import gbm

    g = gbm.fit_predict(inp, t, settings)
    return {"gbm": g, "count": fc.run("count", h, **fc.DEFAULT_SPECS["count"]),
            "kde": fc.run("kde", h, **fc.DEFAULT_SPECS["kde"])}


def _ensemble_weights(events: EventSet, inside, inp, ux, uy, cell, first_eval, settings,
                      tiebreak) -> tuple[dict, list[dict]]:
    """Weights by rolling-origin validation on the months before ``first_eval`` only."""
    from vru.analysis.hotspots import ensemble

    validation = []
    for s in range(max(2, first_eval - ensemble.VAL_STEPS), first_eval):
        past = inside & (events.step < s)
        h = fc.History(ux, uy, inp.cube[:, :s], events.x[past], events.y[past],
                       events.step[past], events.weight[past], cell_size=cell)
        validation.append((_components(h, inp, s, settings), inp.cube[:, s]))
    return ensemble.choose_weights(validation, tiebreak)


def bootstrap(results: pd.DataFrame, method: str = "gbm", baselines=SIMPLE_BASELINES,
              reps: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per method and coverage: mean PAI and PEI over the evaluated months with a 95% bootstrap
    band (months resampled with replacement, the same draws for every method), the best simple
    baseline at that coverage (highest mean PAI) and each method's ratio of mean PAI to it with
    its band."""
    rng = np.random.default_rng(seed)
    out = []
    for cov, g in results.groupby("coverage_pct", sort=True):
        pai = g.pivot_table(index="step", columns="method", values="pai")
        pei = g.pivot_table(index="step", columns="method", values="pei")
        pai, pei = pai.dropna(), pei.loc[pai.index]
        n = len(pai)
        if n == 0:
            continue
        draws = rng.integers(0, n, (reps, n))
        base = [b for b in baselines if b in pai.columns]
        best = max(base, key=lambda b: pai[b].mean()) if base else None
        for m in pai.columns:
            pm = pai[m].to_numpy()[draws].mean(axis=1)
            em = pei[m].to_numpy()[draws].mean(axis=1)
            row = {"method": m, "coverage_pct": float(cov), "months": n,
                   "pai": float(pai[m].mean()), "pai_lo": float(np.percentile(pm, 2.5)),
                   "pai_hi": float(np.percentile(pm, 97.5)), "pei": float(pei[m].mean()),
                   "pei_lo": float(np.percentile(em, 2.5)),
                   "pei_hi": float(np.percentile(em, 97.5)), "best_baseline": best}
            if best is not None:
                bm = pai[best].to_numpy()[draws].mean(axis=1)
                ratio = pm / bm
                row.update(ratio=float(pai[m].mean() / pai[best].mean()),
                           ratio_lo=float(np.percentile(ratio, 2.5)),
                           ratio_hi=float(np.percentile(ratio, 97.5)))
            out.append(row)
    return pd.DataFrame(out)


def foresight_reference(results: pd.DataFrame, events: EventSet, units: Units,
                        window: int = 12, area: str = "history", seed: int = 0) -> pd.DataFrame:
    """How much room a better estimate of each cell's long-run rate leaves: per evaluated step
    and coverage, the PAI of ranking cells by their counts over the ``window`` steps before
    AND after the step (the step itself left out), next to the 12-month count's. It USES THE
    FUTURE, so it is a diagnostic, never a forecast: where even it barely beats the 12-month
    count, no method that only estimates long-run rates better can. Same study area, tie-break
    and selection as :func:`backtest` (``results`` gives the evaluated steps and coverages)."""
    steps = sorted(results["step"].unique())
    covs = sorted(results["coverage_pct"].unique())
    uidx = units.assign(events.x, events.y)
    full = space_time_cube(uidx, events.step, len(units), events.n_steps, events.weight)
    keep, _ = study_area(full, min(steps), area, units)
    cube = full[keep]
    uarea = units.area_m2[keep] if units.has_area else np.ones(int(keep.sum()))
    tiebreak = np.random.default_rng(seed).permutation(len(cube))
    rows = []
    for t in steps:
        around = cube[:, max(0, t - window):t + window + 1].sum(axis=1) - cube[:, t]
        count = cube[:, max(0, t - 12):t].sum(axis=1)
        for cov in covs:
            r = {name: score_selection(select_top(sc, uarea, cov, tiebreak), cube[:, t],
                                       cube[:, t - 1], uarea, float(full[:, t].sum()))["pai"]
                 for name, sc in (("foresight", around), ("count", count))}
            rows.append({"step": int(t), "coverage_pct": float(cov), "foresight_pai": r["foresight"],
                         "count_pai": r["count"]})
    out = pd.DataFrame(rows)
    g = out.groupby("coverage_pct")[["foresight_pai", "count_pai"]].mean().reset_index()
    g["ratio"] = g["foresight_pai"] / g["count_pai"]
    return g


def _fmt(params: dict) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in params.items())


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean of each measure per method and coverage over the evaluated steps (PAI as the mean of
    the monthly PAIs), with the area definition alongside."""
    g = results.groupby(["method", "coverage_pct"], sort=False)
    out = g.agg(steps=("step", "nunique"), hit_rate=("hit_rate", "mean"), pai=("pai", "mean"),
                pei=("pei", "mean"), rri=("rri", "mean"),
                area_share_pct=("area_share_pct", "mean"),
                area_definition=("area_definition", "first"),
                area_units=("area_units", "first")).reset_index()
    return out


def best_method(summary: pd.DataFrame, coverage_pct: float = 5.0) -> tuple[str, float]:
    at = summary[summary["coverage_pct"] == coverage_pct]
    row = at.loc[at["pai"].idxmax()]
    return str(row["method"]), float(row["pai"])


def sensitivity(events: EventSet, eval_steps: Sequence[int], sizes=(150.0, 250.0, 400.0),
                offsets=(0.0, 0.5), methods: dict[str, dict] | None = None,
                coverage_pct: float = 5.0, area: str = "active", seed: int = 0) -> pd.DataFrame:
    """Mean PAI and hit rate at ``coverage_pct`` per method for each grid size and offset (the
    origin shifted by ``offset`` x size in both directions)."""
    rows = []
    for size in sizes:
        for off in offsets:
            o = off * size
            units = grid_units(events.x, events.y, size, o, o, extent="events")
            res = backtest(events, units, eval_steps, methods, (coverage_pct,), area, seed)
            s = summarise(res)
            for _, r in s.iterrows():
                rows.append({"grid_m": size, "offset_m": o, "method": r["method"],
                             "coverage_pct": coverage_pct, "pai": r["pai"],
                             "hit_rate": r["hit_rate"], "area_definition": r["area_definition"],
                             "area_units": r["area_units"]})
    return pd.DataFrame(rows)
