"""Partner files: ED share unknown to police, identifier noise, EM and patrol truth; and every
partner folder imports through the data hub."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vru.geo.bng import to_bng
from vru.privacy.pseudonymise import normalise
from vru.synth.generate import generate
from vru.synth.params import SynthParams
from vru.testing import new_workspace


def _read_all(folder: Path, pattern: str = "*.csv") -> pd.DataFrame:
    frames = []
    for f in sorted(folder.rglob(pattern)):
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        df["file"] = f.relative_to(folder.parent).as_posix()
        df["row_number"] = np.arange(1, len(df) + 1)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def truth(world_dir):
    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(world_dir / "truth" / name, dtype=str, keep_default_na=False)
    return read


def test_ed_share_unknown_to_police_matches_setting(world_dir, truth, world_params):
    ed = _read_all(world_dir / "istv")
    links = truth("ed_links.csv")
    assert len(ed) == len(links) > 1000
    merged = ed.merge(links, on=["file", "record_ref"], validate="one_to_one")
    share = (merged.known_to_police == "N").mean()
    assert abs(share - world_params.partners.ed_unknown_to_police) < 0.03, share
    # The known ones really are in the force extract: same time, same place.
    rms = _read_all(world_dir / "police-rms")
    known = merged[merged.known_to_police == "Y"].merge(
        rms, left_on="police_crime_reference", right_on="crime_reference", validate="one_to_one")
    assert len(known) == (merged.known_to_police == "Y").sum()
    exact = known.committed_to.where(known.committed_to != "", known.committed_from)
    assert (pd.to_datetime(exact) == pd.to_datetime(known.assault_datetime_x)).all()
    located = known[known.easting_y != ""]
    d = np.hypot(located.easting_x.astype(float) - located.easting_y.astype(float),
                 located.northing_x.astype(float) - located.northing_y.astype(float))
    assert d.max() < 1.0
    # Arrival is after the assault and inside the file's reporting period.
    arr = pd.to_datetime(ed.arrival_datetime)
    assert (arr >= pd.to_datetime(ed.assault_datetime)).all()
    assert (arr >= pd.to_datetime(ed.period_start)).all()
    assert (arr < pd.to_datetime(ed.period_end) + pd.Timedelta(days=1)).all()


def test_sharp_object_admissions_of_under_25s(world_dir):
    adm = _read_all(world_dir / "admissions")
    sharp = adm[adm.icd10_cause.str.startswith("X99")]
    assert len(sharp) > 20
    assert (sharp.age.astype(int) < 25).mean() > 0.3
    assert (~adm.icd10_cause.str[:1].isin(["X", "Y"])).any()  # non-assault injuries too


def _with_truth(df: pd.DataFrame, source: str, truth) -> pd.DataFrame:
    links = truth("identity_links.csv")
    links = links[links.source == source].assign(row_number=lambda x: x.row_number.astype(int))
    people = truth("people.csv")
    out = df.merge(links, on=["file", "row_number"], validate="one_to_one").merge(
        people, on="person_id", suffixes=("", "_true"))
    assert len(out) == len(df)
    return out


def _close(observed: float, rate: float, n: int) -> bool:
    """Within 4 binomial standard errors (and 0.5 points) of the setting."""
    return abs(observed - rate) <= max(4 * np.sqrt(rate * (1 - rate) / n), 0.005)


def test_identifier_noise_matches_settings(world_dir, truth, world_params):
    noise = world_params.noise
    yj = _with_truth(_read_all(world_dir / "youth-justice"), "youth_justice", truth)
    n = len(yj)
    assert n > 300
    fore = (yj.forename != yj.forename_true).mean()
    sur = (yj.surname != yj.surname_true).mean()
    dob = (yj.date_of_birth != yj.date_of_birth_true).mean()
    pnc_missing = (yj.pnc_id == "").mean()
    assert _close(fore, noise.name_typo, n), fore
    assert _close(sur, noise.name_typo, n), sur
    assert _close(dob, noise.dob_error, n), dob
    assert _close(pnc_missing, noise.pnc_missing_youth_justice, n), pnc_missing
    given = yj[yj.pnc_id != ""]
    variant = (given.pnc_id != given.pnc_id_true).mean()
    assert _close(variant, noise.pnc_format_variant, len(given)), variant
    # A variant is the same PNC ID written differently: it normalises to the true one.
    assert all(normalise("pnc_id", [a]) == normalise("pnc_id", [b])
               for a, b in zip(given.pnc_id, given.pnc_id_true, strict=True))

    adm = _with_truth(_read_all(world_dir / "admissions"), "admissions", truth)
    missing = (adm.nhs_number == "").mean()
    assert _close(missing, noise.nhs_missing, len(adm)), missing
    present = adm[adm.nhs_number != ""]
    assert (present.nhs_number == present.nhs_number_true).all()

    edu = _with_truth(_read_all(world_dir / "education"), "education", truth)
    wrong = (edu.upn != edu.upn_true).mean()
    assert _close(wrong, noise.upn_typo, len(edu)), wrong


def test_em_planted_presence_and_breaches(world_dir, truth):
    pings = _read_all(world_dir / "em" / "pings")
    e, n = to_bng(pings.longitude.astype(float), pings.latitude.astype(float))
    pings = pings.assign(e=e, n=n, t=pd.to_datetime(pings.ping_time))
    presence = truth("em_presence.csv")
    for r in presence.itertuples():
        p = pings[pings.person_id == r.pnc_id]
        near = p[(p.t - pd.Timestamp(r.occurred_at)).abs() <= pd.Timedelta(minutes=20)]
        d = np.hypot(near.e - float(r.easting), near.n - float(r.northing))
        assert len(near) and d.min() < 60, r
    # Breaches: an hour of pings inside the person's exclusion zone (polygon from the file).
    zones = pd.read_csv(world_dir / "em" / "exclusion-zones.csv", dtype=str)
    breaches = truth("em_breaches.csv")
    assert len(breaches) > 0
    pid_to_pnc = truth("people.csv").set_index("person_id").pnc_id
    for b in breaches.itertuples():
        z = zones[zones.zone_id == b.zone_id].iloc[0]
        ring = np.array([[float(v) for v in xy.split()]
                         for xy in z.polygon_wkt[len("POLYGON(("):-2].split(",")])
        ze, zn = to_bng(ring[:, 0], ring[:, 1])
        p = pings[(pings.person_id == pid_to_pnc[b.person_id])
                  & (pings.t >= pd.Timestamp(b[3])) & (pings.t < pd.Timestamp(b.to))]
        # The zone is a regular 16-gon: inside its inscribed circle is inside the zone.
        ce, cn = ze[:-1].mean(), zn[:-1].mean()
        inscribed = np.hypot(ze - ce, zn - cn).min() * np.cos(np.pi / 16)
        inside = np.hypot(p.e - ce, p.n - cn) < inscribed
        assert len(p) >= 3 and inside.mean() > 0.8, b

    tagged = pd.read_csv(world_dir / "em" / "tagged-people.csv", dtype=str)
    assert set(zones.person_id) <= set(tagged.person_id)
    assert (tagged.order_type == "EXCLUSION").sum() == len(zones)


def test_patrols_at_patrolled_hotspots_and_true_effect(world_dir, truth, world_params):
    hs = truth("hotspots.csv")
    patrolled = hs[hs.patrolled == "Y"]
    assert len(patrolled) == world_params.crime.patrol_hotspots
    logs = _read_all(world_dir / "patrols", "patrol-logs-*.csv")
    assert set(logs.hotspot_id) == {f"HS{int(h):02d}" for h in patrolled.hotspot}
    assert (pd.to_datetime(logs.started_at) >= pd.Timestamp(patrolled.patrol_start.iloc[0])).all()
    # Ratio of ratios (patrolled vs not, patrol year vs before) recovers the planted effect.
    crimes = pd.concat(pd.read_csv(f, usecols=["occurred_at", "origin", "hotspot"])
                       for f in sorted((world_dir / "truth" / "crimes").glob("*.csv")))
    crimes = crimes[crimes.origin == "hotspot"]
    after = pd.to_datetime(crimes.occurred_at) >= pd.Timestamp(patrolled.patrol_start.iloc[0])
    treated = crimes.hotspot.isin(patrolled.hotspot.astype(int))
    rr = ((treated & after).sum() / (treated & ~after).sum()) / (
        (~treated & after).sum() / (~treated & ~after).sum())
    assert abs(rr - (1 - world_params.crime.patrol_effect)) < 0.12, rr


@pytest.mark.slow
def test_every_partner_folder_imports_through_the_hub(tmp_path, monkeypatch):
    """A small world, imported through the same code paths a user's files take."""
    from vru.privacy import agreements
    from vru.sources.contract import import_source
    from vru.sources.geography import import_geography
    from vru.sources.registry import SOURCES

    out = generate(tmp_path / "w", SynthParams(seed=5, scale=0.1, years=1)).out
    key = tmp_path / "key.txt"
    key.write_text("synthetic-world-test-key-0123456789")
    monkeypatch.setenv("VRU_KEY_FILE", str(key))
    monkeypatch.delenv("VRU_PSEUDONYM_KEY", raising=False)
    ws = new_workspace(tmp_path / "ws", area_name="Kingsmere")
    try:
        import_geography(ws, out / "geography")
        with ws.transaction() as con:
            for s in SOURCES:
                agreements.add(con, s, "Synthetic agency", "Serious Violence Duty", ["test"], 240)
        folders = {"police_rms": "police-rms", "istv": "istv", "admissions": "admissions",
                   "education": "education", "youth_justice": "youth-justice", "em_gps": "em",
                   "patrols": "patrols"}
        # The programme's returns need its interventions and grants first: the synthetic world
        # loads them the way a VRU would (setup through vru.programme, returns through the hub).
        assert set(folders) | {"programme"} == set(SOURCES)
        from vru.synth.programme import load_programme

        got = load_programme(ws, out / "programme")
        n_returns = sum(len(f.read_text().splitlines()) - 1
                        for f in (out / "programme" / "returns").rglob("*.csv"))
        assert sum(read for read, _, _ in got.values()) == n_returns > 0
        assert all(read == loaded + rejected for read, loaded, rejected in got.values()), got
        for name, folder in folders.items():
            s = import_source(ws, SOURCES[name], [out / folder])
            n_rows = sum(len(f.read_text().splitlines()) - 1
                         for f in (out / folder).rglob("*.csv"))
            assert s.rows_read == n_rows == s.rows_loaded + s.rows_rejected, name
        rejects = ws.sql("SELECT source, field, count(*) FROM rejects GROUP BY ALL")
        n_missing = sum((pd.read_csv(f, dtype=str, keep_default_na=False).nhs_number == "").sum()
                        for f in (out / "admissions").glob("*.csv"))
        assert rejects == ([("admissions", "nhs_number", n_missing)] if n_missing else [])
        # The same person links across sources through the keyed pseudonym of the PNC ID.
        linked = ws.scalar("""SELECT count(DISTINCT y.person_pid) FROM youth_justice_events y
                              JOIN crimes c ON c.suspect_pid = y.person_pid
                              WHERE y.pid_kind = 'pnc_id'""")
        assert linked > 0
    finally:
        ws.close()
    os.environ.pop("VRU_KEY_FILE", None)
