"""Near repeats: the Knox test over distance x time bands with Monte Carlo permutation of dates
(as in Ratcliffe's Near Repeat Calculator and pointpats.Knox).

Implementation, and why it is ours: the close pairs in space never change under permutation of
dates, so we find them once with a k-d tree (scipy ``query_pairs`` up to the largest distance
band) and, for each permutation, only re-gather the two dates of every pair and count them into
the bands with one ``bincount``. pointpats re-walks Python sets per event per permutation
(about 12 s for 10k events x 99 permutations on these machines); this is vectorised NumPy.

Bands are closed at the top: distance band k holds pairs with d_{k-1} < d <= d_k (the first
band starts at 0 inclusive), and the same for time. Pairs farther apart than the last distance
band are not tabulated.

Month-only data (all of data.police.uk) gives each event its month index, so the time bands are
whole months: ``MONTH_BANDS`` = (0, 1, 2, 3) means the same month, one month apart, two, three.
Day bands (7/14/21/28) need day-level data (force extracts, NYC shootings); ``default_time_bands``
picks the right default and the headline of ``summary`` speaks of the same and the next month
when the unit is months.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

DAY_BANDS = (7.0, 14.0, 21.0, 28.0)
MONTH_BANDS = (0.0, 1.0, 2.0, 3.0)


def default_time_bands(time_unit: str) -> tuple[float, ...]:
    """Month bands (same month, 1, 2, 3 months apart) for month-only data, else day bands."""
    if time_unit == "months":
        return MONTH_BANDS
    if time_unit == "days":
        return DAY_BANDS
    raise ValueError("time unit must be 'days' or 'months'")


def _month_label(lo: float, hi: float) -> str | None:
    if lo == hi == 0:
        return "same month"
    if hi == lo + 1 and float(hi).is_integer():
        return f"{hi:g} month{'s' if hi != 1 else ''} apart"
    return None


@dataclass
class KnoxResult:
    distance_bands: np.ndarray     # upper edges (metres / coordinate units)
    time_bands: np.ndarray         # upper edges (days / time units)
    observed: np.ndarray           # (D, T) pair counts
    expected: np.ndarray           # (D, T) mean over permutations
    p_value: np.ndarray            # (D, T) (1 + #perm >= observed) / (perms + 1)
    z: np.ndarray                  # (observed - expected) / sd of permutations
    permutations: int
    n_events: int
    seed: int | None
    units: tuple[str, str]

    @property
    def ratio(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.expected > 0, self.observed / self.expected, np.nan)

    def _labels(self, edges: np.ndarray, unit: str) -> list[str]:
        lows = np.concatenate([[0], edges[:-1]])
        out = []
        for lo, hi in zip(lows, edges, strict=True):
            # whole-month bands read as "same month", "1 month apart", ...
            m = _month_label(lo, hi) if unit == "months" else None
            # a band whose edges meet (e.g. 0-0) is labelled by its value
            out.append(m or (f"{hi:g} {unit}" if lo == hi else f"{lo:g}-{hi:g} {unit}"))
        return out

    def table(self, what: str = "ratio") -> pd.DataFrame:
        data = {"ratio": self.ratio, "observed": self.observed, "expected": self.expected,
                "p": self.p_value, "z": self.z}[what]
        return pd.DataFrame(data, index=self._labels(self.distance_bands, self.units[0]),
                            columns=self._labels(self.time_bands, self.units[1]))

    def _month_summary(self, alpha: float) -> list[str]:
        """Headline for month-only data: the risk in the same month and in the next month
        within the closest distance band (the only honest near-repeat statement when events
        carry months, not days), then every significant band."""
        du = self.units[0]
        tl = self._labels(self.time_bands, "months")
        dl = self._labels(self.distance_bands, du)
        r = self.ratio

        def part(j: int) -> str:
            pct = (r[0, j] - 1) * 100 if np.isfinite(r[0, j]) else np.nan
            words = (f"{abs(pct):.0f}% {'more' if pct >= 0 else 'fewer'} than chance, "
                     f"p = {self.p_value[0, j]:.3f}" if np.isfinite(pct) else "none expected")
            return (f"{self.observed[0, j]} pairs {tl[j]} against {self.expected[0, j]:.1f} "
                    f"expected ({words})")

        head = (f"Events carry months only, so time is counted in whole months. Within "
                f"{self.distance_bands[0]:g} {du} of an event: {part(0)}")
        nxt = next((j for j in range(len(self.time_bands)) if tl[j] == "1 month apart"), None)
        if tl[0] == "same month" and nxt is not None:
            head += f"; {part(nxt)}"
        return [head + "."] + self._band_lines(dl, tl, ", ", alpha, "month", "months")

    def _band_lines(self, dl: list[str], tl: list[str], sep: str, alpha: float, kind: str,
                    shuffled: str) -> list[str]:
        """One sentence per significant band with more pairs than expected, then how
        significance was reached (or that no band is significant)."""
        r = self.ratio
        lines = [f"{dl[i]}{sep}{tl[j]}: {(r[i, j] - 1) * 100:.0f}% more pairs than expected "
                 f"(p = {self.p_value[i, j]:.3f})."
                 for i in range(r.shape[0]) for j in range(r.shape[1])
                 if self.p_value[i, j] <= alpha and r[i, j] > 1]
        if not lines:
            return [f"No distance-{kind} band shows significantly more pairs than chance at "
                    f"p <= {alpha:g} ({self.permutations} permutations)."]
        return lines + [f"Significance from {self.permutations} random permutations of the "
                        f"{shuffled}; the smallest possible p is "
                        f"{1 / (self.permutations + 1):.3f}."]

    def long_table(self) -> pd.DataFrame:
        rows = []
        dl = self._labels(self.distance_bands, self.units[0])
        tl = self._labels(self.time_bands, self.units[1])
        for i, d in enumerate(dl):
            for j, t in enumerate(tl):
                rows.append({"distance": d, "time": t, "observed": int(self.observed[i, j]),
                             "expected": float(self.expected[i, j]),
                             "ratio": float(self.ratio[i, j]), "p": float(self.p_value[i, j]),
                             "z": float(self.z[i, j])})
        return pd.DataFrame(rows)

    def summary(self, alpha: float = 0.05) -> list[str]:
        """Plain-language sentences, one per significant band, closest first, and a headline
        for the closest band whatever its significance."""
        du, tu = self.units
        lines = []
        r = self.ratio
        if tu == "months":
            return self._month_summary(alpha)
        first = (f"Within {self.distance_bands[0]:g} {du} and {self.time_bands[0]:g} {tu} of an "
                 f"event there were {self.observed[0, 0]} pairs of events against "
                 f"{self.expected[0, 0]:.1f} expected by chance ")
        if np.isfinite(r[0, 0]):
            pct = (r[0, 0] - 1) * 100
            first += (f"({abs(pct):.0f}% {'more' if pct >= 0 else 'fewer'} than expected, "
                      f"p = {self.p_value[0, 0]:.3f}).")
        else:
            first += "(no pairs expected)."
        lines.append(first)
        lows_d = np.concatenate([[0], self.distance_bands[:-1]])
        lows_t = np.concatenate([[0], self.time_bands[:-1]])
        dl = [f"{lo:g}-{hi:g} {du}" for lo, hi in zip(lows_d, self.distance_bands, strict=True)]
        tl = [f"{lo:g}-{hi:g} {tu}" for lo, hi in zip(lows_t, self.time_bands, strict=True)]
        return lines + self._band_lines(dl, tl, " and ", alpha, "time", "dates")


def close_pairs(x, y, max_distance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All unordered pairs (i < j) within ``max_distance`` and their distances."""
    pts = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
    pairs = cKDTree(pts).query_pairs(max_distance, output_type="ndarray")
    i = pairs[:, 0].astype(np.int64)
    j = pairs[:, 1].astype(np.int64)
    d = np.hypot(pts[i, 0] - pts[j, 0], pts[i, 1] - pts[j, 1])
    return i, j, d


def _band(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Band index (0..len-1) with bands closed at the top; len(edges) means beyond."""
    return np.searchsorted(edges, values, side="left")


def _band_counts(i, j, dband, t, tedges, D: int, permutations: int, rng,
                 chunk_elems: int = 2_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Pair counts per (distance band, time band) for the real dates and for each permutation.

    The permuted dates of all permutations are one matrix (perms x events); pairs are walked in
    chunks so that a chunk's indices stay in cache while every permutation is counted. Only
    pairs within the last time band (a small share) go on to the band lookup and bincount."""
    T = len(tedges)
    tmax = tedges[-1]
    n = len(t)
    span = float(t.max() - t.min()) if n else 0.0
    integral = bool(np.all(t == np.round(t))) and span < 2**30
    # the narrowest type that holds the date differences: less memory to stream per pair
    dtype = (np.int16 if span < 2**15 - 1 else np.int32) if integral else np.float64
    t = t - (t.min() if n else 0.0)
    perms = [t] + [t[rng.permutation(n)] for _ in range(permutations)]
    times = np.stack(perms).astype(dtype)                         # (1 + perms, n)
    if integral:  # compare in the array's own type (no upcast per element)
        tmax = dtype(min(np.floor(tmax), np.iinfo(dtype).max))
    P = times.shape[0]
    cells = D * T
    counts = np.zeros(P * cells, np.int64)
    base = (np.asarray(dband, np.int64) * T)
    step = max(1, chunk_elems // P)
    for a in range(0, len(i), step):
        ic, jc, bc = i[a:a + step], j[a:a + step], base[a:a + step]
        dt = times[:, ic]
        dt -= times[:, jc]
        np.abs(dt, out=dt)
        pk, pair = np.nonzero(dt <= tmax)
        if len(pk) == 0:
            continue
        tb = np.searchsorted(tedges, dt[pk, pair], side="left")
        counts += np.bincount(pk * cells + bc[pair] + tb, minlength=P * cells)
    counts = counts.reshape(P, D, T).astype(float)
    return counts[0], counts[1:]


def knox(x, y, t, distance_bands, time_bands, permutations: int = 99,
         seed: int | None = 0, rng=None, units: tuple[str, str] = ("m", "days")) -> KnoxResult:
    """Knox table for events at (x, y) with times t (numbers: e.g. days since an epoch).

    ``distance_bands`` / ``time_bands`` are increasing upper edges. Dates are permuted over
    events ``permutations`` times (``rng`` may be a NumPy Generator or RandomState; by default
    one seeded with ``seed``)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    t = np.asarray(t, float).ravel()
    if not (len(x) == len(y) == len(t)):
        raise ValueError("x, y and t must have the same length")
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(t)
    x, y, t = x[ok], y[ok], t[ok]
    dedges = np.asarray(distance_bands, float)
    tedges = np.asarray(time_bands, float)
    if np.any(np.diff(dedges) <= 0) or np.any(np.diff(tedges) <= 0) or dedges[0] < 0:
        raise ValueError("bands must be increasing upper edges >= 0")
    D, T = len(dedges), len(tedges)
    i, j, d = close_pairs(x, y, dedges[-1])
    if rng is None:
        rng = np.random.default_rng(seed)
    observed, sims = _band_counts(i, j, _band(d, dedges), t, tedges, D, permutations, rng)
    observed = observed.astype(np.int64)
    n = len(t)
    expected = sims.mean(axis=0) if permutations else np.full((D, T), np.nan)
    larger = (sims >= observed[None]).sum(axis=0)
    p = (larger + 1.0) / (permutations + 1.0)
    sd = sims.std(axis=0) if permutations else np.full((D, T), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd > 0, (observed - expected) / sd, 0.0)
    return KnoxResult(dedges, tedges, observed, expected, p, z, permutations, n, seed, units)


def knox_global(x, y, t, delta: float, tau: float, permutations: int = 99, rng=None,
                seed: int | None = 0) -> dict:
    """The single-threshold Knox test (pairs within ``delta`` in space and ``tau`` in time),
    returning the 2x2 observed/expected tables the way pointpats.Knox does."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    t = np.asarray(t, float).ravel()
    n = len(t)
    i, j, _ = close_pairs(x, y, delta)
    ns = len(i)
    order = np.sort(t)
    # temporal pairs within tau: for each event, events after it within tau (sorted times)
    nt = int((np.searchsorted(order, order + tau, side="right") - np.arange(n) - 1).sum())
    nst = int((np.abs(t[i] - t[j]) <= tau).sum())
    pairs = n * (n - 1) / 2
    enst = ns * nt / pairs
    observed = np.array([[nst, ns - nst], [nt - nst, pairs - ns - nt + nst]], float)
    expected = np.array([[enst, ns - enst], [nt - enst, 0.0]])
    expected[1, 1] = pairs - expected.sum()
    if rng is None:
        rng = np.random.default_rng(seed)
    obs, sim = _band_counts(i, j, np.zeros(len(i), np.int64), t, np.array([float(tau)]), 1,
                            permutations, rng)
    sims = sim[:, 0, 0].astype(np.int64)
    p_sim = (int((sims >= nst).sum()) + 1) / (permutations + 1)
    return {"nst": nst, "ns": ns, "nt": nt, "observed": observed, "expected": expected,
            "p_sim": p_sim, "sims": sims}
