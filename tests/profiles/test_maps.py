"""Offline maps: classes match their labels, suppressed areas get their own class, SVG is valid."""

from __future__ import annotations

import json
import re

import numpy as np
from lxml import etree

from vru.geo.bng import to_lonlat
from vru.reports import maps


def test_classes_agree_with_their_labels():
    values = [0, "*", 10, 10, 15, 20, 25, 40, 45, "*", 0, 30]
    cls, classes = maps.class_values(values, "*")
    assert classes[0].label == "None" and classes[1].label == "Suppressed"
    for v, c in zip(values, cls, strict=True):
        if v == 0:
            assert c == 0
        elif v == "*":
            assert c == 1
        else:
            label = classes[c].label
            nums = [float(x) for x in re.findall(r"[\d.]+", label.replace(",", ""))]
            lo, hi = nums[0], nums[-1]
            assert (lo < v <= hi) if label.startswith("over") else (lo <= v <= hi), (v, label)


def test_without_suppression_there_is_no_suppressed_class():
    cls, classes = maps.class_values([0, 3, 5, 9], None)
    assert [c.label for c in classes][0] == "None"
    assert "Suppressed" not in [c.label for c in classes]
    assert cls[0] == 0 and min(cls[1:]) >= 1


def test_geojson_shapes_render_as_valid_svg_in_bng_proportions():
    # Two 1 km squares side by side, as lon/lat polygons.
    geoms = []
    for e0 in (500_000, 501_000):
        lon, lat = to_lonlat(np.array([e0, e0 + 1000, e0 + 1000, e0, e0], float),
                             np.array([200_000, 200_000, 201_000, 201_000, 200_000], float))
        geoms.append(json.dumps({"type": "Polygon", "coordinates": [
            [[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]]}))
    cls, classes = maps.class_values([5, 10], None)
    shapes = maps.shapes_from_geojson(geoms, cls, ["A", "B"])
    ring = shapes[0].rings[0]
    assert abs(np.ptp(ring[:, 0]) - 1000) < 2 and abs(np.ptp(ring[:, 1]) - 1000) < 2
    svg = maps.render_svg(shapes, classes, "Test", "Offences")
    root = etree.fromstring(svg.encode())
    paths = root.findall("{http://www.w3.org/2000/svg}path")
    assert len(paths) == 2
    assert {p.get("fill") for p in paths} == {classes[c].colour for c in cls}


def test_grid_cells_map():
    cls, classes = maps.class_values([1, 2, 3], None)
    shapes = maps.shapes_from_cells([0, 150, 300], [0, 0, 150], 150, cls)
    svg = maps.render_svg(shapes, classes, "Grid", "Offences")
    root = etree.fromstring(svg.encode())
    assert len(root.findall("{http://www.w3.org/2000/svg}path")) == 3
    assert "no mapped locations" in maps.render_svg([], classes, "Empty", "Offences")
