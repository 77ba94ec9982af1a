"""The fictional force area: five local authorities, LSOA-like zones, population and deprivation.

Zones are the Voronoi cells of seed points drawn from a population-density surface (a city, four
towns and a rural spread), so urban zones are small and rural ones large, as real LSOAs are. The
cells are exact: the seeds are mirrored across the four sides of the bounding box, which makes
every original cell bounded and clipped to the box without a geometry library.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import Voronoi, cKDTree

from vru.synth.params import SynthParams

# Fictional codes in ranges ONS has not issued (E0199xxxx etc.), so they can never collide.
LSOA_CODE_BASE = 1990001
LAD_CODE_BASE = 6990001
CSP_CODE_BASE = 22990001
PFA_CODE = "E23990001"
N_ENGLAND_LSOA11 = 32844

# (name, relative x, relative y, population weight, sd as a share of the box width, is city)
LA_SEATS: tuple[tuple[str, float, float, float, float, bool], ...] = (
    ("Kingsmere", 0.45, 0.55, 0.42, 0.07, True),
    ("Harrowfield", 0.15, 0.75, 0.12, 0.035, False),
    ("Oxley Downs", 0.82, 0.78, 0.10, 0.035, False),
    ("Brackenmoor", 0.20, 0.18, 0.11, 0.035, False),
    ("Eastmarsh", 0.80, 0.22, 0.10, 0.035, False),
)
CITY_RADIUS_SHARE = 0.14   # the city LA: everything within this share of the box width


@dataclass
class World:
    zone_code: np.ndarray        # str, E0199xxxx
    zone_name: np.ndarray        # str, "<LA name> 001A"
    zone_lad: np.ndarray         # int index into lad_*
    seed_e: np.ndarray           # zone seed points (BNG)
    seed_n: np.ndarray
    centroid_e: np.ndarray
    centroid_n: np.ndarray
    area_m2: np.ndarray
    polygons: list[np.ndarray]   # per zone: (k, 2) BNG vertices, anticlockwise
    population: np.ndarray       # (zones, bands) in the first population year
    deprivation_z: np.ndarray    # latent deprivation, standardised (higher = more deprived)
    imd_rank: np.ndarray         # 1 = most deprived of England's 32,844 LSOAs
    imd_decile: np.ndarray
    centre_weight: np.ndarray    # 0..1: how much a zone is a town-centre zone
    lad_code: list[str]
    lad_name: list[str]
    csp_code: list[str]
    csp_name: list[str]
    seat_e: np.ndarray
    seat_n: np.ndarray
    tree: cKDTree                # nearest seed = zone of a point

    @property
    def n(self) -> int:
        return len(self.zone_code)

    def zone_of(self, e: np.ndarray, n: np.ndarray) -> np.ndarray:
        return self.tree.query(np.column_stack([e, n]))[1]

    def total_population(self) -> np.ndarray:
        return self.population.sum(axis=1)


def build_world(p: SynthParams) -> World:
    rng = np.random.default_rng([p.seed, 101])
    wp = p.world
    width, height = wp.max_e - wp.min_e, wp.max_n - wp.min_n
    seat_e = np.array([wp.min_e + s[1] * width for s in LA_SEATS])
    seat_n = np.array([wp.min_n + s[2] * height for s in LA_SEATS])

    # Zone seeds: each seed stands for ~equal population, so they follow population density.
    n = wp.n_zones
    weights = np.array([s[3] for s in LA_SEATS])
    weights = np.append(weights, wp.rural_share)
    comp = rng.choice(len(weights), size=n, p=weights / weights.sum())
    e = np.empty(n)
    nn = np.empty(n)
    for k, seat in enumerate(LA_SEATS):
        idx = np.flatnonzero(comp == k)
        sd = seat[4] * width
        e[idx] = rng.normal(seat_e[k], sd, idx.size)
        nn[idx] = rng.normal(seat_n[k], sd, idx.size)
    rural = np.flatnonzero(comp == len(LA_SEATS))
    e[rural] = rng.uniform(wp.min_e, wp.max_e, rural.size)
    nn[rural] = rng.uniform(wp.min_n, wp.max_n, rural.size)
    margin = 200.0
    e = np.clip(e, wp.min_e + margin, wp.max_e - margin)
    nn = np.clip(nn, wp.min_n + margin, wp.max_n - margin)
    e, nn = _separate(e, nn, rng, min_dist=60.0)

    polygons = _bounded_voronoi(e, nn, wp.min_e, wp.max_e, wp.min_n, wp.max_n)
    area = np.array([_area(poly) for poly in polygons])
    cen = np.array([_centroid(poly) for poly in polygons])

    # Local authorities: the city is a compact unitary; the rest go to the nearest town seat.
    d_city = np.hypot(e - seat_e[0], nn - seat_n[0])
    d_towns = np.column_stack([np.hypot(e - seat_e[k], nn - seat_n[k]) for k in range(1, 5)])
    lad = np.where(d_city <= CITY_RADIUS_SHARE * width, 0, 1 + d_towns.argmin(axis=1))

    # Town-centre weight: closeness to a seat relative to its spread.
    centre_w = np.zeros(n)
    for k, seat in enumerate(LA_SEATS):
        d = np.hypot(e - seat_e[k], nn - seat_n[k])
        centre_w = np.maximum(centre_w, np.exp(-0.5 * (d / (0.35 * seat[4] * width)) ** 2))

    # Deprivation: inner urban areas more deprived, plus a smooth random field and noise.
    field_ = np.zeros(n)
    for _ in range(40):
        be, bn = rng.uniform(wp.min_e, wp.max_e), rng.uniform(wp.min_n, wp.max_n)
        r = rng.uniform(1500, 5000)
        field_ += rng.normal(0, 0.6) * np.exp(-0.5 * (np.hypot(e - be, nn - bn) / r) ** 2)
    urban = np.zeros(n)
    for k, seat in enumerate(LA_SEATS):
        d = np.hypot(e - seat_e[k], nn - seat_n[k])
        urban = np.maximum(urban, np.exp(-0.5 * (d / (0.6 * seat[4] * width)) ** 2))
    score = 1.3 * urban + field_ + rng.normal(0, 0.35, n)
    dep_z = (score - score.mean()) / score.std()
    # England-wide rank: the area is a little more deprived than England as a whole.
    pct = (np.argsort(np.argsort(-dep_z)) + 0.5) / n        # 0 = most deprived in the area
    imd_rank = np.clip(np.round(pct ** 1.15 * N_ENGLAND_LSOA11), 1, N_ENGLAND_LSOA11).astype(int)
    imd_decile = np.clip(np.ceil(imd_rank / (N_ENGLAND_LSOA11 / 10)), 1, 10).astype(int)

    # Population by age band: deprived, urban zones are younger.
    base = np.array([0.19, 0.105, 0.135, 0.19, 0.19, 0.19])
    tilt = np.array([0.12, 0.15, 0.10, 0.0, -0.08, -0.18])
    urban_tilt = np.array([0, 0.3, 0.2, 0, 0, -0.2])
    shares = base[None, :] * np.exp(np.outer(dep_z, tilt) + np.outer(urban, urban_tilt))
    shares /= shares.sum(axis=1, keepdims=True)
    total = rng.normal(wp.mean_zone_population, 0.12 * wp.mean_zone_population, n).clip(900, 3000)
    population = np.round(shares * total[:, None]).astype(int)

    # Codes and police.uk-style names: ONS numbers MSOAs north to south within each LA.
    names = [s[0] for s in LA_SEATS]
    order = np.lexsort((e, -nn, lad))  # by LA, then north to south, then west to east
    zone_code = np.empty(n, dtype=object)
    zone_name = np.empty(n, dtype=object)
    counters = dict.fromkeys(range(5), 0)
    for rank, z in enumerate(order):
        zone_code[z] = f"E0{LSOA_CODE_BASE + rank:07d}"
        k = int(lad[z])
        i = counters[k]
        counters[k] += 1
        zone_name[z] = f"{names[k]} {i // 5 + 1:03d}{'ABCDE'[i % 5]}"

    # Renumber zones in code order, so every array (and every file) follows the codes.
    perm = np.argsort(zone_code.astype(str))
    world = World(
        zone_code=zone_code[perm].astype(str),
        zone_name=zone_name[perm].astype(str),
        zone_lad=lad[perm],
        seed_e=e[perm],
        seed_n=nn[perm],
        centroid_e=cen[perm, 0],
        centroid_n=cen[perm, 1],
        area_m2=area[perm],
        polygons=[polygons[i] for i in perm],
        population=population[perm],
        deprivation_z=dep_z[perm],
        imd_rank=imd_rank[perm],
        imd_decile=imd_decile[perm],
        centre_weight=centre_w[perm],
        lad_code=[f"E0{LAD_CODE_BASE + k}" for k in range(5)],
        lad_name=names,
        csp_code=[f"E{CSP_CODE_BASE + k}" for k in range(5)],
        csp_name=[f"{nm} Community Safety Partnership" for nm in names],
        seat_e=seat_e,
        seat_n=seat_n,
        tree=cKDTree(np.column_stack([e[perm], nn[perm]])),
    )
    return world


def population_years(world: World, p: SynthParams) -> dict[int, np.ndarray]:
    """Population by zone and age band for each calendar year the world covers."""
    out = {}
    for i in range(p.years + 1):
        year = p.world.first_population_year + i
        out[year] = np.round(world.population * (1 + p.world.population_growth) ** i).astype(int)
    return out


def sample_in_zones(world: World, zones: np.ndarray, rng: np.random.Generator,
                    tri: _Triangles | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Uniform random points inside the given zones' polygons (one point per entry)."""
    tri = tri or triangles(world)
    u = rng.random(zones.size)
    target = tri.zone_cum_before[zones] + u * world.area_m2[zones]
    idx = np.searchsorted(tri.cum, target, side="right")
    idx = np.minimum(idx, tri.cum.size - 1)
    # Guard against float edges landing in the neighbouring zone's first triangle.
    idx = np.clip(idx, tri.zone_first[zones], tri.zone_last[zones])
    r1, r2 = rng.random(zones.size), rng.random(zones.size)
    flip = r1 + r2 > 1
    r1[flip], r2[flip] = 1 - r1[flip], 1 - r2[flip]
    a, b, c = tri.a[idx], tri.b[idx], tri.c[idx]
    pts = a + r1[:, None] * (b - a) + r2[:, None] * (c - a)
    return pts[:, 0], pts[:, 1]


@dataclass
class _Triangles:
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    cum: np.ndarray
    zone_cum_before: np.ndarray
    zone_first: np.ndarray
    zone_last: np.ndarray


_TRI_CACHE: dict[int, _Triangles] = {}


def triangles(world: World) -> _Triangles:
    """Fan triangulation of every (convex) zone polygon, for area-uniform sampling."""
    key = id(world)
    if key in _TRI_CACHE:
        return _TRI_CACHE[key]
    a, b, c, areas, first, last = [], [], [], [], [], []
    for poly in world.polygons:
        first.append(len(areas))
        for j in range(1, len(poly) - 1):
            a.append(poly[0])
            b.append(poly[j])
            c.append(poly[j + 1])
            areas.append(abs(_area(np.array([poly[0], poly[j], poly[j + 1]]))))
        last.append(len(areas) - 1)
    cum = np.cumsum(areas)
    first_arr = np.array(first)
    before = np.concatenate([[0.0], cum])[first_arr]
    tri = _Triangles(np.array(a), np.array(b), np.array(c), cum, before, first_arr,
                     np.array(last))
    _TRI_CACHE.clear()
    _TRI_CACHE[key] = tri
    return tri


# ----------------------------------------------------------------------------- geometry helpers
def _separate(e: np.ndarray, n: np.ndarray, rng: np.random.Generator, min_dist: float):
    """Nudge seeds closer than min_dist apart (degenerate slivers otherwise)."""
    for _ in range(10):
        pairs = cKDTree(np.column_stack([e, n])).query_pairs(min_dist, output_type="ndarray")
        if pairs.size == 0:
            break
        j = np.unique(pairs[:, 1])
        e[j] += rng.normal(0, min_dist * 2, j.size)
        n[j] += rng.normal(0, min_dist * 2, j.size)
    return e, n


def _bounded_voronoi(e, n, x0, x1, y0, y1) -> list[np.ndarray]:
    """Voronoi cells of the seeds, clipped exactly to the box by mirroring the seeds."""
    pts = np.column_stack([e, n])
    mirrored = [pts,
                np.column_stack([2 * x0 - e, n]), np.column_stack([2 * x1 - e, n]),
                np.column_stack([e, 2 * y0 - n]), np.column_stack([e, 2 * y1 - n])]
    vor = Voronoi(np.vstack(mirrored))
    polys = []
    for i in range(len(e)):
        region = vor.regions[vor.point_region[i]]
        if -1 in region or not region:
            raise RuntimeError("unbounded Voronoi cell; seeds outside the box?")
        v = vor.vertices[region]
        v[:, 0] = v[:, 0].clip(x0, x1)
        v[:, 1] = v[:, 1].clip(y0, y1)
        c = v.mean(axis=0)
        ang = np.arctan2(v[:, 1] - c[1], v[:, 0] - c[0])
        polys.append(v[np.argsort(ang)])
    return polys


def _area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _centroid(poly: np.ndarray) -> tuple[float, float]:
    x, y = poly[:, 0], poly[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    a = cross.sum() / 2
    if abs(a) < 1e-9:
        return float(x.mean()), float(y.mean())
    return float(((x + np.roll(x, -1)) * cross).sum() / (6 * a)), \
        float(((y + np.roll(y, -1)) * cross).sum() / (6 * a))


def age_band_index(age: np.ndarray) -> np.ndarray:
    edges = np.array([16, 25, 35, 50, 65])
    return np.searchsorted(edges, age, side="right")

