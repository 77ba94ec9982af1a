"""Patrol dosage: from patrol GPS pings to minutes spent in each hot spot per day, against a
target (15 minutes a day by default, as in the Southend trial), and a compliance report.

Time between two consecutive pings of the same patrol (at most ``max_gap_min`` apart) is
credited to a spot when both pings are inside it; when only one is, half of it is (the crossing
is assumed mid-way). Longer gaps are GPS outages and are counted separately, never credited.
A visit is a run of consecutive pings inside the same spot. Days are the calendar date of the
first ping of each interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def spots_from_plan(plan: pd.DataFrame, size: float | None = None,
                    radius: float | None = None) -> pd.DataFrame:
    """Geofences for a plan (columns unit_id, x, y): squares of side ``size`` (grid cells) or
    circles of ``radius`` metres around the centroid."""
    if (size is None) == (radius is None):
        raise ValueError("give either size (square cells) or radius (circular geofence)")
    out = plan[["unit_id", "x", "y"]].copy()
    out["shape"] = "square" if size is not None else "circle"
    out["extent_m"] = float(size if size is not None else radius)
    return out.reset_index(drop=True)


def which_spot(px, py, spots: pd.DataFrame) -> np.ndarray:
    """Index of the spot containing each ping (-1 = none; the first listed wins overlaps)."""
    px = np.asarray(px, float)
    py = np.asarray(py, float)
    out = np.full(len(px), -1, np.int64)
    for k in range(len(spots) - 1, -1, -1):
        s = spots.iloc[k]
        if s["shape"] == "square":
            h = s["extent_m"] / 2
            inside = (np.abs(px - s["x"]) <= h) & (np.abs(py - s["y"]) <= h)
        else:
            inside = np.hypot(px - s["x"], py - s["y"]) <= s["extent_m"]
        out[inside] = k
    return out


def dosage(pings: pd.DataFrame, spots: pd.DataFrame, max_gap_min: float = 5.0) -> pd.DataFrame:
    """Minutes and visits per spot per day. ``pings``: patrol_id, timestamp, x, y (BNG metres).
    Returns unit_id, date, minutes, visits (only spot-days with time in the spot)."""
    need = {"patrol_id", "timestamp", "x", "y"}
    missing = need - set(pings.columns)
    if missing:
        raise ValueError(f"GPS pings lack columns: {', '.join(sorted(missing))}")
    p = pings.sort_values(["patrol_id", "timestamp"], kind="stable").reset_index(drop=True)
    ts = pd.to_datetime(p["timestamp"])
    spot = which_spot(p["x"], p["y"], spots)
    same_patrol = p["patrol_id"].to_numpy()[1:] == p["patrol_id"].to_numpy()[:-1]
    gap = (ts.to_numpy()[1:] - ts.to_numpy()[:-1]) / np.timedelta64(1, "m")
    ok = same_patrol & (gap <= max_gap_min) & (gap >= 0)
    a, b = spot[:-1], spot[1:]
    day = ts.dt.date.to_numpy()[:-1]
    rows = []
    both = ok & (a >= 0) & (a == b)
    rows.append(pd.DataFrame({"spot": a[both], "date": day[both], "minutes": gap[both]}))
    first = ok & (a >= 0) & (a != b)
    rows.append(pd.DataFrame({"spot": a[first], "date": day[first], "minutes": gap[first] / 2}))
    second = ok & (b >= 0) & (a != b)
    rows.append(pd.DataFrame({"spot": b[second], "date": day[second],
                              "minutes": gap[second] / 2}))
    mins = pd.concat(rows, ignore_index=True)
    # visits: pings inside a spot whose previous ping (same patrol) was not in that spot
    prev = np.concatenate([[-1], np.where(same_patrol, spot[:-1], -1)])
    start = (spot >= 0) & (spot != prev)
    visits = pd.DataFrame({"spot": spot[start], "date": ts.dt.date.to_numpy()[start],
                           "visits": 1})
    if mins.empty and visits.empty:
        return pd.DataFrame(columns=["unit_id", "date", "minutes", "visits"])
    m = mins.groupby(["spot", "date"], as_index=False)["minutes"].sum()
    v = visits.groupby(["spot", "date"], as_index=False)["visits"].sum()
    out = m.merge(v, on=["spot", "date"], how="outer").fillna({"minutes": 0.0, "visits": 0})
    out["unit_id"] = spots["unit_id"].to_numpy()[out["spot"].astype(int)]
    out["visits"] = out["visits"].astype(int)
    return out[["unit_id", "date", "minutes", "visits"]].sort_values(
        ["unit_id", "date"]).reset_index(drop=True)


def gps_gaps(pings: pd.DataFrame, max_gap_min: float = 5.0) -> pd.DataFrame:
    """Per patrol: pings, first/last time, and the number and total minutes of gaps longer
    than ``max_gap_min`` (time the dosage could not see)."""
    p = pings.sort_values(["patrol_id", "timestamp"], kind="stable")
    out = []
    for pid, g in p.groupby("patrol_id", sort=True):
        t = pd.to_datetime(g["timestamp"]).to_numpy()
        d = np.diff(t) / np.timedelta64(1, "m")
        big = d > max_gap_min
        out.append({"patrol_id": pid, "pings": len(g), "first": pd.Timestamp(t[0]),
                    "last": pd.Timestamp(t[-1]), "gaps": int(big.sum()),
                    "gap_minutes": float(d[big].sum())})
    return pd.DataFrame(out)


def compliance(minutes: pd.DataFrame, spots: pd.DataFrame, days, target_min: float = 15.0
               ) -> tuple[pd.DataFrame, dict]:
    """Per spot: planned days, days at or above ``target_min`` minutes, compliance %, mean and
    median minutes per planned day (missing days count as 0). Plus an overall summary."""
    days = pd.Index(pd.to_datetime(pd.Series(list(days))).dt.date.unique())
    grid = pd.MultiIndex.from_product([spots["unit_id"], days], names=["unit_id", "date"])
    m = minutes.set_index(["unit_id", "date"])["minutes"] if len(minutes) else pd.Series(
        dtype=float)
    full = m.reindex(grid).fillna(0.0).rename("minutes").reset_index()
    g = full.groupby("unit_id", sort=False)["minutes"]
    per = pd.DataFrame({
        "planned_days": g.size(),
        "days_met": g.apply(lambda s: int((s >= target_min).sum())),
        "mean_minutes": g.mean(),
        "median_minutes": g.median(),
        "total_minutes": g.sum(),
    }).reindex(spots["unit_id"]).reset_index()
    per["compliance_pct"] = 100.0 * per["days_met"] / per["planned_days"]
    spot_days = len(full)
    met = int((full["minutes"] >= target_min).sum())
    summary = {"target_minutes": target_min, "spots": len(spots), "days": len(days),
               "spot_days": spot_days, "spot_days_met": met,
               "compliance_pct": 100.0 * met / spot_days if spot_days else float("nan"),
               "total_minutes": float(full["minutes"].sum())}
    return per, summary
