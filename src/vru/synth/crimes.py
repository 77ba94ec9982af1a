"""Police-recorded crime as a self-exciting space-time point process, generated month by month.

Background events (per zone and category) follow population, a deprivation gradient and a
town-centre pull, modulated by season, day of week and hour of day. Planted micro-hotspots add
a constant stream of events around fixed points. Every event may trigger offspring (a Hawkes /
ETAS-style branching process, Mohler et al. 2011): Poisson(branching_ratio) children, an
exponential delay and a Gaussian displacement, which makes near-repeats.

Generation is chunked by month: offspring that fall in a later month are carried forward, so
memory is bounded by one month's events whatever the total.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np

from vru.periods import add_months, next_month
from vru.synth.params import CRIME_MIX, SynthParams
from vru.synth.world import World, sample_in_zones, triangles

CATEGORIES: tuple[str, ...] = tuple(CRIME_MIX)
VIOLENCE = CATEGORIES.index("Violence and sexual offences")
ASB = CATEGORIES.index("Anti-social behaviour")

# Hour-of-day profile per category: (peak hour, concentration, floor). A von Mises bump on a
# floor; violence and disorder peak late evening, shop theft in the afternoon.
HOUR_PROFILE: dict[str, tuple[float, float, float]] = {
    "Violence and sexual offences": (22.5, 1.6, 0.25),
    "Anti-social behaviour": (19.0, 1.5, 0.15),
    "Public order": (21.0, 1.4, 0.25),
    "Vehicle crime": (2.0, 1.0, 0.35),
    "Other theft": (14.0, 1.2, 0.3),
    "Criminal damage and arson": (22.0, 1.2, 0.3),
    "Shoplifting": (15.0, 2.5, 0.02),
    "Burglary": (20.0, 0.8, 0.35),
    "Drugs": (20.0, 1.2, 0.2),
    "Other crime": (13.0, 0.8, 0.4),
    "Bicycle theft": (15.0, 1.2, 0.2),
    "Robbery": (21.0, 1.5, 0.2),
    "Possession of weapons": (21.0, 1.3, 0.2),
    "Theft from the person": (16.0, 1.5, 0.15),
}
# Day-of-week weights (Mon..Sun): the night-time economy is busiest Friday to Sunday.
WEEKEND_CATEGORIES = {"Violence and sexual offences", "Public order", "Anti-social behaviour",
                      "Criminal damage and arson", "Robbery", "Possession of weapons"}
DOW_WEEKEND = np.array([0.85, 0.85, 0.9, 0.95, 1.2, 1.4, 1.25])
DOW_FLAT = np.array([1.05, 1.05, 1.05, 1.05, 1.05, 0.9, 0.85])
# Seasonality: violence and disorder peak in summer; burglary and vehicle crime in winter.
SEASON_PEAK: dict[str, tuple[int, float]] = {
    "Burglary": (12, 0.6), "Vehicle crime": (12, 0.4), "Shoplifting": (12, 0.3),
}
# Planted hotspots: events per year per hotspot relative to violence.
HOTSPOT_MIX: dict[str, float] = {
    "Violence and sexual offences": 1.0, "Anti-social behaviour": 0.6, "Public order": 0.4,
    "Shoplifting": 0.3, "Other theft": 0.3, "Drugs": 0.25, "Theft from the person": 0.1,
    "Robbery": 0.08, "Possession of weapons": 0.06,
}


@dataclass
class Hotspots:
    e: np.ndarray
    n: np.ndarray
    zone: np.ndarray
    rate: np.ndarray      # (hotspots, categories) events per year at the given scale
    patrolled: np.ndarray  # bool: given hotspot patrols from patrol_start
    patrol_start: date


@dataclass
class CrimeModel:
    zone_rate: np.ndarray        # (zones, categories) background events per year
    hotspots: Hotspots
    season: np.ndarray           # (categories, 12) multipliers, mean 1 per category
    hour: np.ndarray             # (categories, 24) probabilities
    dow: np.ndarray              # (categories, 7) weights, mean 1
    months: list[date]           # first day of each month generated
    start: np.datetime64
    end: np.datetime64


@dataclass
class CrimeBatch:
    """One month's crimes (events with time in that month), sorted by time then uid."""

    month: date
    uid: np.ndarray              # int64, global, unique and stable for a seed
    t: np.ndarray                # datetime64[s]
    e: np.ndarray
    n: np.ndarray
    zone: np.ndarray
    cat: np.ndarray              # index into CATEGORIES
    origin: np.ndarray           # 0 background, 1 hotspot, 2 offspring
    hotspot: np.ndarray          # hotspot index or -1
    parent: np.ndarray           # parent uid or -1
    part: int = 0                # slice of the month (big worlds split a month into slices)
    last_in_month: bool = True

    def __len__(self) -> int:
        return int(self.uid.size)

    @property
    def rng_key(self) -> int:
        """A stable per-slice key for the random streams of everything derived from it."""
        return (self.month.year * 12 + self.month.month) * 64 + self.part


def months_of(p: SynthParams) -> list[date]:
    out = []
    y, m = p.start_year, 4
    for _ in range(12 * p.years):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def build_model(world: World, p: SynthParams) -> CrimeModel:
    cp = p.crime
    rng = np.random.default_rng([p.seed, 201])
    pop = world.total_population().astype(float)
    total_per_year = cp.rate_per_1000 * pop.sum() / 1000 * p.scale
    background_per_year = total_per_year * (1 - cp.branching_ratio)
    # Town-centre pull as a density (per square metre), not per zone: small central zones
    # must not each get a full share.
    centre = world.centre_weight * world.area_m2
    centre = centre / centre.sum()
    rate = np.zeros((world.n, len(CATEGORIES)))
    for j, name in enumerate(CATEGORIES):
        mix = CRIME_MIX[name]
        res = pop * np.exp(mix["dep_beta"] * world.deprivation_z)
        w = (1 - mix["centre"]) * res / res.sum() + mix["centre"] * centre
        rate[:, j] = background_per_year * mix["share"] * w / w.sum()

    hs = _plant_hotspots(world, p, rng)
    hrate = np.zeros((hs[0].size, len(CATEGORIES)))
    for name, rel in HOTSPOT_MIX.items():
        hrate[:, CATEGORIES.index(name)] = cp.hotspot_violence_per_year * rel * p.scale
    months = months_of(p)
    # A random half of the hotspots get patrols from the start of a later financial year; while
    # patrolled their own rate falls by patrol_effect (the truth an evaluation should recover).
    patrolled = np.zeros(hs[0].size, dtype=bool)
    patrolled[rng.permutation(hs[0].size)[: min(cp.patrol_hotspots, hs[0].size)]] = True
    fy = min(max(cp.patrol_start_year, 1), p.years)
    hotspots = Hotspots(hs[0], hs[1], world.zone_of(hs[0], hs[1]), hrate, patrolled,
                        date(p.start_year + fy - 1, 4, 1))

    season = np.ones((len(CATEGORIES), 12))
    hour = np.zeros((len(CATEGORIES), 24))
    dow = np.zeros((len(CATEGORIES), 7))
    months_idx = np.arange(1, 13)
    hours = np.arange(24) + 0.5
    for j, name in enumerate(CATEGORIES):
        peak, rel = SEASON_PEAK.get(name, (cp.seasonal_peak_month, 1.0))
        season[j] = 1 + cp.seasonal_amplitude * rel * np.cos(2 * np.pi * (months_idx - peak) / 12)
        season[j] /= season[j].mean()
        ph, kappa, floor = HOUR_PROFILE[name]
        bump = np.exp(kappa * np.cos(2 * np.pi * (hours - ph) / 24))
        prof = floor + bump / bump.max()
        hour[j] = prof / prof.sum()
        d = DOW_WEEKEND if name in WEEKEND_CATEGORIES else DOW_FLAT
        dow[j] = d / d.mean()
    start = np.datetime64(months[0].isoformat(), "s")
    last = months[-1]
    end_month = next_month(last)
    return CrimeModel(rate, hotspots, season, hour, dow, months, start,
                      np.datetime64(end_month.isoformat(), "s"))


def _plant_hotspots(world: World, p: SynthParams, rng: np.random.Generator):
    """Hotspot centres at the centres of grid cells in busy town-centre zones, >= 450 m apart."""
    cp = p.crime
    cell = cp.hotspot_cell_m
    n_city = int(round(cp.n_hotspots * 0.6))
    per_la = [n_city] + [0] * 4
    for k in range(cp.n_hotspots - n_city):
        per_la[1 + k % 4] += 1
    tri = triangles(world)
    es: list[float] = []
    ns: list[float] = []
    for la, want in enumerate(per_la):
        zones = np.flatnonzero(world.zone_lad == la)
        zones = zones[np.argsort(-world.centre_weight[zones], kind="stable")][: max(want * 4, 12)]
        got, tries = 0, 0
        while got < want and tries < 10_000:
            tries += 1
            z = np.array([rng.choice(zones)])
            e, n = sample_in_zones(world, z, rng, tri)
            ce = np.floor(e[0] / cell) * cell + cell / 2
            cn = np.floor(n[0] / cell) * cell + cell / 2
            if es and np.min(np.hypot(np.array(es) - ce, np.array(ns) - cn)) < 3 * cell:
                continue
            es.append(ce)
            ns.append(cn)
            got += 1
    return np.array(es), np.array(ns)


# Events per slice: a month is cut into day ranges so that no slice holds many more than this,
# which bounds memory whatever the scale (10 million crimes = ~280k a month = 7 slices).
SLICE_EVENTS = 50_000


def slices_per_month(model: CrimeModel, p: SynthParams) -> int:
    per_month = (model.zone_rate.sum() + model.hotspots.rate.sum()) / 12 / \
        (1 - p.crime.branching_ratio)
    return max(1, int(np.ceil(per_month * 1.1 / SLICE_EVENTS)))


def generate(world: World, model: CrimeModel, p: SynthParams) -> Iterator[CrimeBatch]:
    """Yield CrimeBatches in time order: one per month, or several slices of a month."""
    cp = p.crime
    tri = triangles(world)
    box = (p.world.min_e, p.world.max_e, p.world.min_n, p.world.max_n)
    carry: dict[str, np.ndarray] | None = None
    next_uid = 0
    ncat = len(CATEGORIES)
    # Two burn-in months before the start, so the first month has its share of offspring.
    first = model.months[0]
    burn = [add_months(first, -k) for k in (2, 1)]
    months = burn + model.months
    k = slices_per_month(model, p)
    for mi, month in enumerate(months):
        nxt = months[mi + 1] if mi + 1 < len(months) else None
        month_end = np.datetime64(nxt.isoformat(), "s") if nxt else model.end
        month_start = np.datetime64(month.isoformat(), "s")
        month_days = int((month_end - month_start) / np.timedelta64(1, "D"))
        bounds = [round(i * month_days / k) for i in range(k + 1)]
        for part in range(k):
            rng = np.random.default_rng([p.seed, 202, month.year * 12 + month.month, part])
            m0 = month_start + np.timedelta64(bounds[part], "D")
            m1 = (month_start + np.timedelta64(bounds[part + 1], "D")) if part + 1 < k \
                else month_end
            days = int((m1 - m0) / np.timedelta64(1, "D"))
            first_dow = (month.weekday() + bounds[part]) % 7
            dows = (first_dow + np.arange(days)) % 7
            moy = month.month - 1
            # Background: Poisson counts per zone x category; the slice's expected share of the
            # year follows the day-of-week weights of its days.
            dow_days = model.dow[:, dows].sum(axis=1)                      # per category
            lam = model.zone_rate / 365.25 * (model.season[:, moy] * dow_days)[None, :]
            counts = rng.poisson(lam)
            zone = np.repeat(np.tile(np.arange(world.n), ncat), counts.T.ravel())
            cat = np.repeat(np.repeat(np.arange(ncat), world.n), counts.T.ravel())
            be, bn = sample_in_zones(world, zone, rng, tri)
            # Hotspots.
            hs = model.hotspots
            hlam = hs.rate / 365.25 * (model.season[:, moy] * dow_days)[None, :]
            if month >= hs.patrol_start:
                hlam = hlam * np.where(hs.patrolled, 1 - cp.patrol_effect, 1.0)[:, None]
            hcounts = rng.poisson(hlam)
            hidx = np.repeat(np.repeat(np.arange(hs.e.size), ncat), hcounts.ravel())
            hcat = np.repeat(np.tile(np.arange(ncat), hs.e.size), hcounts.ravel())
            he = hs.e[hidx] + rng.normal(0, cp.hotspot_sd_m, hidx.size)
            hn = hs.n[hidx] + rng.normal(0, cp.hotspot_sd_m, hidx.size)
            fresh_cat = np.concatenate([cat, hcat])
            ft = _times_in_slice(model, fresh_cat, m0, dows, rng)
            fresh = {
                "t": ft,
                "e": np.concatenate([be, he]),
                "n": np.concatenate([bn, hn]),
                "cat": fresh_cat,
                "origin": np.concatenate([np.zeros(zone.size, np.int8),
                                          np.ones(hidx.size, np.int8)]),
                "hotspot": np.concatenate([np.full(zone.size, -1), hidx]),
                "parent": np.full(fresh_cat.size, -1, dtype=np.int64),
            }
            fresh["uid"] = np.arange(next_uid, next_uid + fresh_cat.size, dtype=np.int64)
            next_uid += fresh_cat.size
            # Carried offspring that fall in this slice join it; later ones wait their turn.
            if carry is not None:
                due = carry["t"] < m1
                pending = _concat([_take(carry, due), fresh])
                carry = _take(carry, ~due) if (~due).any() else None
            else:
                pending = fresh
            done: list[dict[str, np.ndarray]] = []
            while pending["uid"].size:
                done.append(pending)
                kids = _offspring(pending, model, cp, rng, box)
                kids["uid"] = np.arange(next_uid, next_uid + kids["t"].size, dtype=np.int64)
                next_uid += kids["t"].size
                inside = kids["t"] < m1
                later = (~inside) & (kids["t"] < model.end)
                pending = _take(kids, inside)
                if later.any():
                    moved = _take(kids, later)
                    carry = moved if carry is None else _concat([carry, moved])
            if mi < len(burn):
                continue
            allev = _concat(done)
            order = np.lexsort((allev["uid"], allev["t"]))
            ev = _take(allev, order)
            yield CrimeBatch(month, ev["uid"], ev["t"], ev["e"], ev["n"],
                             world.zone_of(ev["e"], ev["n"]), ev["cat"], ev["origin"],
                             ev["hotspot"], ev["parent"], part, part == k - 1)


def _times_in_slice(model: CrimeModel, cat: np.ndarray, m0: np.datetime64, dows: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    pday = model.dow[:, dows]
    pday = pday / pday.sum(axis=1, keepdims=True)
    day = _draw(np.cumsum(pday, axis=1), cat, rng)
    hour = _draw(np.cumsum(model.hour, axis=1), cat, rng)
    minute = rng.integers(0, 60, cat.size)
    secs = day * 86400 + hour * 3600 + minute * 60
    return m0 + secs.astype("timedelta64[s]")


def _draw(cum: np.ndarray, cat: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw an index from a per-category cumulative distribution (rows of cum)."""
    u = rng.random(cat.size)
    out = np.empty(cat.size, dtype=np.int64)
    for j in np.unique(cat):
        sel = cat == j
        out[sel] = np.minimum(np.searchsorted(cum[j], u[sel], side="right"), cum.shape[1] - 1)
    return out


def _offspring(parents: dict[str, np.ndarray], model: CrimeModel, cp, rng, box) -> dict:
    k = rng.poisson(cp.branching_ratio, parents["uid"].size)
    idx = np.repeat(np.arange(k.size), k)
    cat = parents["cat"][idx]
    # Delay in whole days (exponential), then a fresh hour from the category's daily profile,
    # so offspring keep the daily cycle; never before their parent.
    pt = parents["t"][idx]
    pday = pt.astype("datetime64[D]")
    delay = np.floor(rng.exponential(cp.offspring_days, idx.size)).astype(np.int64)
    hour = _draw(np.cumsum(model.hour, axis=1), cat, rng)
    minute = rng.integers(0, 60, idx.size)
    t = (pday + delay.astype("timedelta64[D]")).astype("datetime64[s]") + \
        (hour * 3600 + minute * 60).astype("timedelta64[s]")
    t = np.where(t < pt, t + np.timedelta64(1, "D"), t)
    e = parents["e"][idx] + rng.normal(0, cp.offspring_sd_m, idx.size)
    n = parents["n"][idx] + rng.normal(0, cp.offspring_sd_m, idx.size)
    e = _reflect(e, box[0], box[1])
    n = _reflect(n, box[2], box[3])
    return {"t": t, "e": e, "n": n, "cat": cat,
            "origin": np.full(idx.size, 2, np.int8),
            "hotspot": np.full(idx.size, -1, dtype=parents["hotspot"].dtype),
            "parent": parents["uid"][idx]}


def _reflect(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    x = np.where(x < lo, 2 * lo - x, x)
    x = np.where(x > hi, 2 * hi - x, x)
    return np.clip(x, lo, hi)


def _take(d: dict[str, np.ndarray], sel) -> dict[str, np.ndarray]:
    return {k: v[sel] for k, v in d.items()}


def _concat(ds: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([d[k] for d in ds]) for k in ds[0]}
