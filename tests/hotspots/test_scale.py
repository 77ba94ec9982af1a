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


def test_pick_distance_first_peak_within_reach_then_highest_i_then_default():
    d = [150, 225, 300, 375]
    # a significant first peak of z at 225 m (z >= 1.65, ArcGIS's peak threshold)
    assert scale.pick_distance(d, [0.5, 0.4, 0.3, 0.2], [5, 9, 7, 8], 225) == (225,
                                                                               "first peak of z")
    assert scale.pick_distance(d, [0.5, 0.4, 0.3, 0.2], [1, 1.7, 1.2, 1.0], 999)[0] == 225
    # the first peak is out of reach: the highest Moran's I among the bands within reach
    got = scale.pick_distance(d, [0.5, 0.6, 0.4, 0.2], [5, 6, 9, 8], 999,
                              in_reach=[True, True, False, False])
    assert got == (225, "first peak of z at 300 m is out of reach: highest Moran's I within "
                        "reach")
    # z only rises: the band of the highest Moran's I
    got = scale.pick_distance(d, [0.3, 0.5, 0.4, 0.2], [5, 6, 7, 8], 225)
    assert got == (225, "no peak of z: highest Moran's I within reach")
    got = scale.pick_distance(d, [0.7, 0.6, 0.5, 0.4], [5, 6, 7, 8], 999)
    assert got[0] == 150
    # nothing significant: the default
    assert scale.pick_distance(d, [0.1] * 4, [0.5, 1.0, 1.2, 1.5], 999)[0] == 999


def _planted_discs(radius: float, seed: int, cell: float = 100.0, side: float = 8000.0,
                   discs: int = 12):
    """A grid of ``cell`` m cells with Poisson counts: background 0.3 per cell, and 3.3 inside
    ``discs`` discs of ``radius`` metres (the known clustering scale)."""
    rng = np.random.default_rng(seed)
    xs = np.arange(cell / 2, side, cell)
    x, y = (a.ravel() for a in np.meshgrid(xs, xs))
    lam = np.full(len(x), 0.3)
    for cx, cy in rng.uniform(1000, side - 1000, (discs, 2)):
        lam[np.hypot(x - cx, y - cy) <= radius] += 3.0
    return x, y, rng.poisson(lam).astype(float)


@pytest.mark.parametrize("radius", [150.0, 200.0, 300.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_band_recovers_the_planted_clustering_scale(radius, seed):
    # independent reference: the radius of the planted clusters. The first peak of z(Moran's I)
    # lies between the radius and one and a half radii (plus a cell for the grid's rings).
    x, y, v = _planted_discs(radius, seed)
    choice = scale.choose_distance(v, x, y, 100.0)
    assert choice.method == "first peak of z"
    assert radius <= choice.distance <= 1.5 * radius + 100.0, choice.describe()


def test_clusters_larger_than_patrol_reach_keep_the_band_within_reach():
    # discs of 800 m: z still rises at 500 m, so no band beyond the reach is taken; within reach
    # the most intense clustering (highest Moran's I) is the band
    x, y, v = _planted_discs(800.0, 0)
    choice = scale.choose_distance(v, x, y, 100.0)
    assert choice.distance <= scale.PATROL_REACH_M
    assert "highest Moran's I within reach" in choice.method
    recs = choice.records()
    assert recs[-1]["distance_m"] > scale.PATROL_REACH_M and not recs[-1]["within_reach"]
    within = [r for r in recs if r["within_reach"]]
    best = max(within, key=lambda r: r["morans_i"])
    assert best["distance_m"] == choice.distance
    # with a longer reach the curve shows the unconstrained first peak of z, at the clusters'
    # scale (beyond 800 m), out of reach of a patrol and of the 5%-of-the-area neighbourhood
    wide = scale.choose_distance(v, x, y, 100.0, reach=2000.0)
    z = [r["z"] for r in wide.records()]
    first = next(k for k in range(1, len(z) - 1) if z[k - 1] < z[k] > z[k + 1])
    assert wide.records()[first]["distance_m"] >= 800.0
    assert f"first peak of z at {wide.records()[first]['distance_m']:g} m is out of reach" \
        in wide.method


def test_small_study_area_neighbourhood_is_a_small_share_of_it():
    # 120 cells in a strip with a town-scale gradient: only bands whose median cell has at
    # most 5% of the cells (6) as neighbours are within reach
    x = np.tile(np.arange(40) * 100.0 + 50, 3)
    y = np.repeat(np.arange(3) * 100.0 + 50, 40)
    v = np.round(np.linspace(0, 12, 40))[np.arange(120) % 40] + (np.arange(120) % 7 == 0)
    choice = scale.choose_distance(v, x, y, 100.0)
    assert choice.max_neighbours == 6
    med = dict(zip(choice.curve.distances, choice.curve.median_neighbours, strict=True))
    assert med[choice.distance] <= 6
    assert all(not r["within_reach"] for r in choice.records() if r["median_neighbours"] > 6)


def test_candidate_bands_pass_the_reach_on_fine_grids():
    d = scale.candidate_distances(25.0, reach=500.0)
    assert d[0] == 25.0 and np.allclose(np.diff(d), 12.5)
    assert d[-2] <= 500.0 < d[-1]
    assert len(scale.candidate_distances(250.0, reach=500.0)) == scale.DEFAULT_BANDS


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


def _towns_with_micro_spots(seed: int, cell: float = 100.0, side: float = 12000.0):
    """Three towns (Gaussian bumps of 900 m, the town-scale structure police data has) on a thin
    background, with 10 planted micro-places: discs of 150 m with 4 more events per cell. The
    study area is the cells with an event (built-up). Returns x, y, values, planted mask."""
    rng = np.random.default_rng(seed)
    xs = np.arange(cell / 2, side, cell)
    x, y = (a.ravel() for a in np.meshgrid(xs, xs))
    lam = np.full(len(x), 0.05)
    for cx, cy in rng.uniform(2500, side - 2500, (3, 2)):
        lam += 1.5 * np.exp(-0.5 * (np.hypot(x - cx, y - cy) / 900.0) ** 2)
    centres = rng.choice(np.flatnonzero(lam > 0.5), 10, replace=False)
    near = np.hypot(x[:, None] - x[centres], y[:, None] - y[centres]).min(axis=1) <= 150.0
    lam[near] += 4.0
    v = rng.poisson(lam).astype(float)
    keep = v > 0
    return x[keep], y[keep], v[keep], near[keep]


@pytest.mark.parametrize("seed", [0, 1])
def test_micro_places_among_towns_get_a_micro_place_band_and_are_flagged(seed):
    from vru.analysis.hotspots import gistar as gi

    x, y, v, planted = _towns_with_micro_spots(seed)
    choice = scale.choose_distance(v, x, y, 100.0)
    # the planted scale (150 m discs), not the towns'
    assert choice.method == "first peak of z" and 150.0 <= choice.distance <= 325.0

    def hot_at(band):
        return gi.gi_star(v, units.distance_band_weights(x, y, band), inference="empirical").bin > 0

    hot = hot_at(choice.distance)
    assert hot[planted].mean() >= 0.9
    assert 100.0 * hot[~planted].sum() / len(v) < 5.0
    # at town scale Gi* marks a quarter of the area or more
    assert 100.0 * hot_at(1000.0).mean() > 25.0
