"""Matches and episodes against the synthetic scenario's truth (computed from the true paths),
at the default settings, and the incremental run equal to a full one."""

from __future__ import annotations

import shutil

import pandas as pd

from tests.tags.conftest import KEY, load_scenario
from vru.analysis.tags import evaluate, store
from vru.sources.contract import import_source
from vru.sources.registry import SOURCES
from vru.testing import new_workspace


def _truth(folder):
    t = lambda n: pd.read_csv(folder / "truth" / n, dtype=str).fillna("")  # noqa: E731
    ep = t("tags_episodes.csv")
    ep["start"], ep["end"] = pd.to_datetime(ep.start_utc), pd.to_datetime(ep.end_utc)
    return t("tags_presence.csv"), t("tags_crimes.csv"), ep


def found_matches(ws, pnc):
    m = pd.DataFrame(store.matches(ws))
    return m.assign(crime_reference=m.crime_id, person_id=m.person_pid.map(pnc))


def found_episodes(ws, pnc):
    e = pd.DataFrame(store.episodes(ws))
    return e.assign(person_id=e.person_pid.map(pnc), start=e.start_utc, end=e.end_utc,
                    zone_id=e.zone_id.fillna(""))


def test_matches_and_episodes_against_truth(scenario_ws, scenario_dir, pnc_of):
    ws, pnc = scenario_ws, pnc_of(scenario_dir)
    store.run_match(ws)
    store.run_breaches(ws)
    presence, crimes, episodes = _truth(scenario_dir)
    assert len(presence) > 50 and (presence.robust == "Y").sum() > 40
    m = evaluate.score_matches(found_matches(ws, pnc), presence, crimes)
    assert m.true > 40 and m.precision >= 0.99 and m.recall >= 0.99, m.as_dict()
    # Every planted kind is exercised and judged correctly: scenes passed between two fixes are
    # found, near misses in time and place and crimes after the order ended are not.
    got = {(c, p) for c, p in zip(found_matches(ws, pnc).crime_reference,
                                  found_matches(ws, pnc).person_id, strict=True)}
    kinds = crimes.set_index("crime_reference").kind
    between = presence[presence.crime_reference.map(kinds).eq("between_fixes")
                       & presence.robust.eq("Y") & presence.observable.eq("Y")]
    assert len(between) >= 5
    assert all((c, p) in got for c, p in zip(between.crime_reference, between.person_id,
                                             strict=True))
    ended = crimes[crimes.kind == "order_ended"].crime_reference
    assert len(ended) and not any(c in set(ended) for c, _ in got)
    ep = found_episodes(ws, pnc)
    for kind in ("exclusion", "inclusion", "no_signal"):
        s = evaluate.score_episodes(ep[ep.kind == kind], episodes[episodes.kind == kind])
        assert s.true >= 5 and s.precision >= 0.99 and s.recall >= 0.99, (kind, s.as_dict())
    # Presence only a silence hid is reported as "whereabouts unknown", never as absent.
    u = pd.DataFrame(store.unknowns(ws))
    u = u.assign(crime_reference=u.crime_id, person_id=u.person_pid.map(pnc))
    assert evaluate.score_unknowns(u, presence).recall == 1.0


def _results(ws) -> list[list[dict]]:
    every = lambda t: store._rows(ws, f"SELECT * EXCLUDE (run_id) FROM {t} ORDER BY ALL")  # noqa: E731
    return [every(t) for t in ("tag_matches", "tag_match_evidence", "tag_unknowns", "tag_episodes")]


def test_batches_of_people_give_the_same_answer(scenario_ws, monkeypatch):
    # Memory stays bounded because the per-fix work runs one batch of people at a time; the
    # answer must not depend on how the people are batched.
    ws = scenario_ws
    monkeypatch.setattr(store, "BATCH_FIXES", 10**9)
    assert len(store._person_batches(ws.reader(), store.tsql.Sources())) == 1
    store.run_match(ws, incremental=False)
    store.run_breaches(ws)
    one = _results(ws)
    monkeypatch.setattr(store, "BATCH_FIXES", 5000)  # a few people per batch
    assert len(store._person_batches(ws.reader(), store.tsql.Sources())) > 3
    store.run_match(ws, incremental=False)
    store.run_breaches(ws)
    many = _results(ws)
    assert [len(t) for t in many] == [len(t) for t in one] and all(len(t) for t in one)
    assert many == one


def test_incremental_equals_full(tmp_path, scenario_dir, pnc_of, monkeypatch):
    # Pings arrive month by month and crimes later: each run only redoes the affected pairs
    # (in batches of a few people, as at force scale).
    monkeypatch.setattr(store, "BATCH_FIXES", 5000)
    part = tmp_path / "part"
    shutil.copytree(scenario_dir / "em", part / "em")
    later = tmp_path / "later"
    (later / "em" / "pings").mkdir(parents=True)
    for f in sorted((part / "em" / "pings").glob("*.csv")):
        rows = pd.read_csv(f, dtype=str)
        late = rows.ping_time >= "2024-10-27 12:00"
        rows[~late].to_csv(f, index=False)
        rows[late].to_csv(later / "em" / "pings" / f"late-{f.name}", index=False)
    assert late.sum() > 1000
    shutil.copytree(scenario_dir / "police-rms", part / "police-rms")
    ws = new_workspace(tmp_path / "ws")
    load_scenario(ws, part)
    first = store.run_match(ws)
    assert first.mode == "full"
    import_source(ws, SOURCES["em_gps"], [later / "em"], key=KEY.encode())
    second = store.run_match(ws)
    assert second.mode == "incremental"
    inc = pd.DataFrame(store.matches(ws))
    inc_u = pd.DataFrame(store.unknowns(ws))
    full = store.run_match(ws, incremental=False)
    assert full.mode == "full"
    again = pd.DataFrame(store.matches(ws))
    pd.testing.assert_frame_equal(inc.reset_index(drop=True), again.reset_index(drop=True))
    pd.testing.assert_frame_equal(inc_u.reset_index(drop=True),
                                  pd.DataFrame(store.unknowns(ws)).reset_index(drop=True))
    assert len(inc) > 20
    ws.close()
