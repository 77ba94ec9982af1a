"""Kernel density surfaces evaluated at unit centroids.

Events within ``bandwidth`` metres of a centroid contribute kernel(d / bandwidth) x weight. The
quartic (biweight) kernel is what CrimeStat and ArcGIS's Kernel Density use; Gaussian is
truncated at 3 bandwidths. Values are per square kilometre.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

KERNELS = ("quartic", "gaussian", "uniform")


def kde_at(ux, uy, ex, ey, bandwidth: float, weights=None, kernel: str = "quartic") -> np.ndarray:
    """Density (weight per km^2) at each unit centroid (ux, uy) from events (ex, ey)."""
    if bandwidth <= 0:
        raise ValueError("bandwidth must be positive (metres)")
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {', '.join(KERNELS)}")
    ex = np.asarray(ex, float)
    ey = np.asarray(ey, float)
    w = np.ones(len(ex)) if weights is None else np.asarray(weights, float)
    ok = np.isfinite(ex) & np.isfinite(ey)
    ex, ey, w = ex[ok], ey[ok], w[ok]
    units = np.column_stack([np.asarray(ux, float), np.asarray(uy, float)])
    out = np.zeros(len(units))
    if len(ex) == 0 or len(units) == 0:
        return out
    reach = bandwidth * (3.0 if kernel == "gaussian" else 1.0)
    d = cKDTree(units).sparse_distance_matrix(
        cKDTree(np.column_stack([ex, ey])), reach, output_type="ndarray")
    u = d["v"] / bandwidth
    if kernel == "quartic":
        k = 3.0 / np.pi * (1 - u**2) ** 2
    elif kernel == "gaussian":
        k = np.exp(-0.5 * u**2) / (2 * np.pi)
    else:
        k = np.full_like(u, 1.0 / np.pi)
    out = np.bincount(d["i"], weights=k * w[d["j"]], minlength=len(units)).astype(float)
    return out / (bandwidth**2) * 1e6
