"""Knox: agreement with pointpats on the same data, band tables against a brute-force count, a
planted near-repeat pattern, and the NYC shootings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pointpats.spacetime import Knox

from tests.conftest import shared_path
from vru.analysis.hotspots import near_repeat as nr


def _events(n=600, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 5000, n)
    y = rng.uniform(0, 5000, n)
    t = rng.integers(0, 365, n).astype(float)
    # near repeats: 80 follow-ups within 50 m and 5 days of an earlier event
    src = rng.integers(0, n, 80)
    x = np.concatenate([x, x[src] + rng.normal(0, 20, 80)])
    y = np.concatenate([y, y[src] + rng.normal(0, 20, 80)])
    t = np.concatenate([t, t[src] + rng.integers(1, 6, 80)])
    return x, y, t


@pytest.mark.parametrize(("delta", "tau"), [(100.0, 7.0), (250.0, 30.0)])
def test_knox_global_agrees_with_pointpats(delta, tau):
    x, y, t = _events()
    np.random.seed(123)
    ref = Knox(np.column_stack([x, y]), t[:, None].copy(), delta=delta, tau=tau,
               permutations=49, keep=True)
    ours = nr.knox_global(x, y, t, delta, tau, permutations=49,
                          rng=np.random.RandomState(123))
    assert ours["nst"] == ref.nst
    assert np.allclose(ours["observed"], ref.observed)
    assert np.allclose(ours["expected"], ref.expected)
    # same random stream: identical permutation distribution and pseudo p-value
    assert np.array_equal(np.sort(ours["sims"]), np.sort(ref.sim))
    assert ours["p_sim"] == pytest.approx(ref.p_sim)


def test_knox_table_equals_brute_force_counts():
    x, y, t = _events(n=300, seed=3)
    dband, tband = [50.0, 100.0, 200.0], [3.0, 7.0, 14.0]
    r = nr.knox(x, y, t, dband, tband, permutations=9, seed=1)
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    dt = np.abs(t[:, None] - t[None, :])
    iu = np.triu_indices(len(x), 1)
    d, dt = d[iu], dt[iu]
    lows_d, lows_t = [-1.0, 50.0, 100.0], [-1.0, 3.0, 7.0]
    for a in range(3):
        for b in range(3):
            want = ((d > lows_d[a]) & (d <= dband[a]) & (dt > lows_t[b]) & (dt <= tband[b])).sum()
            assert r.observed[a, b] == want


def test_knox_table_bands_agree_with_pointpats_cumulative_counts():
    # pointpats counts pairs within (delta, tau); our table summed over the bands up to those
    # edges must give the same number
    x, y, t = _events(n=400, seed=7)
    r = nr.knox(x, y, t, [100.0, 200.0], [7.0, 14.0], permutations=0)
    ref = Knox(np.column_stack([x, y]), t[:, None].copy(), delta=200.0, tau=14.0,
               permutations=0)
    assert r.observed.sum() == ref.nst


def test_planted_near_repeats_are_detected_and_reported():
    x, y, t = _events(n=2000, seed=2)
    r = nr.knox(x, y, t, [50, 100, 200, 400], [7, 14, 30], permutations=99, seed=0)
    assert r.ratio[0, 0] > 2 and r.p_value[0, 0] <= 0.02
    # far bands carry no planted pairs: no strong excess there
    assert r.ratio[3, 2] < 1.3
    text = r.summary()
    assert text[0].startswith(f"Within 50 m and 7 days of an event there were "
                              f"{r.observed[0, 0]} pairs")
    assert r.observed.dtype.kind == "i"
    assert "more than expected" in text[0]
    assert set(r.long_table().columns) >= {"distance", "time", "observed", "expected", "ratio"}


def test_random_times_show_no_near_repeat():
    rng = np.random.default_rng(9)
    n = 3000
    r = nr.knox(rng.uniform(0, 3000, n), rng.uniform(0, 3000, n), rng.integers(0, 700, n),
                [100, 200], [7, 14], permutations=99, seed=4)
    assert (r.p_value > 0.001).all()
    assert np.all(np.abs(r.ratio - 1) < 0.25)


def test_nyc_shootings_near_repeats():
    path = shared_path("events", "nyc-shootings", "nyc_shootings_2006-01_2023-06.csv.gz")
    df = pd.read_csv(path, usecols=["INCIDENT_KEY", "OCCUR_DATE", "X_COORD_CD", "Y_COORD_CD"])
    df = df.drop_duplicates("INCIDENT_KEY").dropna()
    ft = 0.3048006096  # US survey foot (EPSG:2263) in metres
    t = (pd.to_datetime(df["OCCUR_DATE"]) - pd.Timestamp("2006-01-01")).dt.days.to_numpy()
    r = nr.knox(df["X_COORD_CD"].to_numpy() * ft, df["Y_COORD_CD"].to_numpy() * ft, t,
                [100, 200, 300, 400], [7, 14, 21, 28], permutations=99, seed=0)
    print("\n" + r.table("ratio").round(2).to_string())
    print("\n".join(r.summary()))
    assert r.n_events > 20_000
    # shootings are known to near-repeat (Ratcliffe and Rengert 2008): the closest band is
    # well above chance
    assert r.ratio[0, 0] > 1.5 and r.p_value[0, 0] <= 0.01


def test_month_only_data_gets_month_bands_and_a_same_and_next_month_headline():
    rng = np.random.default_rng(5)
    n = 800
    x, y = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n)
    m = rng.integers(0, 24, n).astype(float)
    # 120 repeats: within 40 m, in the same month or the next
    src = rng.integers(0, n, 120)
    x = np.concatenate([x, x[src] + rng.normal(0, 15, 120)])
    y = np.concatenate([y, y[src] + rng.normal(0, 15, 120)])
    m = np.concatenate([m, m[src] + rng.integers(0, 2, 120)])
    bands = nr.default_time_bands("months")
    assert bands == (0.0, 1.0, 2.0, 3.0)
    assert nr.default_time_bands("days") == (7.0, 14.0, 21.0, 28.0)
    r = nr.knox(x, y, m, [100, 200], bands, permutations=49, units=("m", "months"))
    assert list(r.table().columns) == ["same month", "1 month apart", "2 months apart",
                                       "3 months apart"]
    # every band holds pairs (no "7/14/21/28 months" bands, half of them empty)
    assert (r.observed[0] > 0).all()
    # the brute-force count of same-month pairs within 100 m
    d = np.hypot(x[:, None] - x[None], y[:, None] - y[None])
    iu = np.triu_indices(len(x), 1)
    same = ((d[iu] <= 100) & (m[:, None] == m[None])[iu]).sum()
    assert r.observed[0, 0] == same
    head = r.summary()[0]
    assert head.startswith("Events carry months only")
    assert f"{same} pairs same month" in head and "pairs 1 month apart" in head
    assert "days" not in head
