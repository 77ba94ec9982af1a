"""The one GeoJSON builder, checked against the RFC 7946 shapes and pyproj (independent)."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer

from vru.geo import geojson


def test_cells_are_closed_wgs84_rings_of_the_bng_square():
    to_wgs = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    feats = geojson.cell_features(np.array([530_000.0]), np.array([180_000.0]), 250, [{"id": 1}])
    (f,) = feats
    assert f["type"] == "Feature" and f["properties"] == {"id": 1}
    ring = f["geometry"]["coordinates"][0]
    assert f["geometry"]["type"] == "Polygon" and len(ring) == 5 and ring[0] == ring[-1]
    corners = [(530_000, 180_000), (530_250, 180_000), (530_250, 180_250), (530_000, 180_250)]
    for (e, n), (lon, lat) in zip(corners, ring[:4], strict=True):
        want = to_wgs.transform(e, n)
        assert (lon, lat) == pytest.approx(want, abs=1e-5)
    assert geojson.cell_rings(np.array([]), np.array([]), 250) == []


def test_collection_and_points():
    fc = geojson.collection([geojson.feature(geojson.point(-0.46, 52.13), {"a": 1})],
                            meta={"layer": "x"})
    assert fc == {"type": "FeatureCollection", "meta": {"layer": "x"}, "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-0.46, 52.13]},
         "properties": {"a": 1}}]}
