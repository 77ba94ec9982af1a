"""The synthetic world runs a programme: realistic funnels, attendance, reach, funding at
realistic scale, a planted effect recorded as ground truth, and everything loads through the
same API and importers a VRU uses, with the ledger reconciling."""

from __future__ import annotations

import csv
from datetime import date

import numpy as np
import pytest

from vru.programme import reconcile, stats
from vru.synth import programme as sp
from vru.synth.generate import generate
from vru.synth.params import SynthParams
from vru.testing import new_workspace


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("progsynth") / "world"
    generate(out, SynthParams(seed=5, scale=0.05), crime_truth=False)
    return out


def _csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_truth_records_the_planted_effect(world):
    effects = {r["intervention_code"]: r["true_effect"] for r in
               _csv(world / "truth" / "programme_effects.csv")}
    assert effects["MENT"] == "0.79" and effects["FD"] == "0.67" and effects["AENAV"] == "1.00"
    parts = _csv(world / "truth" / "programme_participants.csv")
    applied = [p for p in parts if p["true_effect_applied"] != "1.00"]
    assert applied, "some completers of effective interventions"
    assert all(p["final_status"] == "completed" and p["engaged_date"] for p in applied)
    assert all(p["true_effect_applied"] == effects[p["intervention_code"]] for p in applied)
    # Nobody who declined or dropped out carries an effect.
    assert all(p["true_effect_applied"] == "1.00" for p in parts if p["final_status"] != "completed")


def test_activity_scale_applies_from_the_start_date():
    from vru.synth.people import build_people
    from vru.synth.world import build_world

    p = SynthParams(seed=5, scale=0.05)
    world = build_world(p)
    people = build_people(world, p)
    pw = sp.build_programme(world, people, p)
    person, eff = next(iter(pw.effects.items()))
    d0, mult = eff[0]
    before = np.datetime64(d0, "M") - np.timedelta64(1, "M")
    after = np.datetime64(d0, "M") + np.timedelta64(2, "M")
    assert pw.activity_scale(before)[person] == 1.0
    assert pw.activity_scale(after)[person] == pytest.approx(np.prod(
        [m for d, m in eff if d <= after.astype("datetime64[D]")]))
    assert mult < 1.0
    untouched = np.setdiff1d(np.arange(len(people)), list(pw.effects))
    assert np.all(pw.activity_scale(after)[untouched] == 1.0)


def test_programme_loads_and_reconciles(world, tmp_path, key_env):
    ws = new_workspace(tmp_path / "ws")
    try:
        out = sp.load_programme(ws, world / "programme")
        for label, (read, loaded, rejected) in out.items():
            assert read == loaded + rejected and rejected == 0, label
        truth = _csv(world / "truth" / "programme_participants.csv")
        assert ws.scalar("SELECT count(*) FROM prog_referrals") == len(truth)
        final = dict(ws.sql("SELECT provider_ref, status FROM prog_referrals"))
        asof = {r["provider_ref"]: r["final_status"] for r in truth
                if not r["ended_date"] or r["ended_date"] <= "2024-03-31"}
        assert all(final[k] == v for k, v in asof.items())
        errors = [f for f in reconcile.check(ws) if f.severity == "error"]
        assert errors == []
        assert {f.rule for f in reconcile.check(ws)} >= {"spend_over_allocation_flagged"}
        c = reconcile.conservation(ws)
        assert c["spent_pence"] + c["left_pence"] == c["received_from_funders_pence"] \
            == 3 * sp.HO_GRANT
        f = stats.funnel(ws)
        conv = [s["conversion_pct"] for s in f["stages"]][1:]
        # Realistic drop-out: each stage loses people; about 1 in 3 referrals completes.
        assert 80 <= conv[0] <= 100 and 60 <= conv[1] <= 92 and 55 <= conv[2] <= 95
        assert 0.2 <= f["stages"][-1]["referrals"] / f["stages"][0]["referrals"] <= 0.5
        assert ws.scalar("SELECT count(*) FROM prog_attendance") > 0
        assert ws.scalar("SELECT sum(people) FROM prog_reach") > 0
        assert date(2021, 4, 1) <= ws.scalar("SELECT min(referral_date) FROM prog_referrals")
    finally:
        ws.close()
