"""Concentration table/curve and Gini against textbook formulas; the harm table (default and a
user replacement)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import shared_path
from vru.analysis.hotspots import concentration as conc
from vru.analysis.hotspots import harm
from vru.settings import POLICE_UK_CRIME_TYPES


def test_gini_equals_mean_absolute_difference_formula():
    rng = np.random.default_rng(0)
    for _ in range(5):
        v = rng.gamma(0.5, 3.0, 200)
        ref = np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) ** 2 * v.mean())
        assert conc.gini(v) == pytest.approx(ref, rel=1e-9)
    assert conc.gini(np.ones(50)) == pytest.approx(0.0, abs=1e-12)
    one = np.zeros(100)
    one[7] = 5
    assert conc.gini(one) == pytest.approx(1 - 1 / 100)


def test_share_of_harm_at_known_shares():
    # 100 equal cells: 2 cells hold 50 each of 200 harm, 98 cells hold 100/98 each
    v = np.concatenate([[50.0, 50.0], np.full(98, 100 / 98)])
    t = conc.harm_share_at(v, shares_pct=(1, 2, 10))
    assert t["harm_pct"].tolist() == pytest.approx([25.0, 50.0, 50 + 8 * 100 / 98 / 2])
    assert t["units"].tolist() == [1, 2, 10]
    assert conc.area_for_harm(v, harm_pct=50) == pytest.approx(2.0)


def test_unequal_areas_rank_by_density():
    v = np.array([10.0, 10.0])
    a = np.array([1.0, 4.0])
    curve = conc.concentration_curve(v, a)
    assert curve["unit"].tolist() == [0, 1]
    assert curve["area_share"].tolist() == pytest.approx([0.2, 1.0])
    assert curve["harm_share"].tolist() == pytest.approx([0.5, 1.0])


def test_default_harm_table_covers_every_police_uk_category():
    assert set(POLICE_UK_CRIME_TYPES) <= set(harm.DEFAULT_HARM)
    w = harm.harm_weights(["Robbery", "Shoplifting", "Robbery"])
    assert w.tolist() == [harm.DEFAULT_HARM["Robbery"], 1.0, harm.DEFAULT_HARM["Robbery"]]
    # the ordering a harm index must respect
    d = harm.DEFAULT_HARM
    assert d["Robbery"] > d["Violence and sexual offences"] > d["Public order"] > d["Shoplifting"]
    with pytest.raises(harm.HarmTableError, match="Made-up crime"):
        harm.harm_weights(["Made-up crime"])


def test_shared_cchi_table_replaces_the_default():
    path = shared_path("weights", "cchi-third-party", "cchi_weights.csv")
    table = harm.load_harm_table(path)
    raw = pd.read_csv(path)
    raw["w"] = raw["cchi_days"] * raw["national_count_2024_25"]
    g = raw.groupby("category")
    ref = (g["w"].sum() / g["national_count_2024_25"].sum()).to_dict()
    assert table == pytest.approx(ref)
    assert table != harm.DEFAULT_HARM
    w = harm.event_weights(["Robbery", "Drugs"], "harm", table)
    assert w.tolist() == pytest.approx([ref["Robbery"], ref["Drugs"]])


def test_bad_harm_table_names_file_row_and_field(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("category,weight\nRobbery,365\nDrugs,lots\n")
    with pytest.raises(harm.HarmTableError, match=r"h\.csv: row 2, field 'weight'"):
        harm.load_harm_table(p)
    p.write_text("crime,weight\nRobbery,1\n")
    with pytest.raises(harm.HarmTableError, match="no 'category' column"):
        harm.load_harm_table(p)
