"""WGS84 longitude/latitude <-> British National Grid (EPSG:27700) with pyproj.

Offline, pyproj has no OSTN15 grid and uses the Helmert fallback, 0.6-4 m from OSTN15. police.uk
points are snapped to anonymous map points, so this is far inside their error; we silence the
accuracy warning here, deliberately and only here.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
from pyproj import Transformer

# Great Britain, generously (lon/lat and BNG metres). Points outside are rejected on import.
GB_LON = (-8.75, 1.85)
GB_LAT = (49.8, 60.95)
GB_EASTING = (0.0, 700_000.0)
GB_NORTHING = (0.0, 1_300_000.0)


_local = threading.local()


def _transformer(inverse: bool) -> Transformer:
    # pyproj Transformers are not thread-safe (DuckDB calls UDFs from several threads): one each.
    cache = _local.__dict__.setdefault("transformers", {})
    if inverse not in cache:
        src, dst = ("EPSG:27700", "EPSG:4326") if inverse else ("EPSG:4326", "EPSG:27700")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cache[inverse] = Transformer.from_crs(src, dst, always_xy=True)
    return cache[inverse]


def _transform(inverse: bool, a, b) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, y = _transformer(inverse).transform(a, b)
    return np.asarray(x), np.asarray(y)


def to_bng(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised lon/lat (degrees) -> easting/northing (metres). NaN in gives NaN out."""
    e, n = _transform(False, lon, lat)
    return np.where(np.isfinite(e), e, np.nan), np.where(np.isfinite(n), n, np.nan)


def to_lonlat(easting, northing) -> tuple[np.ndarray, np.ndarray]:
    return _transform(True, easting, northing)


def in_gb(lon, lat) -> np.ndarray:
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    return (lon >= GB_LON[0]) & (lon <= GB_LON[1]) & (lat >= GB_LAT[0]) & (lat <= GB_LAT[1])
