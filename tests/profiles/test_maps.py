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


def _square(e: float, n: float, side: float) -> np.ndarray:
    return np.array([[e, n], [e + side, n], [e + side, n + side], [e, n + side]])


def test_main_town_inset_frames_the_cluster_of_small_areas():
    # A 20 km district of 2 km squares with a planted town of 200 m squares near its middle.
    shapes = [maps.Shape([_square(500_000 + 2000 * i, 200_000 + 2000 * j, 2000)], 2)
              for i in range(10) for j in range(10) if not (4 <= i <= 5 and 4 <= j <= 5)]
    town = [maps.Shape([_square(508_000 + 200 * i, 208_000 + 200 * j, 200)], 3)
            for i in range(10) for j in range(10)]
    box = maps.town_box(shapes + town)
    assert box is not None
    x0, y0, x1, y1 = box
    # The box holds the town (centre 509,000 / 209,000) and is far smaller than the district.
    assert x0 < 509_000 < x1 and y0 < 209_000 < y1
    assert 1_000 < x1 - x0 < 20_000 / 3
    _, classes = maps.class_values([0, "*", 10, 20, 30], "*")
    svg = maps.render_svg(shapes + town, classes, "Rates", "Per 1,000", inset=box,
                          inset_title="Main town")
    root = etree.fromstring(svg.encode())
    assert root.find(".//{http://www.w3.org/2000/svg}clipPath") is not None
    assert "Main town" in svg and 'stroke-dasharray="3,2"' in svg
    # Without a town (all areas alike) there is no inset.
    assert maps.town_box(shapes) is None


def test_suppressed_areas_are_neutral_grey_not_a_scale_colour():
    _, classes = maps.class_values([0, "*", 10, 20, 30, 40], "*")
    supp = next(c for c in classes if c.label == "Suppressed")
    r, g, b = (int(supp.colour[i:i + 2], 16) for i in (1, 3, 5))
    assert r == g == b  # grey
    assert supp.colour not in maps.PALETTE and supp.colour != maps.ZERO


def test_profile_map_shows_rates_with_labels(toy_docs):
    doc, _ = toy_docs[False]
    m = next(x for x in doc.maps() if x.id == "m_lsoa")
    assert "rate per 1,000 residents" in m.title and "Per 1,000 residents" in m.svg
    assert m.svg.count('paint-order="stroke"') >= 1  # place labels
