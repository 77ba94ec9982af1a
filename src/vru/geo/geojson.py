"""The one GeoJSON builder: features, collections, points, and grid cells as WGS84 polygons.

GeoJSON (RFC 7946) is longitude/latitude; vru computes on the British National Grid, so cells
are turned into lon/lat rings here (``cell_rings``). Used by the web map layers, the hot-spot
map and the patrol-plan exports, so every map speaks the same GeoJSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from vru.geo.bng import to_lonlat


def feature(geometry: dict, properties: dict) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def collection(features: Iterable[dict], **members: Any) -> dict:
    """A FeatureCollection; ``members`` (e.g. ``meta``, ``properties``) are added as given."""
    return {"type": "FeatureCollection", "features": list(features), **members}


def point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


def polygon(ring: Sequence) -> dict:
    """A polygon of one closed ring."""
    return {"type": "Polygon", "coordinates": [ring]}


def cell_rings(ce: np.ndarray, cn: np.ndarray, size: float) -> list:
    """Closed lon/lat rings (5 corners, 5 decimals ~ 1 m) of square BNG cells whose lower-left
    corners are (ce, cn), vectorised."""
    ce, cn = np.asarray(ce, float), np.asarray(cn, float)
    if len(ce) == 0:
        return []
    corners_e = np.stack([ce, ce + size, ce + size, ce, ce], axis=1)
    corners_n = np.stack([cn, cn, cn + size, cn + size, cn], axis=1)
    lon, lat = to_lonlat(corners_e.ravel(), corners_n.ravel())
    xy = np.stack([np.round(lon, 5), np.round(lat, 5)], axis=1).reshape(len(ce), 5, 2)
    return xy.tolist()


def cell_features(ce: np.ndarray, cn: np.ndarray, size: float,
                  properties: Sequence[dict]) -> list[dict]:
    """One polygon feature per cell (lower-left corners ce, cn), with its properties."""
    return [feature(polygon(ring), p)
            for ring, p in zip(cell_rings(ce, cn, size), properties, strict=True)]
