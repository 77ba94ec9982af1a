"""A GPS-tagging scenario with known truth: people who move along continuous paths, their tag's
pings (with the mess real feeds have), crimes near and far, exclusion and curfew zones.

Written in the data hub's contracts (``em/`` and ``police-rms/``), so the scenario goes through
the same importers users use. The truth is computed from the *true* paths (never from the
pings, never from vru's own output):

truth/tags_presence.csv   every (crime, person) pair where the true path came within
                          ``radius_m`` of the scene during the crime's window widened by
                          ``window_minutes`` (the matcher's definition at its default settings),
                          with ``robust`` = N when the answer changes if the radius moves by
                          -25/+120 m or the window by +-6 minutes (borderline: kept out of
                          precision and recall and counted separately) and ``observable`` = N
                          when the person was within D only during a planted silence (the
                          matcher should say "whereabouts unknown")
truth/tags_crimes.csv     every crime: reference, kind of plant (on_path, between_fixes,
                          near_miss_time, near_miss_place, order_ended, clock_change, decoy),
                          whether its truth is robust
truth/tags_episodes.csv   zone and no-signal episodes from the true path and the planted
                          silences: person, zone, kind, start and end (UTC), robust

The mess: fixes every ``fix_minutes`` with jitter; random drop-outs; planted silences; exact
duplicates re-sent; late batches written out of order; accuracies from a gamma distribution,
worse indoors at night, and a share of poor fixes (150-400 m) with errors to match; times in UK
local time across the autumn clock change (the repeated hour is delivered in recorded order,
see docs/guide/tags.md); exclusion zones that are multi-part, holed, aligned with cell edges, with
overnight weekday windows and active dates; curfew (inclusion) zones at home 19:00-07:00.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from vru.geo.bng import to_lonlat
from vru.synth.schedule import applies as schedule_applies
from vru.synth.writers import write_csv

UTC = "UTC"
LONDON = "Europe/London"
ORIGIN = (505_000.0, 250_000.0)    # south-west corner of the scenario's area (BNG)
SIDE = 12_000.0                    # metres


@dataclass
class TagScenarioParams:
    seed: int = 17
    people: int = 30
    start: str = "2024-10-21"      # a Monday; the autumn clock change (27 Oct) is inside
    days: int = 14
    fix_minutes: float = 5.0
    jitter_s: float = 20.0
    drop_share: float = 0.02
    poor_share: float = 0.01
    duplicate_share: float = 0.02
    late_batch_share: float = 0.03
    silences_per_person: int = 1
    planted_per_person: int = 6
    near_miss_per_person: int = 3
    decoy_crimes: int = 1500
    exclusion_share: float = 0.6
    curfew_share: float = 0.4
    radius_m: float = 100.0
    window_minutes: float = 30.0
    extra: dict = field(default_factory=dict)


@dataclass
class Path_:
    """A true path: knots (UTC epoch seconds, easting, northing); straight lines between."""

    t: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def at(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.interp(t, self.t, self.x), np.interp(t, self.t, self.y)


def _epoch(local: datetime) -> float:
    """UK wall-clock -> UTC epoch seconds (first occurrence of a repeated time)."""
    return pd.Timestamp(local).tz_localize(LONDON, ambiguous=True, nonexistent="shift_forward"
                                           ).timestamp()


def _local_text(ts: np.ndarray) -> np.ndarray:
    s = pd.to_datetime(ts, unit="s", utc=True).tz_convert(LONDON).tz_localize(None)
    return np.asarray(s.strftime("%Y-%m-%d %H:%M:%S"), dtype=object)


def min_distance(path: Path_, a: float, b: float, cx: float, cy: float) -> float:
    """Closest approach of the true path to (cx, cy) during [a, b] (exact: the path is
    piecewise linear; each piece clipped to [a, b], then point-to-segment distance)."""
    if b < path.t[0] or a > path.t[-1]:
        return np.inf
    a, b = max(a, path.t[0]), min(b, path.t[-1])
    inner = path.t[(path.t > a) & (path.t < b)]
    ts = np.concatenate([[a], inner, [b]])
    xs, ys = path.at(ts)
    if ts.size == 1:
        return float(np.hypot(xs[0] - cx, ys[0] - cy))
    x0, y0, x1, y1 = xs[:-1], ys[:-1], xs[1:], ys[1:]
    dx, dy = x1 - x0, y1 - y0
    ll = dx * dx + dy * dy
    u = np.where(ll > 0, ((cx - x0) * dx + (cy - y0) * dy) / np.where(ll > 0, ll, 1), 0)
    u = np.clip(u, 0, 1)
    return float(np.min(np.hypot(x0 + u * dx - cx, y0 + u * dy - cy)))


def _regular(cx: float, cy: float, r: float, k: int = 16, phase: float = 0.0) -> np.ndarray:
    ang = phase + np.linspace(0, 2 * np.pi, k + 1)[:-1]
    return np.column_stack([cx + r * np.cos(ang), cy + r * np.sin(ang)])


def _ring_wkt(ring: np.ndarray, hole: bool = False) -> str:
    ring = ring[::-1] if hole else ring
    lon, lat = to_lonlat(ring[:, 0], ring[:, 1])
    pts = [f"{x:.7f} {y:.7f}" for x, y in zip(lon, lat, strict=True)]
    pts.append(pts[0])
    return "(" + ", ".join(pts) + ")"


def _inside_ring(ring: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Even-odd ray casting (independent of DuckDB spatial)."""
    inside = np.zeros(x.shape, dtype=bool)
    n = len(ring)
    for i in range(n):
        x0, y0 = ring[i]
        x1, y1 = ring[(i + 1) % n]
        cross = ((y0 > y) != (y1 > y)) & (x < (x1 - x0) * (y - y0) / np.where(y1 != y0, y1 - y0, 1) + x0)
        inside ^= cross
    return inside


def _edge_distance(ring: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    best = np.full(x.shape, np.inf)
    n = len(ring)
    for i in range(n):
        x0, y0 = ring[i]
        x1, y1 = ring[(i + 1) % n]
        dx, dy = x1 - x0, y1 - y0
        ll = dx * dx + dy * dy
        u = np.clip(((x - x0) * dx + (y - y0) * dy) / ll, 0, 1)
        best = np.minimum(best, np.hypot(x0 + u * dx - x, y0 + u * dy - y))
    return best


@dataclass
class Zone:
    zone_id: str
    kind: str                           # EXCLUSION | INCLUSION
    parts: list[tuple[np.ndarray, list[np.ndarray]]]   # (shell, holes) in BNG
    active_from: str
    active_to: str
    days: str
    start_time: str
    end_time: str
    shape: str                          # plain | multipart | holed | cell_edge | home

    def wkt(self) -> str:
        polys = ["(" + ", ".join([_ring_wkt(s)] + [_ring_wkt(h, True) for h in holes]) + ")"
                 for s, holes in self.parts]
        return ("POLYGON" + polys[0]) if len(polys) == 1 else "MULTIPOLYGON(" + ", ".join(polys) + ")"

    def inside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = np.zeros(x.shape, dtype=bool)
        for shell, holes in self.parts:
            part = _inside_ring(shell, x, y)
            for h in holes:
                part &= ~_inside_ring(h, x, y)
            out |= part
        return out

    def edge_distance(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        d = np.full(x.shape, np.inf)
        for shell, holes in self.parts:
            for ring in [shell, *holes]:
                d = np.minimum(d, _edge_distance(ring, x, y))
        return d


class _Person:
    def __init__(self, k: int, pnc: str) -> None:
        self.k, self.pnc = k, pnc
        self.knots: list[tuple[float, float, float]] = []
        self.zones: list[Zone] = []
        self.silences: list[tuple[float, float]] = []
        self.order: tuple[str, str] = ("", "")

    def go(self, t: float, x: float, y: float) -> None:
        if self.knots and t <= self.knots[-1][0]:
            t = self.knots[-1][0] + 1.0
        self.knots.append((t, x, y))

    def stay_until(self, t: float) -> None:
        last = self.knots[-1]
        self.go(t, last[1], last[2])

    def travel(self, x: float, y: float, speed: float) -> float:
        t0, x0, y0 = self.knots[-1]
        t1 = t0 + max(60.0, np.hypot(x - x0, y - y0) / speed)
        self.go(t1, x, y)
        return t1

    def path(self) -> Path_:
        a = np.array(self.knots)
        return Path_(a[:, 0], a[:, 1], a[:, 2])


def generate_tags(out: Path | str, p: TagScenarioParams | None = None) -> dict[str, int]:
    """Write the scenario under ``out`` (em/, police-rms/, truth/); returns row counts."""
    p = p or TagScenarioParams()
    out = Path(out)
    rng = np.random.default_rng([p.seed, 1700])
    start = datetime.fromisoformat(p.start)
    days = [start + timedelta(days=i) for i in range(p.days)]
    clock_day = next((d for d in days if _epoch(d + timedelta(hours=3)) - _epoch(d) != 3 * 3600),
                     None)
    people: list[_Person] = []
    crimes: list[dict] = []
    pnc_used: set[str] = set()

    def place() -> tuple[float, float]:
        return (ORIGIN[0] + 1000 + rng.random() * (SIDE - 2000),
                ORIGIN[1] + 1000 + rng.random() * (SIDE - 2000))

    for k in range(p.people):
        while True:
            pnc = f"{int(rng.integers(10, 24)):02d}/{9_500_000 + int(rng.integers(0, 400_000))}" \
                  f"{'ABCDEFGHJKLMNPQRTUVWXYZ'[int(rng.integers(0, 23))]}"
            if pnc not in pnc_used:
                pnc_used.add(pnc)
                break
        pe = _Person(k, pnc)
        home = place()
        spots = [(home[0] + rng.normal(0, 1500), home[1] + rng.normal(0, 1500)) for _ in range(3)]
        spots = [(float(np.clip(x, ORIGIN[0] + 500, ORIGIN[0] + SIDE - 500)),
                  float(np.clip(y, ORIGIN[1] + 500, ORIGIN[1] + SIDE - 500))) for x, y in spots]
        curfew = rng.random() < p.curfew_share
        exclusion = rng.random() < p.exclusion_share
        # Exclusion place: away from home and the usual spots (> 1.5 km from each).
        ex_place = None
        if exclusion:
            for _ in range(200):
                c = place()
                if min(np.hypot(c[0] - a, c[1] - b) for a, b in [home, *spots]) > 1500:
                    ex_place = c
                    break
        zone = _exclusion_zone(k, ex_place, rng, days) if ex_place is not None else None
        targets = [ex_place]
        if zone is not None and zone.shape == "holed":   # also into the hole: not a breach
            targets = [ex_place, tuple(zone.parts[0][1][0].mean(axis=0))]
        elif zone is not None and zone.shape == "multipart":  # also the second part: a breach
            targets = [ex_place, tuple(zone.parts[1][0].mean(axis=0))]
        absence_nights = set(rng.choice(p.days, size=min(2, p.days), replace=False).tolist()) \
            if curfew else set()
        visit_days = set(rng.choice(np.arange(1, p.days), size=min(3, p.days - 1),
                                    replace=False).tolist()) if ex_place else set()
        night_owl = k == 0 and clock_day is not None
        pe.go(_epoch(days[0]), *home)
        for i, d in enumerate(days):
            # Daytime: three spots in turn, walking (1.4 m/s) or by bus (6 m/s).
            leave = _epoch(d + timedelta(hours=8, minutes=int(rng.integers(0, 60))))
            pe.stay_until(leave)
            order = rng.permutation(3)
            for j in order:
                pe.travel(*spots[j], speed=1.4 if rng.random() < 0.5 else 6.0)
                pe.stay_until(pe.knots[-1][0] + rng.uniform(1.5, 2.5) * 3600)
            if ex_place is not None and i in visit_days:
                # A visit to the excluded place (inside or outside the zone's hours).
                pe.travel(*targets[len(pe.zones) % len(targets)], speed=6.0)
                pe.zones.append(None)  # counts visits; removed below
                pe.stay_until(pe.knots[-1][0] + rng.uniform(25, 70) * 60)
            pe.travel(*home, speed=6.0)
            back = _epoch(d + timedelta(hours=18, minutes=30))
            if pe.knots[-1][0] < back:
                pe.stay_until(back)
            if i in absence_nights:
                pe.stay_until(_epoch(d + timedelta(hours=21)))
                out_x, out_y = home[0] + rng.choice([-1, 1]) * 900, home[1] + rng.choice([-1, 1]) * 700
                pe.travel(out_x, out_y, speed=1.4)
                pe.stay_until(pe.knots[-1][0] + 3600)
                pe.travel(*home, speed=1.4)
            if night_owl and d == clock_day - timedelta(days=1):
                # Out on the night the clocks go back: 00:30 BST to 02:30 GMT, walking a loop.
                pe.stay_until(_epoch(d + timedelta(hours=24, minutes=30)))
                pe.travel(home[0] + 800, home[1], speed=0.4)
                pe.travel(home[0] + 800, home[1] + 800, speed=0.4)
                pe.travel(*home, speed=0.4)
        pe.stay_until(_epoch(days[-1] + timedelta(days=1)) - 60)
        # Order: the whole period, except one person whose order ends two-thirds in (pings go on).
        first = days[0].date().isoformat()
        last = (days[-1].date() if k != 1 else days[p.days * 2 // 3].date()).isoformat()
        pe.order = (first, last)
        pe.zones = [zone] if zone is not None else []
        if curfew:
            sq = np.array([[-40, -40], [40, -40], [40, 40], [-40, 40]], float) + home
            pe.zones.append(Zone(f"CZ-{k + 1:03d}", "INCLUSION", [(sq, [])], first, last, "ALL",
                                 "19:00", "07:00", "home"))
        # Silences: the tag says nothing for 90-300 minutes (daytime).
        for _ in range(p.silences_per_person):
            d = days[int(rng.integers(0, p.days))]
            a = _epoch(d + timedelta(hours=int(rng.integers(9, 15))))
            pe.silences.append((a, a + float(rng.uniform(90, 300)) * 60))
        people.append(pe)

    paths = [pe.path() for pe in people]
    _plant_crimes(p, rng, people, paths, crimes, clock_day)
    return _write(out, p, rng, people, paths, crimes)


def _exclusion_zone(k: int, c: tuple[float, float], rng, days) -> Zone:
    """A zone around the excluded place: plain, two-part, holed or aligned with 100 m cells,
    with one of four schedules."""
    shape = ("plain", "multipart", "holed", "cell_edge")[k % 4]
    r = float(rng.uniform(250, 400))
    if shape == "plain":
        parts = [(_regular(*c, r), [])]
    elif shape == "multipart":  # the place in one part, another part 2 km away
        parts = [(_regular(*c, r), []), (_regular(c[0] + 2000, c[1] + 300, 200, 8), [])]
    elif shape == "holed":      # a big zone with a hole off-centre (the place is not in it)
        parts = [(_regular(c[0] + 0.5 * r, c[1], 2.2 * r), [_regular(c[0] + 1.4 * r, c[1], 0.5 * r)])]
    else:                       # a square whose edges lie on 100 m cell edges
        x0, y0 = np.floor(c[0] / 100) * 100 - 300, np.floor(c[1] / 100) * 100 - 300
        parts = [(np.array([[x0, y0], [x0 + 700, y0], [x0 + 700, y0 + 700], [x0, y0 + 700]]), [])]
    sched = k % 3
    first, last = days[0].date().isoformat(), days[-1].date().isoformat()
    if sched == 0:
        return Zone(f"EZ-{k + 1:03d}", "EXCLUSION", parts, first, last, "ALL", "", "", shape)
    if sched == 1:   # weekday evenings and nights, across the clock change
        return Zone(f"EZ-{k + 1:03d}", "EXCLUSION", parts, first, last, "MON,TUE,WED,THU,FRI",
                    "17:00", "06:00", shape)
    return Zone(f"EZ-{k + 1:03d}", "EXCLUSION", parts, days[3].date().isoformat(), last, "ALL",
                "10:00", "16:00", shape)


def _plant_crimes(p: TagScenarioParams, rng, people, paths, crimes, clock_day) -> None:
    """Crimes on paths (at a stay or mid-way between two fixes on a leg), near misses in time
    and place, during an ended order, on the clock-change night, and decoys anywhere."""
    span = (paths[0].t[0], paths[0].t[-1])
    n = 0

    def add(kind: str, t: float, x: float, y: float, window_h: float = 0.0) -> None:
        nonlocal n
        n += 1
        crimes.append({"ref": f"TG/24/{n:06d}", "kind": kind, "t0": t - window_h * 3600,
                       "t1": t, "x": x, "y": y})

    for k, (pe, path) in enumerate(zip(people, paths, strict=True)):
        lo, hi = path.t[0] + 3600, path.t[-1] - 3600
        legs = [i for i in range(len(path.t) - 1)
                if np.hypot(path.x[i + 1] - path.x[i], path.y[i + 1] - path.y[i]) > 300]
        for j in range(p.planted_per_person):
            if j % 2 == 0 and legs:  # on a leg, between fixes: the fixes are far from the scene
                i = legs[int(rng.integers(0, len(legs)))]
                t = path.t[i] + rng.uniform(0.3, 0.7) * (path.t[i + 1] - path.t[i])
            else:
                t = float(rng.uniform(lo, hi))
            x, y = path.at(np.array([t]))
            add("between_fixes" if j % 2 == 0 and legs else "on_path", t,
                float(x[0] + rng.normal(0, 15)), float(y[0] + rng.normal(0, 15)),
                window_h=float(rng.integers(1, 4)) if j == 1 else 0.0)
        for j in range(p.near_miss_per_person):
            t = float(rng.uniform(lo, hi))
            x, y = path.at(np.array([t]))
            if j % 2 == 0:   # the same place, 3-6 hours later
                add("near_miss_time", t + rng.uniform(3, 6) * 3600, float(x[0]), float(y[0]))
            else:            # the same time, 250-400 m away
                a = rng.uniform(0, 2 * np.pi)
                dd = rng.uniform(250, 400)
                add("near_miss_place", t, float(x[0] + dd * np.cos(a)), float(y[0] + dd * np.sin(a)))
        if k == 1:  # crimes at the person's side after the order ended
            end = _epoch(datetime.fromisoformat(pe.order[1]) + timedelta(days=1))
            for _ in range(3):
                t = float(rng.uniform(end + 3600, hi))
                x, y = path.at(np.array([t]))
                add("order_ended", t, float(x[0]), float(y[0]))
        if k == 0 and clock_day is not None:  # the night owl, in the repeated hour (GMT)
            t = _epoch(clock_day + timedelta(hours=2)) - 30 * 60  # 01:30 GMT
            x, y = path.at(np.array([t]))
            add("clock_change", t, float(x[0]), float(y[0]))
    for _ in range(p.decoy_crimes):
        t = float(rng.uniform(*span))
        add("decoy", t, ORIGIN[0] + rng.random() * SIDE, ORIGIN[1] + rng.random() * SIDE,
            window_h=float(rng.integers(1, 8)) if rng.random() < 0.2 else 0.0)


def _pings(p: TagScenarioParams, rng, pe: _Person, path: Path_) -> pd.DataFrame:
    step = p.fix_minutes * 60
    t = np.arange(path.t[0], path.t[-1], step) + rng.uniform(-p.jitter_s, p.jitter_s,
                                                              int(np.ceil((path.t[-1] - path.t[0]) / step)))
    t = np.clip(t, path.t[0], path.t[-1])
    keep = rng.random(t.size) >= p.drop_share
    for a, b in pe.silences:
        keep &= ~((t >= a) & (t < b))
    t = t[keep]
    x, y = path.at(t)
    local = pd.to_datetime(t, unit="s", utc=True).tz_convert(LONDON)
    night = (local.hour >= 19) | (local.hour < 8)
    acc = rng.gamma(2.0, 4.0, t.size) + 3
    acc = np.where(night, rng.uniform(20, 60, t.size), acc)
    poor = rng.random(t.size) < p.poor_share
    acc = np.where(poor, rng.uniform(150, 400, t.size), acc)
    err = rng.normal(0, 1, (2, t.size)) * acc / 2.5
    return pd.DataFrame({"person_id": pe.pnc, "ts": t, "e": x + err[0], "n": y + err[1],
                         "accuracy_m": np.round(acc, 1)})


def _write(out: Path, p: TagScenarioParams, rng, people, paths, crimes) -> dict[str, int]:
    em = out / "em"
    write_csv(em / "tagged-people.csv", {
        "person_id": [pe.pnc for pe in people],
        "order_type": ["EXCLUSION" if any(z.kind == "EXCLUSION" for z in pe.zones) else
                       "CURFEW" if pe.zones else "GPS_TRAIL" for pe in people],
        "start_date": [pe.order[0] for pe in people], "end_date": [pe.order[1] for pe in people]})
    zrows = [(pe, z) for pe in people for z in pe.zones]
    write_csv(em / "zones.csv", {
        "person_id": [pe.pnc for pe, _ in zrows], "zone_id": [z.zone_id for _, z in zrows],
        "zone_type": [z.kind for _, z in zrows], "polygon_wkt": [z.wkt() for _, z in zrows],
        "active_from": [z.active_from for _, z in zrows], "active_to": [z.active_to for _, z in zrows],
        "days": [z.days for _, z in zrows], "start_time": [z.start_time for _, z in zrows],
        "end_time": [z.end_time for _, z in zrows]})
    frames = [_pings(p, rng, pe, path) for pe, path in zip(people, paths, strict=True)]
    pings = pd.concat(frames, ignore_index=True).sort_values(["ts", "person_id"], kind="stable")
    clock_hours = _repeated_hours(pings.ts.min(), pings.ts.max())
    # Duplicates re-sent, and late batches (an hour of one person's fixes) moved to the end.
    dup = pings.sample(frac=p.duplicate_share, random_state=p.seed)
    hour = (pings.ts // 3600).astype(np.int64)
    key = pings.person_id + ":" + hour.astype(str)
    keys = key.unique()
    late_keys = set(rng.choice(keys, size=int(len(keys) * p.late_batch_share), replace=False))
    in_repeat = np.zeros(len(pings), dtype=bool)
    for a, b in clock_hours:
        in_repeat |= (pings.ts.to_numpy() >= a - 3600) & (pings.ts.to_numpy() < b + 3600)
    late = key.isin(late_keys).to_numpy() & ~in_repeat
    rows = pd.concat([pings[~late], pings[late], dup], ignore_index=True)
    lon, lat = to_lonlat(rows.e.to_numpy(), rows.n.to_numpy())
    rows = rows.assign(ping_time=_local_text(rows.ts.to_numpy()), longitude=np.round(lon, 7),
                       latitude=np.round(lat, 7))
    month = rows.ping_time.str[:7]
    for m in sorted(month.unique()):
        r = rows[month == m]
        write_csv(em / "pings" / f"tag-pings-{m}.csv", {
            "person_id": r.person_id.tolist(), "ping_time": r.ping_time.tolist(),
            "longitude": [f"{v:.7f}" for v in r.longitude], "latitude": [f"{v:.7f}" for v in r.latitude],
            "accuracy_m": [f"{v:.1f}" for v in r.accuracy_m]})
    # Crimes, in the force extract's contract.
    cr = pd.DataFrame(crimes)
    write_csv(out / "police-rms" / "tags-crimes.csv", {
        "crime_reference": cr.ref.tolist(), "ho_offence_code": ["28E"] * len(cr),
        "offence_description": ["Burglary (synthetic)"] * len(cr),
        "committed_from": _local_text(cr.t0.to_numpy()).tolist(),
        "committed_to": [b if w else "" for b, w in zip(_local_text(cr.t1.to_numpy()),
                                                         (cr.t1 > cr.t0).to_numpy(), strict=True)],
        "easting": [f"{v:.0f}" for v in cr.x], "northing": [f"{v:.0f}" for v in cr.y]})
    cr["x"], cr["y"] = cr.x.round(0), cr.y.round(0)
    presence, crime_truth = _presence_truth(p, people, paths, cr)
    write_csv(out / "truth" / "tags_presence.csv", presence)
    write_csv(out / "truth" / "tags_crimes.csv", crime_truth)
    episodes = _episode_truth(p, people, paths)
    write_csv(out / "truth" / "tags_episodes.csv", episodes)
    return {"people": len(people), "pings": len(rows), "crimes": len(cr), "zones": len(zrows),
            "presence": len(presence["crime_reference"]), "episodes": len(episodes["person_id"])}


def _repeated_hours(a: float, b: float) -> list[tuple[float, float]]:
    from vru.clock import transitions

    y0 = pd.Timestamp(a, unit="s").year
    y1 = pd.Timestamp(b, unit="s").year
    return [(pd.Timestamp(tr.utc).tz_localize(UTC).timestamp() - 3600,
             pd.Timestamp(tr.utc).tz_localize(UTC).timestamp() + 3600)
            for tr in transitions(y0, y1) if tr.repeated]


def _presence_truth(p: TagScenarioParams, people, paths, cr: pd.DataFrame) -> tuple[dict, dict]:
    d, w = p.radius_m, p.window_minutes * 60
    pres: dict[str, list] = {"crime_reference": [], "person_id": [], "closest_m": [], "robust": [],
                             "observable": []}
    robust_crime = np.ones(len(cr), dtype=bool)
    for pe, path in zip(people, paths, strict=True):
        order_end = _epoch(datetime.fromisoformat(pe.order[1]) + timedelta(days=1))
        order_start = _epoch(datetime.fromisoformat(pe.order[0]))
        for i, c in enumerate(cr.itertuples()):
            lo, hi = max(c.t0 - w - 400, order_start), min(c.t1 + w + 400, order_end)
            if hi < lo:
                continue
            dist = min_distance(path, max(c.t0 - w, order_start), min(c.t1 + w, order_end), c.x, c.y)
            if dist > d + 400:
                continue
            wide = min_distance(path, max(c.t0 - w - 360, order_start), min(c.t1 + w + 360, order_end),
                                c.x, c.y)
            narrow = min_distance(path, max(c.t0 - w + 360, order_start),
                                  min(c.t1 + w - 360, order_end), c.x, c.y) \
                if c.t1 + w - 360 > c.t0 - w + 360 else np.inf
            hit = dist <= d
            # Beyond D the matcher also takes in fixes whose accuracy circle reaches D (up to
            # ~60 m at night) plus their error: truth within D + 120 m is borderline.
            robust = (hit and narrow <= d - 25) or (not hit and wide > d + 120)
            if not robust:
                robust_crime[i] = False
            if hit:
                # Observable unless every moment within D fell in a planted silence.
                a = max(c.t0 - w, order_start)
                tt = np.arange(a, min(c.t1 + w, order_end) + 10, 10.0)
                xx, yy = path.at(tt)
                near = tt[np.hypot(xx - c.x, yy - c.y) <= d]
                silent = np.zeros(near.size, dtype=bool)
                for sa, sb in pe.silences:
                    silent |= (near >= sa) & (near < sb)
                pres["crime_reference"].append(c.ref)
                pres["person_id"].append(pe.pnc)
                pres["closest_m"].append(f"{dist:.1f}")
                pres["robust"].append("Y" if robust else "N")
                pres["observable"].append("N" if near.size and silent.all() else "Y")
    crime_truth = {"crime_reference": cr.ref.tolist(), "kind": cr.kind.tolist(),
                   "robust": np.where(robust_crime, "Y", "N").tolist()}
    return pres, crime_truth


def _episode_truth(p: TagScenarioParams, people, paths) -> dict:
    """Zone episodes from the true path sampled every 10 s (inside/outside by ray casting,
    schedule by wall-clock rules), plus the planted silences."""
    out: dict[str, list] = {"person_id": [], "zone_id": [], "kind": [], "start_utc": [],
                            "end_utc": [], "robust": []}
    step = 10.0
    min_minutes = 2.5 * p.fix_minutes  # shorter than about two fixes: borderline

    def add(pnc, zid, kind, a, b, robust):
        out["person_id"].append(pnc)
        out["zone_id"].append(zid)
        out["kind"].append(kind)
        out["start_utc"].append(pd.Timestamp(a, unit="s").strftime("%Y-%m-%d %H:%M:%S"))
        out["end_utc"].append(pd.Timestamp(b, unit="s").strftime("%Y-%m-%d %H:%M:%S"))
        out["robust"].append("Y" if robust else "N")

    for pe, path in zip(people, paths, strict=True):
        order_end = _epoch(datetime.fromisoformat(pe.order[1]) + timedelta(days=1))
        t = np.arange(path.t[0], min(path.t[-1], order_end), step)
        x, y = path.at(t)
        local = pd.to_datetime(t, unit="s", utc=True).tz_convert(LONDON).tz_localize(None)
        for z in pe.zones:
            on = schedule_applies(local, z.days, z.start_time or None,
                                  z.end_time or None, z.active_from, z.active_to)
            inside = z.inside(x, y)
            wrong = inside if z.kind == "EXCLUSION" else ~inside
            flag = wrong & on
            if not flag.any():
                continue
            edges = np.flatnonzero(np.diff(np.concatenate([[0], flag.astype(np.int8), [0]])))
            depth = z.edge_distance(x, y)
            for a, b in zip(edges[::2], edges[1::2], strict=True):
                dur = (t[b - 1] - t[a]) / 60
                # What the tag could see: time outside planted silences.
                seen = ~np.zeros(b - a, dtype=bool)
                for sa, sb in pe.silences:
                    seen &= ~((t[a:b] >= sa) & (t[a:b] < sb))
                robust = (dur >= min_minutes and seen.sum() * step / 60 >= min_minutes
                          and depth[a:b][seen].max(initial=0) >= 60)
                add(pe.pnc, z.zone_id, z.kind.lower(), t[a], t[b - 1], robust)
        for a, b in pe.silences:
            if b <= order_end:
                add(pe.pnc, "", "no_signal", a, b, True)
    return out
