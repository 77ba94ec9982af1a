"""Linkage quality against the planted truth of the synthetic identities (Splink on DuckDB and
the deterministic baseline, in one run), at default and double noise."""

from __future__ import annotations

import pytest
from splink import DuckDBAPI

from vru.linkage.quality import run_quality
from vru.synth.identities import IdentityParams, build_people, make_records, synthetic_linkage_set

KEY = b"quality-test-key-0123456789"


@pytest.fixture(scope="module")
def default_noise():
    recs, _ = synthetic_linkage_set(people=4000, seed=3)
    return run_quality(recs, KEY, DuckDBAPI(), threshold=0.99)


def test_splink_beats_the_baseline_at_default_noise(default_noise):
    r = default_noise
    assert r.splink.f1 >= 0.97, r.splink
    assert r.baseline.f1 < r.splink.f1
    # Recall at (at least) the baseline's precision is clearly higher.
    eq = r.equal_precision
    assert eq["splink_recall"] is not None and eq["splink_precision"] >= eq["baseline_precision"]
    assert eq["splink_recall"] >= eq["baseline_recall"] + 0.03, eq
    assert r.splink.bcubed_f1 >= 0.97
    assert not r.params.check()


def test_errors_broken_down_by_origin_and_sex(default_noise):
    r = default_noise
    assert set(r.by_origin["group"]) >= {"white_british", "south_asian", "black_african",
                                          "eastern_european"}
    assert set(r.by_sex["group"]) == {"F", "M"}
    assert r.by_origin["records"].sum() == r.records == r.by_sex["records"].sum()
    # No group is failed badly: every origin's B-cubed F1 within 0.05 of the whole.
    assert (r.by_origin["bcubed_f1"] >= r.splink.bcubed_f1 - 0.05).all(), r.by_origin


def test_double_noise():
    recs, _ = synthetic_linkage_set(people=4000, seed=4, noise_scale=2.0)
    r = run_quality(recs, KEY, DuckDBAPI(), threshold=0.99)
    assert r.splink.f1 >= 0.90, r.splink
    assert r.splink.recall > r.baseline.recall + 0.08


def test_identities_truth_and_noise_rates():
    p = IdentityParams(seed=5, people=6000)
    people = build_people(p)
    assert people["person_id"].is_unique
    twins = people[people["twin_of"] != ""]
    assert len(twins) > 10
    sib = people.set_index("person_id").loc[twins["twin_of"]]
    assert (sib["dob"].to_numpy() == twins["dob"].to_numpy()).all()
    assert (sib["surname"].to_numpy() == twins["surname"].to_numpy()).all()
    assert (sib["forename"].to_numpy() != twins["forename"].to_numpy()).all()
    ns = people[people["namesake_of"] != ""]
    other = people.set_index("person_id").loc[ns["namesake_of"]]
    assert (other["forename"].to_numpy() == ns["forename"].to_numpy()).all()
    assert len(set(people["origin"])) == 8
    recs = make_records(people, p)
    assert recs["record_id"].is_unique
    # One record per file row and person on it (a police row: its suspect and its victim).
    assert recs.groupby(["file", "row_number", "source"]).size().max() == 1
    assert recs.groupby(["file", "row_number"]).size().max() == 2
    assert set(recs["person_id"]) <= set(people["person_id"])
    typo = recs["noise"].str.contains("typo").mean()
    assert 0.04 < typo < 0.12   # two name fields at 4% each, plus identifier typos
    dob_wrong = (recs["noise"].str.contains("dob")).mean()
    assert 0.01 < dob_wrong < 0.04
    assert (recs["postcode"] == "").mean() == pytest.approx(0.10, abs=0.02)
    double = make_records(people, IdentityParams(seed=5, people=6000,
                                                 noise=p.noise.__class__(scale=2.0)))
    assert (double["postcode"] == "").mean() == pytest.approx(0.20, abs=0.02)
    assert set(recs["source"]) == {"police_rms", "police_rms:victim", "admissions", "education",
                                   "youth_justice", "em_gps", "programme"}
    # Victims and referrals are people of the same world, carrying its noise, with no PNC ID
    # for victims; a share of each also appears in other sources.
    vic = recs[recs["source"] == "police_rms:victim"]
    assert len(vic) > 500 and (vic["pnc_id"] == "").all()
    assert vic["noise"].str.contains("typo").mean() > 0.03
    prog = recs[recs["source"] == "programme"]
    assert len(prog) > 100 and prog["person_id"].isin(recs.loc[recs["source"] == "education",
                                                                "person_id"]).mean() > 0.4
