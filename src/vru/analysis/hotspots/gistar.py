"""Getis-Ord Gi* (Ord and Getis 1995) with analytic z, p values by the normal approximation or
from the values' own distribution, Benjamini-Hochberg false discovery rate correction, and
ArcGIS-style Gi_Bin classes (+-3/2/1 = 99/95/90% confidence).

The z is written here rather than taken from esda.G_Local because we run it on many time steps
at once (one sparse product for an n x T matrix). For binary weights it equals esda's
``G_Local(star=True, transform='B').Zs``; the tests check that to 1e-6.

Two ways to turn a place's local sum into a p value (``inference``):

- ``normal``: the two-sided normal p of z, as ArcGIS reports it. Getis and Ord derived the
  mean and variance of Gi* with the values assigned to places at random; the normal shape is an
  approximation that needs many neighbours. Crime counts on small cells are strongly skewed
  (most cells 0 or 1, a few 20+), and at patrol scale a cell has few neighbours, so the normal
  tail is far too thin: one cell with 10 crimes where the mean is 1.4 gets z = 3.9 (p = 1e-4)
  although 1 cell in 80 holds 10 or more. ArcGIS's guidance asks for about eight neighbours per
  feature when values are skewed; patrol-scale cells cannot have them.
- ``empirical`` (the default of patrol-scale Gi* maps): the same null (values at random
  places), without the normal shape: the p of the local sum of a place with K cells in its
  neighbourhood is its tail probability among sums of K values drawn at random from the observed
  values, computed exactly by convolution (``empirical_p``). A lone high value is then only as
  rare as its rank, and a hot spot needs high values side by side. esda's permutation p
  (``p_sim``) is a different, conditional null (each place keeps its own value) that flags
  more, and its per-place permutations cannot reach FDR-significant p on large grids.

The FDR adjustment is ``scipy.stats.false_discovery_control`` (Benjamini-Hochberg), the
correction ArcGIS's Optimized Hot Spot Analysis applies by default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft, sparse, special, stats

CONFIDENCE_LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))
INFERENCES = ("empirical", "normal")
LATTICE_LEVELS = 4096
P_FLOOR = 1e-12


@dataclass
class GiStarResult:
    z: np.ndarray            # (n,) or (n, T)
    p: np.ndarray            # two-sided normal p
    p_fdr: np.ndarray        # Benjamini-Hochberg adjusted p (per column)
    bin: np.ndarray          # -3..3 (FDR-adjusted when fdr=True)
    fdr: bool
    params: dict


def gi_star_z(y, w: sparse.spmatrix) -> np.ndarray:
    """z-scores of Gi* for each unit (rows of ``w``, which must include the diagonal) and each
    column of ``y`` (n,) or (n, T).

    z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n S1_i - W_i^2) / (n - 1))),
    W_i = sum_j w_ij, S1_i = sum_j w_ij^2, xbar and S the mean and (population) sd of x.
    A column with no variation gives z = 0."""
    y = np.asarray(y, float)
    one = y.ndim == 1
    Y = y[:, None] if one else y
    n = Y.shape[0]
    if n < 3:
        raise ValueError(f"Gi* needs at least 3 places to compare; there are {n}")
    w = sparse.csr_matrix(w)
    if w.shape != (n, n):
        raise ValueError(f"weights are {w.shape}, values have {n} rows")
    wi = np.asarray(w.sum(axis=1)).ravel()
    s1 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    xbar = Y.mean(axis=0)
    s = np.sqrt(np.maximum((Y**2).mean(axis=0) - xbar**2, 0.0))
    num = w @ Y - np.outer(wi, xbar)
    den_w = np.sqrt(np.maximum((n * s1 - wi**2) / (n - 1), 0.0))
    den = np.outer(den_w, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(den > 0, num / den, 0.0)
    return z[:, 0] if one else z


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p values along axis 0 (each column separately), by
    ``scipy.stats.false_discovery_control`` (the tests compare with statsmodels)."""
    p = np.asarray(p, float)
    if p.shape[0] == 0:
        return p
    return stats.false_discovery_control(p, axis=0, method="bh")


def two_sided_p(z: np.ndarray) -> np.ndarray:
    """2 x (1 - Phi(|z|)) via the complementary error function (fast and exact in the tails)."""
    return special.erfc(np.abs(z) / np.sqrt(2.0))


def gi_bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """+-3 where p <= 0.01, +-2 where p <= 0.05, +-1 where p <= 0.10 (sign of z), else 0."""
    out = np.zeros(np.shape(z), dtype=np.int8)
    sign = np.sign(z).astype(np.int8)
    for level, alpha in reversed(CONFIDENCE_LEVELS):
        out = np.where(p <= alpha, sign * level, out)
    return out.astype(np.int8)


def empirical_p(y, w: sparse.spmatrix) -> np.ndarray:
    """Two-sided p of each place's local sum ``sum_j w_ij y_j`` (binary ``w`` incl. the
    diagonal) under the empirical null: the sum of K values drawn at random from the observed
    values (K = the place's neighbourhood size). The null distribution of a sum of K draws is
    the K-fold convolution of the values' distribution, computed exactly (by FFT) on the
    values' lattice: integers for counts; other values are put on a lattice of
    ``LATTICE_LEVELS`` steps first (stated in the result's params). Draws are with replacement,
    whose tails are slightly heavier than the permutation null's (variance larger by
    (n - 1) / (n - K)), so the p values err on the conservative side. Each tail is floored at
    ``P_FLOOR`` (FFT rounding). ``y`` (n,) or (n, T), one column at a time. Written here (see
    the module docstring): no library gives this null for every neighbourhood size at once."""
    w = sparse.csr_matrix(w)
    if w.nnz and not np.all(w.data == 1):
        raise ValueError("empirical p values need binary weights (a distance band)")
    y = np.asarray(y, float)
    one = y.ndim == 1
    Y = y[:, None] if one else y
    sizes = np.diff(w.indptr)
    out = np.ones(Y.shape)
    for col in range(Y.shape[1]):
        lat, _ = lattice(Y[:, col])
        out[:, col] = _column_p(lat, w @ lat, sizes)
    return out[:, 0] if one else out


def lattice(v: np.ndarray) -> tuple[np.ndarray, float]:
    """``v`` as non-negative integers on a lattice (value = lattice x step + min): exact when
    the values are integers spanning at most ``LATTICE_LEVELS``, else rounded to that many
    steps. Returns (integers, step)."""
    v = np.asarray(v, float)
    lo = float(v.min()) if len(v) else 0.0
    span = float(v.max() - lo) if len(v) else 0.0
    shifted = v - lo
    if np.allclose(shifted, np.round(shifted)) and span <= LATTICE_LEVELS:
        return np.round(shifted).astype(np.int64), 1.0
    step = span / LATTICE_LEVELS if span > 0 else 1.0
    return np.round(shifted / step).astype(np.int64), step


def _column_p(lat: np.ndarray, sums: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    n = len(lat)
    p = np.ones(n)
    ks = [int(k) for k in np.unique(sizes) if k > 0]
    if not ks or n == 0:
        return p
    pmf = np.bincount(lat) / n
    obs = np.round(sums).astype(np.int64)
    for k in ks:
        size = k * (len(pmf) - 1) + 1
        nfft = fft.next_fast_len(size, real=True)
        dist = np.clip(fft.irfft(fft.rfft(pmf, nfft) ** k, nfft)[:size], 0.0, None)
        dist /= dist.sum()
        upper = np.cumsum(dist[::-1])[::-1]          # P(S >= s)
        lower = np.cumsum(dist)                       # P(S <= s)
        rows = np.flatnonzero(sizes == k)
        o = np.clip(obs[rows], 0, len(dist) - 1)
        tail = np.maximum(np.minimum(upper[o], lower[o]), P_FLOOR)
        p[rows] = np.minimum(1.0, 2.0 * tail)
    return p


def gi_star(y, w: sparse.spmatrix, fdr: bool = True, inference: str = "normal") -> GiStarResult:
    """Gi* z, two-sided p (``inference``: ``normal`` or ``empirical``, see the module
    docstring), FDR-adjusted p and Gi_Bin for ``y`` over units with weights ``w``."""
    if inference not in INFERENCES:
        raise ValueError(f"inference must be one of {', '.join(INFERENCES)}")
    z = gi_star_z(y, w)
    if inference == "normal":
        p = two_sided_p(z)
        how = "two-sided normal"
    else:
        p = empirical_p(y, w)
        _, step = lattice(np.ravel(y))
        how = ("two-sided, empirical null: sums of K values drawn from the observed values, "
               "exact by convolution" + ("" if step == 1.0 else f" on a lattice of {step:g}"))
    p_adj = bh_adjust(p) if fdr else p
    return GiStarResult(z=z, p=p, p_fdr=p_adj, bin=gi_bins(z, p_adj), fdr=fdr,
                        params={"fdr": fdr, "inference": inference, "test": how,
                                "weights": "binary fixed distance incl. self (Gi*)"})


def significance_label(params: dict) -> str:
    """How the map's confidence levels were reached, for legends: 'FDR-corrected (Benjamini-
    Hochberg), p from the values' own distribution' and the like."""
    fdr = "FDR-corrected (Benjamini-Hochberg)" if params.get("fdr") else "no FDR correction"
    how = {"empirical": "p from the values' own distribution", "normal": "normal p"}.get(
        params.get("inference", "normal"), "")
    return f"{fdr}, {how}"
