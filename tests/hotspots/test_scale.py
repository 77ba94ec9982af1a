"""The scale of a hot-spot map: Moran's I by distance against esda, the band-picking rule, and
the study areas."""

from __future__ import annotations

import numpy as np
import pytest
from esda.moran import Moran
from libpysal.weights import DistanceBand

from vru.analysis.hotspots import scale, units


def test_morans_i_by_distance_equals_esda_under_randomisation():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 3000, 800), rng.uniform(0, 3000, 800)
    u = units.grid_units(x, y, 150, extent="bbox", pad=0)
    v = rng.poisson(1, len(u)).astype(float)
    v[:40] += 5
    curve = scale.morans_i_by_distance(v, u.x, u.y, [150, 225, 300])
    for d, i_, z_ in zip(curve.distances, curve.I, curve.z, strict=True):
        w = DistanceBand(np.column_stack([u.x, u.y]), threshold=d * 1.0000001, binary=True,
                         silence_warnings=True)
        ref = Moran(v, w, transformation="B", permutations=0)
        assert i_ == pytest.approx(ref.I, rel=1e-9)
        assert z_ == pytest.approx(ref.z_rand, rel=1e-9)
        assert curve.expected == pytest.approx(ref.EI)


def test_pick_distance_first_peak_then_highest_i_then_default():
    d = [150, 225, 300, 375]
    # a significant first peak of z at 225 m
    assert scale.pick_distance(d, [0.5, 0.4, 0.3, 0.2], [5, 9, 7, 8], 225) == (225, "first peak")
    # z only rises: the band of the highest Moran's I
    got = scale.pick_distance(d, [0.3, 0.5, 0.4, 0.2], [5, 6, 7, 8], 225)
    assert got == (225, "no peak of z: highest Moran's I")
    got = scale.pick_distance(d, [0.7, 0.6, 0.5, 0.4], [5, 6, 7, 8], 999)
    assert got[0] == 150
    # nothing significant: the default
    assert scale.pick_distance(d, [0.1] * 4, [0.5, 1.0, 1.2, 1.5], 999)[0] == 999


def test_study_areas():
    x = np.array([75.0, 75.0, 2075.0])
    y = np.array([75.0, 225.0, 75.0])
    fx, fy = np.array([75.0, 375.0]), np.array([375.0, 75.0])  # crime of other kinds
    built = scale.study_area(x, y, 150, kind="built-up", footprint=(fx, fy))
    assert len(built.units) == 5 and built.cells_with_events == 3
    assert len(scale.study_area(x, y, 150, kind="events").units) == 3
    near = scale.study_area(x, y, 150, kind="near-events", reach_cells=1)
    assert len(near.units) == 12 + 9
    with pytest.raises(ValueError, match="footprint"):
        scale.study_area(x, y, 150, kind="built-up")


@pytest.mark.parametrize("n", [0, 1, 3])
def test_too_few_places_for_morans_i_take_the_default_band_and_say_so(n):
    x = np.arange(n, dtype=float) * 250.0
    choice = scale.choose_distance(np.ones(n), x, np.zeros(n), 250.0)
    assert choice.distance == 375.0
    assert f"{n} places" in choice.method
    assert np.isnan(choice.curve.z).all()
    with pytest.raises(ValueError, match="at least 4 places"):
        scale.morans_i_by_distance(np.ones(n), x, np.zeros(n), [250.0])
