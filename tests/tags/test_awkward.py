"""Hand-built awkward cases, each with its answer worked out by hand (in the comments)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from tests.tags.helpers import E0, N0, PERSON, agree, put, square_wkt, walk
from vru import clock
from vru.analysis.tags import store
from vru.settings import Tags
from vru.testing import new_workspace

D = datetime
ORDER = (PERSON, date(2024, 1, 1), date(2025, 12, 31))


@pytest.fixture
def ws(workspace):
    agree(workspace)
    return workspace


# ------------------------------------------------------------------------------- clock
def test_local_to_utc_sql_agrees_with_zoneinfo(ws):
    rng = random.Random(3)
    times = [D(2024, 3, 31, 0, 0) + timedelta(minutes=7 * i) for i in range(60)]
    times += [D(2024, 10, 27, 0, 0) + timedelta(minutes=7 * i) for i in range(60)]
    times += [D(2021, 1, 1) + timedelta(minutes=rng.randrange(0, 6 * 365 * 1440)) for _ in range(300)]
    values = ", ".join(f"(TIMESTAMP '{t:%Y-%m-%d %H:%M:%S}', {f})" for t in times for f in (0, 1))
    got = ws.sql(f"SELECT local_at, fold, {clock.utc_sql('local_at', 2020, 2027, fold='fold')} "
                 f"FROM (VALUES {values}) v(local_at, fold)")
    for local, fold, utc in got:
        # fold only means something in a repeated hour (the SQL is never given fold 1 for a
        # time that does not exist; zoneinfo would read it with the new offset).
        missing = clock.to_utc(local, 0) != clock.to_utc(local, 1) and local.month == 3
        assert utc == clock.to_utc(local, 0 if missing else fold), (local, fold)
    # The two readings of 01:30 on 27 Oct 2024 are an hour apart; 01:30 on 31 Mar 2024 never
    # happened and reads as GMT (as zoneinfo does).
    assert clock.to_utc(D(2024, 10, 27, 1, 30), 1) - clock.to_utc(D(2024, 10, 27, 1, 30), 0) \
        == timedelta(hours=1)
    assert clock.to_utc(D(2024, 3, 31, 1, 30)) == D(2024, 3, 31, 1, 30)


def test_repeated_hour_pings_and_crime(ws):
    # 27 Oct 2024: clocks go back at 02:00 BST (01:00 UTC). The tag records 00:50, 01:10, 01:40
    # (BST), then 01:05, 01:35 (GMT), then 02:10 - the wall clock goes back after 01:40. Only
    # at 01:35 GMT (01:35 UTC) is the person at the scene; at 01:40 BST they are 2 km away.
    far = (E0, N0 + 2000)
    pings = [(PERSON, D(2024, 10, 27, 0, 50), *far, 5.0), (PERSON, D(2024, 10, 27, 1, 10), *far, 5.0),
             (PERSON, D(2024, 10, 27, 1, 40), *far, 5.0), (PERSON, D(2024, 10, 27, 1, 5), *far, 5.0),
             (PERSON, D(2024, 10, 27, 1, 35), E0, N0, 5.0),
             (PERSON, D(2024, 10, 27, 2, 10), *far, 5.0)]
    put(ws, people=[ORDER], pings=pings,
        crimes=[("C1", D(2024, 10, 27, 1, 35), None, E0 + 10, N0)])
    store.run_match(ws, Tags(window_minutes=0))
    m = store.matches(ws)
    assert [(r["crime_id"], round(r["closest_m"], 6)) for r in m] == [("C1", 10.0)]
    assert m[0]["closest_at_utc"] == D(2024, 10, 27, 1, 35)  # the GMT reading
    # The crime's own 01:35 is ambiguous too: its window covers both readings.
    assert (m[0]["window_from_utc"], m[0]["window_to_utc"]) == (D(2024, 10, 27, 0, 35),
                                                              D(2024, 10, 27, 1, 35))


# ------------------------------------------------------------------------------- matching
def test_trail_passes_scene_between_two_fixes(ws):
    # 12 Jun 2024 (BST). Fixes at 10:00 at (E0, N0) and 10:10 at (E0 + 1200, N0): 2 m/s east.
    # Scene at (E0 + 600, N0 + 20) at 10:05. The straight line passes 20 m from it at 10:05
    # local = 09:05 UTC. Radius 100 + accuracy 5 = 105 m: half-chord sqrt(105^2 - 20^2) =
    # 103.078 m, i.e. 51.539 s either side at 2 m/s: 1.71797 minutes within.
    put(ws, people=[ORDER], pings=[(PERSON, D(2024, 6, 12, 10, 0), E0, N0, 5.0),
                                   (PERSON, D(2024, 6, 12, 10, 10), E0 + 1200, N0, 5.0)],
        crimes=[("C1", D(2024, 6, 12, 10, 5), None, E0 + 600, N0 + 20)])
    store.run_match(ws)
    (m,) = store.matches(ws)
    assert m["closest_m"] == pytest.approx(20.0, abs=1e-6)
    assert m["closest_at_utc"] == D(2024, 6, 12, 9, 5)
    assert m["minutes_within"] == pytest.approx(2 * 51.5388 / 60, abs=1e-4)
    assert m["first_seen_utc"] == pytest.approx(D(2024, 6, 12, 9, 5) - timedelta(seconds=51.5388),
                                                abs=timedelta(milliseconds=5))
    assert m["nearest_fix_min"] == pytest.approx(5.0)
    (ev,) = store.evidence(ws, "C1")
    assert ev["interpolated"] and ev["fix0_utc"] == D(2024, 6, 12, 9, 0) \
        and ev["fix1_utc"] == D(2024, 6, 12, 9, 10)
    assert (ev["closest_e"], ev["closest_n"]) == pytest.approx((E0 + 600, N0))
    # A maximum gap below the 10 minutes between the fixes: no interpolation, so no match;
    # the person's whereabouts are unknown (600 + 600 m <= 2 x 100 + 30 km/h x 600 s).
    store.run_match(ws, Tags(max_gap_minutes=5))
    assert store.matches(ws) == []
    assert [(u["crime_id"], u["nearest_fix_m"]) for u in store.unknowns(ws)] == \
        [("C1", pytest.approx(600.333, abs=1e-3))]


def test_teleport_is_not_interpolated(ws):
    # 5 km in one minute (300 km/h > 150): the straight line between is not a trail.
    put(ws, people=[ORDER], pings=[(PERSON, D(2024, 6, 12, 10, 0), E0, N0, 5.0),
                                   (PERSON, D(2024, 6, 12, 10, 1), E0 + 5000, N0, 5.0)],
        crimes=[("C1", D(2024, 6, 12, 10, 0, 30), None, E0 + 2500, N0)])
    store.run_match(ws)
    assert store.matches(ws) == []
    store.run_match(ws, Tags(max_speed_kmh=400))
    assert [m["crime_id"] for m in store.matches(ws)] == ["C1"]


@pytest.mark.parametrize("acc, matched", [(40.0, True), (20.0, False), (150.0, False), (None, False)])
def test_fix_accuracy(ws, acc, matched):
    # One fix 130 m from the scene. Within D + accuracy when accuracy >= 30; a fix reporting
    # 150 m is worse than max_accuracy_m (100) and not used; no accuracy -> default 10 m.
    put(ws, people=[ORDER], pings=[(PERSON, D(2024, 6, 12, 10, 0), E0 + 130, N0, acc)],
        crimes=[("C1", D(2024, 6, 12, 10, 0), None, E0, N0)])
    store.run_match(ws)
    assert bool(store.matches(ws)) is matched


def test_window_from_to_widened_by_t(ws):
    # Committed 08:00-12:00; the person is at the scene only at 12:20 and 12:40 (single fixes,
    # an hour and more from any other). T = 30 reaches 12:20, not 12:40; T = 45 reaches both.
    put(ws, people=[ORDER], pings=[(PERSON, D(2024, 6, 12, 12, 20), E0, N0, 5.0),
                                   (PERSON, D(2024, 6, 12, 14, 40), E0, N0, 5.0)],
        crimes=[("C1", D(2024, 6, 12, 8, 0), D(2024, 6, 12, 12, 0), E0, N0),
                ("C2", D(2024, 6, 12, 13, 0), D(2024, 6, 12, 14, 0), E0, N0)])
    store.run_match(ws)
    assert [m["crime_id"] for m in store.matches(ws)] == ["C1"]
    store.run_match(ws, Tags(window_minutes=45))
    assert [m["crime_id"] for m in store.matches(ws)] == ["C1", "C2"]


def test_order_must_be_active(ws):
    put(ws, people=[(PERSON, date(2024, 1, 1), date(2024, 6, 11))],
        pings=walk(PERSON, D(2024, 6, 12, 9, 0), 120, 5, E0, N0),
        crimes=[("C1", D(2024, 6, 12, 10, 0), None, E0, N0)])
    store.run_match(ws)
    assert store.matches(ws) == []


def test_out_of_order_and_duplicate_pings_change_nothing(tmp_path):
    trail = walk(PERSON, D(2024, 6, 12, 9, 0), 180, 5, E0, N0, ve=80.0)
    crimes = [(f"C{i}", D(2024, 6, 12, 9, 0) + timedelta(minutes=13 * i), None,
               E0 + 80.0 * 13 * i + 30, N0 + 40) for i in range(12)]
    messy = trail[::-1] + random.Random(1).sample(trail, 20)
    out = []
    for name, pings in (("clean", trail), ("messy", messy)):
        w = new_workspace(tmp_path / name)
        agree(w)
        put(w, people=[ORDER], pings=pings, crimes=crimes)
        store.run_match(w)
        out.append([(m["crime_id"], round(m["closest_m"], 9), round(m["minutes_within"], 9))
                    for m in store.matches(w)])
        w.close()
    assert out[0] == out[1] and len(out[0]) == 12


# ------------------------------------------------------------------------------- zones
def _episodes(ws, kind=None):
    return [(e["zone_id"], e["kind"], e["start_utc"], e["end_utc"], round(e["minutes"], 6))
            for e in store.episodes(ws, kind=kind)]


def _utc_trail(start_utc: datetime, hours: float, every: int, e: float, n: float, acc=5.0):
    """Fixes on a UTC grid, written as UK wall-clock time (as partner files are)."""
    out = []
    t = start_utc
    while t <= start_utc + timedelta(hours=hours):
        # A real fix never repeats its coordinates to the millimetre (that is a re-send).
        out.append((PERSON, clock.to_local(t).replace(tzinfo=None), e + 0.001 * len(out), n, acc))
        t += timedelta(minutes=every)
    return out


def test_overnight_weekday_zone_across_the_autumn_clock_change(ws):
    # Zone 22:00-06:00 MON-FRI. Inside the whole time from Fri 25 Oct 12:00 UTC to Tue 29 Oct
    # 12:00 UTC, a fix every 10 minutes on the UTC grid. Windows that apply: Fri 22:00 BST ->
    # Sat 06:00 BST = 21:00-05:00 UTC; Mon 22:00 GMT -> Tue 06:00 GMT = 22:00-06:00 UTC
    # (Saturday's and Sunday's nights are not weekday windows). Episodes run from the first to
    # the last fix inside a window: 21:00-04:50 and 22:00-05:50 UTC, 470 minutes each.
    zone = (PERSON, "Z1", "EXCLUSION", square_wkt(E0, N0, 200), date(2024, 10, 1),
            date(2024, 11, 30), "MON,TUE,WED,THU,FRI", "22:00", "06:00")
    put(ws, people=[ORDER], zones=[zone], pings=_utc_trail(D(2024, 10, 25, 12), 96, 10, E0, N0))
    store.run_breaches(ws)
    assert _episodes(ws, "exclusion") == [
        ("Z1", "exclusion", D(2024, 10, 25, 21, 0), D(2024, 10, 26, 4, 50), 470.0),
        ("Z1", "exclusion", D(2024, 10, 28, 22, 0), D(2024, 10, 29, 5, 50), 470.0)]


@pytest.mark.parametrize("start, expected", [
    # Sat 26 Oct 22:00 BST (21:00 UTC) -> Sun 06:00 GMT (06:00 UTC): a 9-hour night.
    (D(2024, 10, 26, 18), (D(2024, 10, 26, 21), D(2024, 10, 27, 5, 50), 530.0)),
    # Sat 29 Mar 2025 22:00 GMT (22:00 UTC) -> Sun 06:00 BST (05:00 UTC): a 7-hour night.
    (D(2025, 3, 29, 18), (D(2025, 3, 29, 22), D(2025, 3, 30, 4, 50), 410.0)),
])
def test_overnight_window_on_the_night_the_clocks_change(ws, start, expected):
    zone = (PERSON, "Z1", "EXCLUSION", square_wkt(E0, N0, 200), date(2024, 1, 1), None, "ALL",
            "22:00", "06:00")
    put(ws, people=[ORDER], zones=[zone], pings=_utc_trail(start, 13, 10, E0, N0))
    store.run_breaches(ws)
    assert _episodes(ws, "exclusion") == [("Z1", "exclusion", *expected)]


def test_multipart_and_holed_zone(ws):
    # Part A: 400 m square with a 100 m square hole in the middle; part B: 200 m square 1 km
    # east. An hour in the hole: not inside. An hour 150 m east of A's centre: inside (50 m from
    # the hole's edge). An hour at B's centre: inside.
    a = square_wkt(E0, N0, 200, hole=50)[len("POLYGON"):]
    b = square_wkt(E0 + 1000, N0, 100)[len("POLYGON"):]
    zone = (PERSON, "Z1", "EXCLUSION", f"MULTIPOLYGON({a}, {b})", date(2024, 1, 1), None, "ALL",
            None, None)
    t0 = D(2024, 6, 12, 9, 0)
    pings = (walk(PERSON, t0, 60, 5, E0, N0) + walk(PERSON, t0 + timedelta(minutes=65), 50, 5, E0 + 5000, N0)
             + walk(PERSON, t0 + timedelta(minutes=120), 60, 5, E0 + 150, N0)
             + walk(PERSON, t0 + timedelta(minutes=185), 50, 5, E0 + 5000, N0)
             + walk(PERSON, t0 + timedelta(minutes=240), 60, 5, E0 + 1000, N0))
    put(ws, people=[ORDER], zones=[zone], pings=pings)
    store.run_breaches(ws)
    eps = store.episodes(ws, kind="exclusion")
    assert [(e["start_utc"], e["end_utc"]) for e in eps] == [
        (D(2024, 6, 12, 10, 0), D(2024, 6, 12, 11, 0)), (D(2024, 6, 12, 12, 0), D(2024, 6, 12, 13, 0))]
    assert eps[0]["max_depth_m"] == pytest.approx(50.0, abs=0.05)   # to the hole's edge
    assert eps[1]["max_depth_m"] == pytest.approx(100.0, abs=0.05)  # B's centre to its edge


@pytest.mark.parametrize("cell", [100, 37, 250])
def test_zone_edges_on_cell_edges(ws, cell):
    # A 300 m square whose edges lie on 100 m cell edges. 5 m inside (accuracy 3): inside;
    # 5 m outside and exactly on the edge: not. The cell size never changes the answer.
    x0, y0 = 505_000.0, 250_000.0
    zone = (PERSON, "Z1", "EXCLUSION", square_wkt(x0 + 150, y0 + 150, 150), date(2024, 1, 1),
            None, "ALL", None, None)
    t0 = D(2024, 6, 12, 9, 0)
    pings = (walk(PERSON, t0, 30, 5, x0 + 295, y0 + 150, acc=3.0)
             + walk(PERSON, t0 + timedelta(minutes=60), 30, 5, x0 + 305, y0 + 150, acc=3.0)
             + walk(PERSON, t0 + timedelta(minutes=120), 30, 5, x0 + 300, y0 + 100, acc=3.0))
    put(ws, people=[ORDER], zones=[zone], pings=pings)
    store.run_breaches(ws, Tags(zone_cell_m=cell))
    eps = store.episodes(ws, kind="exclusion")
    assert [(e["start_utc"], e["end_utc"], e["fixes"]) for e in eps] == [
        (D(2024, 6, 12, 8, 0), D(2024, 6, 12, 8, 30), 7)]
    assert eps[0]["max_depth_m"] == pytest.approx(5.0, abs=0.05)


def test_poor_accuracy_drift_is_not_a_breach(ws):
    # Fixes 30 m inside the edge but reporting 60 m accuracy: uncertain, no episode. The same
    # fixes reporting 10 m: two clear fixes, an episode.
    zone = (PERSON, "Z1", "EXCLUSION", square_wkt(E0, N0, 200), date(2024, 1, 1), None, "ALL",
            None, None)
    t0 = D(2024, 6, 12, 9, 0)
    drift = walk(PERSON, t0, 20, 5, E0 + 170, N0, acc=60.0)
    clear = walk(PERSON, t0 + timedelta(minutes=60), 20, 5, E0 + 170, N0, acc=10.0)
    away = walk(PERSON, t0 + timedelta(minutes=30), 20, 5, E0 + 1000, N0)
    put(ws, people=[ORDER], zones=[zone], pings=drift + away + clear)
    store.run_breaches(ws)
    assert _episodes(ws, "exclusion") == [
        ("Z1", "exclusion", D(2024, 6, 12, 9, 0), D(2024, 6, 12, 9, 20), 20.0)]


def test_curfew_absence_and_no_signal(ws):
    # Curfew at home (80 m square) 19:00-07:00. At home from 18:00, out 800 m east from 21:00 to
    # 21:50 (fixes every 5 minutes), home again; then silent from 23:00 to 00:30 (90 minutes).
    # 12 Jun 2024 is BST: 21:00 local = 20:00 UTC.
    zone = (PERSON, "H1", "INCLUSION", square_wkt(E0, N0, 40), date(2024, 1, 1), None, "ALL",
            "19:00", "07:00")
    t = D(2024, 6, 12, 18, 0)
    pings = (walk(PERSON, t, 175, 5, E0, N0, acc=30.0)
             + walk(PERSON, t + timedelta(minutes=180), 50, 5, E0 + 800, N0)
             + walk(PERSON, t + timedelta(minutes=235), 65, 5, E0, N0, acc=30.0)
             + walk(PERSON, t + timedelta(minutes=390), 60, 5, E0, N0, acc=30.0))
    put(ws, people=[ORDER], zones=[zone], pings=pings)
    store.run_breaches(ws)
    eps = store.episodes(ws)
    assert [(e["kind"], e["start_utc"], e["end_utc"], e["severity"]) for e in eps] == [
        ("inclusion", D(2024, 6, 12, 20, 0), D(2024, 6, 12, 20, 50), "medium"),
        ("no_signal", D(2024, 6, 12, 22, 0), D(2024, 6, 12, 23, 30), "medium")]
    assert eps[0]["max_depth_m"] == pytest.approx(760.0, abs=0.05)
    # A shorter silence than no_signal_minutes is not an episode.
    store.run_breaches(ws, Tags(no_signal_minutes=100))
    assert [e["kind"] for e in store.episodes(ws)] == ["inclusion"]


def test_alert_lifecycle(ws):
    zone = (PERSON, "Z1", "EXCLUSION", square_wkt(E0, N0, 200), date(2024, 1, 1), None, "ALL",
            None, None)
    put(ws, people=[ORDER], zones=[zone], pings=walk(PERSON, D(2024, 6, 12, 9), 30, 5, E0, N0))
    store.run_breaches(ws)
    (a,) = store.alerts(ws)
    assert a["state"] == "raised" and a["kind"] == "exclusion"
    with pytest.raises(store.TagError, match="note is required"):
        store.update_alert(ws, a["alert_id"], "acknowledged", "pat", "  ")
    with pytest.raises(store.TagError, match="can go to acknowledged, closed"):
        store.update_alert(ws, a["alert_id"], "actioned", "pat", "called")
    store.update_alert(ws, a["alert_id"], "acknowledged", "pat", "seen, checking")
    store.update_alert(ws, a["alert_id"], "actioned", "sam", "offender manager called")
    store.run_breaches(ws)  # a re-run finds the same episode: the alert keeps its state
    (b,) = store.alerts(ws)
    assert (b["alert_id"], b["state"], b["updated_by"]) == (a["alert_id"], "actioned", "sam")
    hist = store.alert_history(ws, a["alert_id"])
    assert [(h["user_name"], h["from_state"], h["to_state"]) for h in hist] == [
        ("pat", "raised", "acknowledged"), ("sam", "acknowledged", "actioned")]


def test_results_expire_with_the_source_retention(tmp_path):
    from vru.sources.retention import apply_retention

    data = dict(people=[ORDER], pings=walk(PERSON, D(2024, 6, 12, 9), 30, 5, E0, N0),
                crimes=[("C1", D(2024, 6, 12, 9, 10), None, E0, N0)],
                zones=[(PERSON, "Z1", "EXCLUSION", square_wkt(E0, N0, 200), date(2024, 1, 1),
                        None, "ALL", None, None)])
    w = new_workspace(tmp_path / "w")
    agree(w, months=36)     # June 2024 data kept to June 2027
    put(w, **data)
    store.run_match(w)
    store.run_breaches(w)
    assert w.scalar("SELECT DISTINCT expires_on FROM tag_matches") == date(2027, 6, 12)
    assert w.scalar("SELECT DISTINCT expires_on FROM tag_episodes") == date(2027, 6, 12)
    assert len(store.matches(w)) == 1 and len(store.alerts(w)) == 1
    apply_retention(w, as_of=date(2027, 6, 1))
    assert w.scalar("SELECT count(*) FROM tag_matches") == 1
    apply_retention(w, as_of=date(2027, 6, 12))
    assert sum(w.scalar(f"SELECT count(*) FROM {t}") for t in store.RESULT_TABLES) == 0
    w.close()
    # Under a 12-month agreement the same results are already past retention: none are kept.
    w = new_workspace(tmp_path / "w12")
    agree(w, months=12)
    put(w, **data)
    store.run_match(w)
    store.run_breaches(w)
    assert sum(w.scalar(f"SELECT count(*) FROM {t}") for t in store.RESULT_TABLES) == 0
    w.close()


def test_settings_are_validated():
    from vru.settings import Settings

    with pytest.raises(ValueError, match="tags settings"):
        Settings(tags=replace(Tags(), radius_m=0)).validate()
