"""Emerging hot spot analysis on a space-time cube.

The cube holds one value (count or harm) per unit and time step (month or quarter). Gi* is run
on every step (one sparse product for all steps), each bin is hot (z > 0) or cold (z < 0) when
its FDR-adjusted p is at most ``alpha``, and a Mann-Kendall test on each unit's Gi* z series
gives the trend. Each unit is then put in one of ArcGIS's 17 categories (8 hot, 8 cold, no
pattern), by the definitions of ArcGIS Pro's "How Emerging Hot Spot Analysis works" page
(``classify_arcgis`` states each rule). Every hot category except historical needs the final
step to be hot (and cold ones cold); a unit hot in all but the final step is historical or no
pattern, never sporadic. vru's earlier variant is ``rules='vru'``, an explicit option.

Gaps: a cube holds only the steps that have data. When months are missing (data.police.uk has
gaps) the caller leaves them out of the cube rather than filling them with zeros; the series
then skips them and the result's ``params['missing_steps']`` names them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from vru.analysis.hotspots.gistar import bh_adjust, gi_star_z, two_sided_p

HOT_CATEGORIES = ("new", "consecutive", "intensifying", "persistent", "diminishing",
                  "sporadic", "oscillating", "historical")
CATEGORIES = tuple(f"{c} hot spot" for c in HOT_CATEGORIES) + tuple(
    f"{c} cold spot" for c in HOT_CATEGORIES) + ("no pattern",)


def space_time_cube(unit_idx, step_idx, n_units: int, n_steps: int, weights=None) -> np.ndarray:
    """(n_units, n_steps) sums of ``weights`` (default 1) per bin; events with index -1 or out of
    range are ignored."""
    u = np.asarray(unit_idx, np.int64)
    t = np.asarray(step_idx, np.int64)
    w = np.ones(len(u)) if weights is None else np.asarray(weights, float)
    ok = (u >= 0) & (u < n_units) & (t >= 0) & (t < n_steps)
    flat = np.bincount(u[ok] * n_steps + t[ok], weights=w[ok], minlength=n_units * n_steps)
    return flat.reshape(n_units, n_steps)


def mann_kendall(Y, continuity: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall trend test on every row of ``Y`` (n, T) at once.

    Returns (S, z, two-sided p). Variance with the ties correction
    var S = [T(T-1)(2T+5) - sum_g t_g(t_g-1)(2t_g+5)] / 18 and, with ``continuity``, z = (S - sign
    S) / sqrt(var) as in Kendall (1975) and pymannkendall's ``original_test``."""
    Y = np.asarray(Y, float)
    n, T = Y.shape
    # One sort per row gives both the ties and dense ranks (equal values, equal rank). S only
    # depends on the order of the values, so it is computed on the small-integer ranks: exact,
    # and 8x less memory to stream than float64.
    order = np.argsort(Y, axis=1, kind="stable")
    srt = np.take_along_axis(Y, order, axis=1)
    new = np.ones((n, T), bool)
    new[:, 1:] = srt[:, 1:] != srt[:, :-1]
    rtype = np.int8 if T < 127 else np.int16 if T < 32_000 else np.int32
    ranks = np.empty((n, T), rtype)
    np.put_along_axis(ranks, order, (np.cumsum(new, axis=1) - 1).astype(rtype), axis=1)
    # S = sum over lags k of sign(r[t+k] - r[t]), time-major so every slice is contiguous
    Rt = np.ascontiguousarray(ranks.T)
    S = np.zeros(n)
    buf = np.empty((max(T - 1, 1), n), rtype)
    for k in range(1, T):
        d = np.subtract(Rt[k:], Rt[:-k], out=buf[: T - k])
        np.sign(d, out=d)
        S += d.sum(axis=0, dtype=np.int64)
    # ties: sum over tie groups of t(t-1)(2t+5). Every member of a group of size t knows its
    # group's first and last sorted position, so t = last - first + 1 and
    # sum_g t_g(t_g-1)(2t_g+5) = sum_i (t_i-1)(2t_i+5).
    pos = np.broadcast_to(np.arange(T), (n, T))
    first = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    end = np.ones((n, T), bool)
    end[:, :-1] = new[:, 1:]
    last = np.minimum.accumulate(np.where(end, pos, T - 1)[:, ::-1], axis=1)[:, ::-1]
    t = (last - first + 1).astype(float)
    tie = ((t - 1) * (2 * t + 5)).sum(axis=1)
    var = (T * (T - 1) * (2 * T + 5) - tie) / 18.0
    num = S - np.sign(S) if continuity else S
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, num / np.sqrt(var), 0.0)
    p = two_sided_p(z)
    return S, z, p


def _final_run(flag: np.ndarray) -> np.ndarray:
    """Length of the run of True ending at the last column, per row."""
    T = flag.shape[1]
    rev = flag[:, ::-1]
    return np.where(rev.all(axis=1), T, np.argmin(rev, axis=1))


RULES = ("arcgis", "vru")


def classify(hot: np.ndarray, cold: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray,
             alpha: float = 0.05, share: float = 0.9, rules: str = "arcgis") -> np.ndarray:
    """Category of each unit from its hot/cold flags (n, T) and the Mann-Kendall trend of its z
    series. Returns an array of category names (``CATEGORIES``).

    ``rules='arcgis'`` (the default) follows ArcGIS Pro's "How Emerging Hot Spot Analysis works"
    table word for word; ``rules='vru'`` is vru's earlier variant, kept only as an explicit
    option (see ``classify_vru``)."""
    if rules == "arcgis":
        return classify_arcgis(hot, cold, trend_z, trend_p, alpha, share)
    if rules == "vru":
        return classify_vru(hot, cold, trend_z, trend_p, alpha, share)
    raise ValueError(f"rules must be one of {', '.join(RULES)}; got {rules!r}")


def classify_arcgis(hot: np.ndarray, cold: np.ndarray, trend_z: np.ndarray,
                    trend_p: np.ndarray, alpha: float = 0.05, share: float = 0.9) -> np.ndarray:
    """ArcGIS's 17 categories. With f = this side's flags (hot for hot spots), T steps and
    "90%" = ``share`` of all T steps:

    - new: f in the final step, never f before it.
    - consecutive: one unbroken run of >= 2 f steps ending at the final step, never f before
      the run, f in < 90% of steps.
    - intensifying / diminishing: f in >= 90% of steps including the final step, and a
      significant Mann-Kendall trend of the Gi* z towards / away from this side.
    - persistent: f in >= 90% of steps including the final step, no significant trend (ArcGIS
      words it without "including the final step"; "historical" is its not-final counterpart,
      so the final step is required here, as for every category but historical).
    - sporadic: f in the final step, on-again then off-again before it (f before the final
      run), f in < 90% of steps, never the other side.
    - oscillating: f in the final step, the other side in some earlier step, f in < 90%.
    - historical: not f in the final step, f in >= 90% of all steps.

    Precedence where two definitions both hold: the side is decided by the final step (hot in
    it -> a hot category, cold -> a cold one; neither -> historical or no pattern), then the
    first match in ArcGIS's table order (new, consecutive, intensifying, persistent,
    diminishing, sporadic, oscillating). A unit hot in every step but the final one is
    historical when that is >= 90% of the steps and otherwise no pattern: never sporadic,
    which needs the final step."""
    hot = np.asarray(hot, bool)
    cold = np.asarray(cold, bool)
    n, T = hot.shape
    out = np.full(n, "no pattern", dtype=object)
    tol = 1e-9
    sig = np.asarray(trend_p) <= alpha
    tz = np.asarray(trend_z, float)
    for side, f, g, up in (("hot", hot, cold, 1), ("cold", cold, hot, -1)):
        count = f.sum(axis=1)
        mostly = count / T >= share - tol
        run = _final_run(f)
        last = f[:, -1]
        other_before = g[:, :-1].any(axis=1)
        towards = sig & (tz * up > 0)
        away = sig & (tz * up < 0)
        name = np.full(n, "", dtype=object)
        undecided = last.copy()

        def take(mask, label, name=name, undecided=undecided):
            m = undecided & mask
            name[m] = label
            undecided &= ~m

        take(count == 1, "new")
        take((run >= 2) & (count == run) & ~mostly, "consecutive")
        take(mostly & towards, "intensifying")
        take(mostly & ~towards & ~away, "persistent")
        take(mostly & away, "diminishing")
        take(~mostly & (count > run) & ~g.any(axis=1), "sporadic")
        take(~mostly & other_before, "oscillating")
        # not this side in the final step (and not the other side either: the final step
        # decides the side)
        hist = ~last & ~g[:, -1] & mostly
        name[hist] = "historical"
        sel = name != ""
        out[sel] = np.array([f"{c} {side} spot" for c in name[sel]], dtype=object)
    return out


def classify_vru(hot: np.ndarray, cold: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray,
                 alpha: float = 0.05, share: float = 0.9) -> np.ndarray:
    """vru's earlier variant (an explicit option, not the default): as ArcGIS, except that
    historical counts the share over the steps before the final one, and a unit hot on and
    off but neither hot nor cold in the final step is called sporadic."""
    hot = np.asarray(hot, bool)
    cold = np.asarray(cold, bool)
    n, T = hot.shape
    out = np.full(n, "no pattern", dtype=object)
    last_hot, last_cold = hot[:, -1], cold[:, -1]
    tol = 1e-9
    sides = (("hot", hot, cold, last_hot, 1), ("cold", cold, hot, last_cold, -1))
    for side, f, g, last_f, up in sides:
        count = f.sum(axis=1)
        frac = count / T
        earlier_frac = f[:, :-1].sum(axis=1) / max(T - 1, 1)
        run = _final_run(f)
        ever_other = g.any(axis=1)
        sig = trend_p <= alpha
        trend_up = sig & (trend_z * up > 0)     # towards more extreme for this side
        trend_down = sig & (trend_z * up < 0)
        mostly = frac >= share - tol
        name = np.full(n, "", dtype=object)
        # hot now
        now = last_f
        name[now & mostly & trend_up] = "intensifying"
        name[now & mostly & trend_down] = "diminishing"
        name[now & mostly & ~trend_up & ~trend_down] = "persistent"
        rest = now & ~mostly
        name[rest & (count == 1)] = "new"
        single_run = rest & (count == run) & (run >= 2)
        name[single_run] = "consecutive"
        other = rest & (count > 1) & ~single_run
        name[other & ever_other] = "oscillating"
        name[other & ~ever_other] = "sporadic"
        # not hot now (and not the other side now)
        neither = ~last_hot & ~last_cold
        hist = neither & (earlier_frac >= share - tol) & (count > 0)
        name[hist] = "historical"
        spor = neither & ~hist & (count > 0) & ~ever_other
        name[spor] = "sporadic"
        sel = name != ""
        out[sel] = np.array([f"{c} {side} spot" for c in name[sel]], dtype=object)
    return out


@dataclass
class EmergingResult:
    categories: np.ndarray        # (n,) category names
    z: np.ndarray                 # (n, T) Gi* z per bin
    p_fdr: np.ndarray             # (n, T)
    hot: np.ndarray               # (n, T) bool
    cold: np.ndarray
    trend_s: np.ndarray           # Mann-Kendall S on the z series
    trend_z: np.ndarray
    trend_p: np.ndarray
    count_trend_z: np.ndarray     # Mann-Kendall z on the unit's own values (the cube trend)
    count_trend_p: np.ndarray
    params: dict

    def table(self, ids=None) -> pd.DataFrame:
        n, T = self.hot.shape
        return pd.DataFrame({
            "unit_id": ids if ids is not None else np.arange(n),
            "category": self.categories,
            "hot_steps": self.hot.sum(axis=1), "cold_steps": self.cold.sum(axis=1),
            "last_z": self.z[:, -1], "trend_z": self.trend_z, "trend_p": self.trend_p,
            "value_trend_z": self.count_trend_z, "value_trend_p": self.count_trend_p,
        })

    def summary(self) -> pd.DataFrame:
        s = pd.Series(self.categories).value_counts()
        return pd.DataFrame({"category": list(CATEGORIES),
                             "units": [int(s.get(c, 0)) for c in CATEGORIES]})


def emerging_hot_spots(cube, w: sparse.spmatrix, alpha: float = 0.05, fdr: bool = True,
                       share: float = 0.9, rules: str = "arcgis",
                       missing_steps: list[str] | None = None) -> EmergingResult:
    """Gi* per step, Mann-Kendall per unit, and the categories, for a cube (n_units, n_steps)
    holding only steps with data (``missing_steps``, the labels of steps left out because they
    have no data, are recorded in the params, never filled with zeros)."""
    cube = np.asarray(cube, float)
    if cube.ndim != 2 or cube.shape[1] < 2:
        raise ValueError("the cube must be (units, steps) with at least two steps")
    z = gi_star_z(cube, w)
    p = two_sided_p(z)
    p_adj = bh_adjust(p) if fdr else p
    hot = (p_adj <= alpha) & (z > 0)
    cold = (p_adj <= alpha) & (z < 0)
    s, tz, tp = mann_kendall(z)
    # the trend of the unit's own values: rows that never change (mostly all-zero cells) have
    # S = 0, z = 0, p = 1 without computing
    moving = np.ptp(cube, axis=1) > 0
    cz, cp = np.zeros(len(cube)), np.ones(len(cube))
    if moving.any():
        _, cz[moving], cp[moving] = mann_kendall(cube[moving])
    cats = classify(hot, cold, tz, tp, alpha=alpha, share=share, rules=rules)
    return EmergingResult(cats, z, p_adj, hot, cold, s, tz, tp, cz, cp,
                          {"alpha": alpha, "fdr": fdr, "share": share, "steps": cube.shape[1],
                           "rules": rules, "missing_steps": list(missing_steps or []),
                           "trend": "Mann-Kendall on Gi* z, continuity-corrected, two-sided"})
