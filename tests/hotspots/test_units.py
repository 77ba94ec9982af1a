"""Units: grid ids and extents, H3 hexagons, LSOAs, snap points, and distance-band weights."""

from __future__ import annotations

import h3
import numpy as np
import pytest

from vru.analysis.hotspots import units as un
from vru.geo.bng import to_bng, to_lonlat
from vru.geo.grid import cell_id


def test_grid_ids_match_the_project_cell_ids_and_origin():
    e = np.array([505_010.0, 505_160.0, 505_160.0])
    n = np.array([225_010.0, 225_010.0, 225_299.0])
    u = un.grid_units(e, n, 150, origin_e=50, origin_n=0)
    assert list(u.ids) == [cell_id(504_950, 225_000, 150), cell_id(505_100, 225_000, 150),
                           cell_id(505_100, 225_150, 150)]
    assert u.assign(e, n).tolist() == [0, 1, 2]
    assert u.assign([np.nan, 1.0], [1.0, 1.0]).tolist() == [-1, -1]
    assert np.allclose(u.area_m2, 150 * 150)


def test_grid_extents():
    e = np.array([0.0, 1000.0])
    n = np.array([0.0, 0.0])
    assert len(un.grid_units(e, n, 100, extent="events")) == 2
    assert len(un.grid_units(e, n, 100, extent="buffer", pad=1)) == 2 * 9
    assert len(un.grid_units(e, n, 100, extent="bbox", pad=0)) == 11
    with pytest.raises(ValueError, match="stray"):
        un.grid_units(np.array([0.0, 600_000.0]), np.array([0.0, 900_000.0]), 50,
                      extent="bbox")


def test_hex_units_follow_h3():
    rng = np.random.default_rng(0)
    e, n = rng.uniform(500_000, 503_000, 200), rng.uniform(220_000, 223_000, 200)
    u = un.hex_units(e, n, resolution=9)
    lon, lat = to_lonlat(e, n)
    want = [h3.latlng_to_cell(a, b, 9) for a, b in zip(lat, lon, strict=True)]
    assert list(u.ids[u.assign(e, n)]) == want
    # each hexagon's area equals its boundary's area on the British National Grid (shoelace)
    for cid, area in zip(u.ids[:5], u.area_m2[:5], strict=True):
        ring = np.array(h3.cell_to_boundary(cid))
        bx, by = to_bng(ring[:, 1], ring[:, 0])
        shoelace = 0.5 * abs(np.dot(bx, np.roll(by, -1)) - np.dot(by, np.roll(bx, -1)))
        assert area == pytest.approx(shoelace, rel=0.01)


def test_lsoa_and_snap_units():
    codes = ["E01000002", "E01000001", None, "E01000002"]
    e = np.array([1.0, 3.0, 5.0, 3.0])
    n = np.array([0.0, 0.0, 0.0, 2.0])
    u = un.lsoa_units(codes, e, n)
    assert list(u.ids) == ["E01000001", "E01000002"]
    assert u.x.tolist() == [3.0, 2.0] and not u.has_area
    assert u.assign(e, n, codes).tolist() == [1, 0, -1, 1]
    s = un.snap_units([10.2, 10.4, 20.0], [5.0, 5.0, 5.0])
    assert len(s) == 2
    assert s.assign([10.2, 20.0, 30.0], [5.0, 5.0, 5.0]).tolist() == [0, 1, -1]


def test_distance_band_weights_equal_brute_force():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 1000, 150), rng.uniform(0, 1000, 150)
    w = un.distance_band_weights(x, y, 120).toarray()
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    assert np.array_equal(w, (d <= 120).astype(float))
    w0 = un.distance_band_weights(x, y, 120, star=False).toarray()
    assert np.all(np.diag(w0) == 0)
