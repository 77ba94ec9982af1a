"""Outlines for the web basemap: LSOA boundaries merged into local authority and force
outlines, and a label point inside each. Pure (GeoJSON geometry dicts in and out); the union
is shapely's (GEOS), not hand-written polygon code."""

from __future__ import annotations

from collections.abc import Iterable

from shapely import make_valid, union_all
from shapely.geometry import mapping, shape

# About 5 m at English latitudes: enough to drop the slivers between neighbouring LSOAs'
# separately rounded edges without visibly moving an outline.
_SNAP_DEG = 0.00005


def merge(groups: dict[str, Iterable[dict]], simplify_deg: float = 0.0001) -> dict[str, dict]:
    """key -> GeoJSON geometry of the union of the key's geometries (simplified)."""
    out: dict[str, dict] = {}
    for key, geoms in groups.items():
        shapes = [make_valid(shape(g)).buffer(_SNAP_DEG) for g in geoms]
        if not shapes:
            continue
        u = union_all(shapes).buffer(-_SNAP_DEG)
        if simplify_deg:
            u = u.simplify(simplify_deg, preserve_topology=True)
        if not u.is_empty:
            out[key] = mapping(u)
    return out


def label_point(geometry: dict) -> tuple[float, float]:
    """A point inside the geometry (lon, lat) for its label."""
    p = shape(geometry).representative_point()
    return float(p.x), float(p.y)
