"""How concentrated harm is: the share of harm in the top x% of area, the curve, and Gini."""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_SHARES = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)


def _order(values: np.ndarray, area: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Rank by harm density (harm per unit area) so unequal units (hexes, LSOAs) are fair; for
    # equal cells this is ranking by harm. Ties broken by position for determinism.
    density = values / area
    return np.lexsort((np.arange(len(values)), -density)), density


def concentration_curve(values, area=None) -> pd.DataFrame:
    """Units ranked from most to least harm (per area); cumulative share of area and of harm.

    ``area`` defaults to 1 per unit (share of units). Returns columns ``rank``, ``unit``,
    ``value``, ``area_share`` and ``harm_share`` (both cumulative, 0..1)."""
    v = np.asarray(values, float)
    if v.ndim != 1 or len(v) == 0:
        raise ValueError("values must be a non-empty 1-d array, one per unit")
    if np.any(v < 0):
        raise ValueError("harm values must be >= 0")
    a = np.ones_like(v) if area is None else np.asarray(area, float)
    if np.any(~np.isfinite(a)) or np.any(a <= 0):
        raise ValueError("unit areas must be positive (use area=None for share of units)")
    order, _ = _order(v, a)
    total = v.sum()
    cum_h = np.cumsum(v[order]) / total if total > 0 else np.zeros(len(v))
    cum_a = np.cumsum(a[order]) / a.sum()
    return pd.DataFrame({"rank": np.arange(1, len(v) + 1), "unit": order,
                         "value": v[order], "area_share": cum_a, "harm_share": cum_h})


def harm_share_at(values, area=None, shares_pct=DEFAULT_SHARES) -> pd.DataFrame:
    """The concentration table: for each x% of area, the share of harm in the top units that
    fill it (a unit straddling the boundary counts pro rata), and how many units that is."""
    curve = concentration_curve(values, area)
    a = np.concatenate([[0.0], curve["area_share"].to_numpy()])
    h = np.concatenate([[0.0], curve["harm_share"].to_numpy()])
    rows = []
    for pct in shares_pct:
        frac = pct / 100.0
        rows.append({
            "area_pct": float(pct),
            "harm_pct": float(np.interp(frac, a, h)) * 100.0,
            "units": int(np.searchsorted(a[1:], frac - 1e-12) + 1),
        })
    return pd.DataFrame(rows)


def area_for_harm(values, area=None, harm_pct: float = 50.0) -> float:
    """The smallest share of area (in %) holding ``harm_pct`` % of harm (e.g. "50% of violence
    in 2% of places")."""
    curve = concentration_curve(values, area)
    a = np.concatenate([[0.0], curve["area_share"].to_numpy()])
    h = np.concatenate([[0.0], curve["harm_share"].to_numpy()])
    return float(np.interp(harm_pct / 100.0, h, a)) * 100.0


def gini(values, area=None) -> float:
    """Gini coefficient of harm over units (area-weighted when ``area`` is given): 0 = evenly
    spread, 1 = all in one place. Computed from the Lorenz curve by the trapezium rule, which
    equals the textbook formula sum_i sum_j |x_i - x_j| / (2 n^2 mean) for equal units."""
    v = np.asarray(values, float)
    a = np.ones_like(v) if area is None else np.asarray(area, float)
    if v.sum() <= 0:
        return 0.0
    order = np.argsort(v / a, kind="stable")  # ascending for the Lorenz curve
    ca = np.concatenate([[0.0], np.cumsum(a[order]) / a.sum()])
    ch = np.concatenate([[0.0], np.cumsum(v[order]) / v.sum()])
    under = np.sum((ca[1:] - ca[:-1]) * (ch[1:] + ch[:-1]) / 2.0)
    return float(1.0 - 2.0 * under)
