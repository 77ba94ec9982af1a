"""The synthetic world does what its ground truth says, read back from the files users get."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from vru.geo.bng import in_gb, to_bng
from vru.synth.crimes import CATEGORIES
from vru.synth.generate import generate
from vru.synth.params import SynthParams
from vru.synth.writers import sha256_tree

VIOLENCE = "Violence and sexual offences"


@pytest.fixture(scope="module")
def street(world_dir) -> pd.DataFrame:
    files = sorted((world_dir / "police-uk").rglob("*-street.csv"))
    return pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])


@pytest.fixture(scope="module")
def truth_crimes(world_dir) -> pd.DataFrame:
    files = sorted((world_dir / "truth" / "crimes").glob("*.csv"))
    return pd.concat([pd.read_csv(f, dtype={"force_ref": str, "police_uk_crime_id": str})
                      for f in files])


def test_geography_pack_is_fictional_and_in_gb(world_dir):
    lsoa = pd.read_csv(world_dir / "geography" / "lsoa.csv", dtype=str)
    lad = pd.read_csv(world_dir / "geography" / "lad.csv", dtype=str)
    assert len(lsoa) == 1000 and lsoa["lsoa_code"].is_unique
    assert lsoa["lsoa_code"].str.fullmatch(r"E0199\d{4}").all()
    assert lad["lad_code"].str.fullmatch(r"E0699\d{4}").all() and len(lad) == 5
    assert (lad["pfa_code"] == "E23990001").all()
    # police.uk-style names: the LA name then a 3-digit MSOA number and a letter.
    la_of = dict(zip(lad["lad_code"], lad["lad_name"], strict=True))
    rows = lsoa[["lsoa_code", "lsoa_name", "lad_code"]].itertuples(index=False)
    for code, name, lad_code in rows:
        assert name.rsplit(" ", 1)[0] == la_of[lad_code], (code, name)
        assert len(name.rsplit(" ", 1)[1]) == 4
    assert in_gb(lsoa["longitude"].astype(float), lsoa["latitude"].astype(float)).all()
    pop = pd.read_csv(world_dir / "geography" / "population.csv")
    p = pop[(pop.area_level == "lsoa") & (pop.year == 2021)]
    total = p[p.age_band == "all"].population.sum()
    assert total == p[p.age_band != "all"].population.sum()
    assert 1_200_000 < total < 1_800_000
    gj = json.loads((world_dir / "geography" / "lsoa_boundaries.geojson").read_text())
    assert {f["properties"]["lsoa_code"] for f in gj["features"]} == set(lsoa["lsoa_code"])


def test_geography_and_police_files_import_through_the_product(world_dir, workspace):
    from vru.sources.geography import import_geography
    from vru.sources.police_uk import import_police

    import_geography(workspace, world_dir / "geography")
    months = sorted((world_dir / "police-uk").iterdir())[:3]
    import_police(workspace, months)
    n_rows = sum(len(f.read_text().splitlines()) - 1 for m in months for f in m.glob("*.csv"))
    assert workspace.scalar("SELECT count(*) FROM crimes") == n_rows
    assert workspace.scalar("SELECT count(*) FROM rejects") == 0
    # Every located crime finds its local authority through the geography pack.
    located = workspace.sql("SELECT geo_method, count(*) FROM crimes_geo "
                            "WHERE longitude IS NOT NULL GROUP BY 1")
    assert [r[0] for r in located] == ["lookup"]


def test_police_uk_shape(street, world_params):
    assert list(street.columns) == [
        "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
        "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]
    asb = street["Crime type"] == "Anti-social behaviour"
    assert (street.loc[asb, "Crime ID"] == "").all()
    ids = street.loc[~asb, "Crime ID"]
    assert ids.str.fullmatch(r"[0-9a-f]{64}").all() and ids.is_unique
    no_loc = street["Longitude"] == ""
    share = no_loc.mean()
    assert abs(share - world_params.crime.no_location_share) < 0.003
    assert (street.loc[no_loc, "Location"] == "No location").all()
    assert street.loc[~no_loc, "Location"].str.startswith("On or near ").all()
    assert set(street["Crime type"]) == set(CATEGORIES)
    assert street["Month"].nunique() == 36


def test_planted_hotspots_are_the_top_cells(street, world_dir, world_params):
    """Count violence per 150 m cell from the snapped police.uk points: the busiest cells are
    the planted ones."""
    hs = pd.read_csv(world_dir / "truth" / "hotspots.csv")
    v = street[(street["Crime type"] == VIOLENCE) & (street["Longitude"] != "")]
    e, n = to_bng(v["Longitude"].astype(float), v["Latitude"].astype(float))
    size = 150
    cells = pd.Series(list(zip(np.floor(e / size).astype(int), np.floor(n / size).astype(int),
                               strict=True))).value_counts()
    k = len(hs)
    top = set(cells.index[:k])
    planted = set(zip(hs.cell_e // size, hs.cell_n // size, strict=True))
    assert k == world_params.crime.n_hotspots
    assert len(top & planted) >= k - 1, (len(top & planted), k)


def test_seasonality_matches_its_setting(street, world_params):
    """Poisson regression of monthly violence on a cosine/sine pair recovers the amplitude and
    the peak month (statsmodels, with log(days in month) as the exposure offset)."""
    import statsmodels.api as sm

    v = street[street["Crime type"] == VIOLENCE].groupby("Month").size()
    months = pd.PeriodIndex(v.index, freq="M")
    m = months.month.to_numpy()
    x = np.column_stack([np.cos(2 * np.pi * m / 12), np.sin(2 * np.pi * m / 12)])
    fit = sm.GLM(v.to_numpy(), sm.add_constant(x), family=sm.families.Poisson(),
                 offset=np.log(months.days_in_month.to_numpy())).fit()
    a, b = fit.params[1], fit.params[2]
    amplitude = np.hypot(a, b)            # log-scale amplitude ~ A for small A
    peak = (np.degrees(np.arctan2(b, a)) / 30) % 12
    assert fit.pvalues[1:].min() < 1e-6
    assert abs(amplitude - world_params.crime.seasonal_amplitude) < 0.04, amplitude
    assert abs(peak - world_params.crime.seasonal_peak_month) < 1.0, peak


def test_daily_and_weekly_cycles_match_the_profiles(truth_crimes, world_dir):
    prof = pd.read_csv(world_dir / "truth" / "profiles.csv")
    t = pd.to_datetime(truth_crimes.loc[truth_crimes.crime_type == VIOLENCE, "occurred_at"])
    observed = np.bincount(t.dt.hour, minlength=24)
    expected_share = prof[(prof.crime_type == VIOLENCE) & (prof.profile == "hour_share")]
    expected = expected_share.sort_values("index").value.to_numpy() * observed.sum()
    # Present: far from flat. Right: consistent with the configured profile.
    assert stats.chisquare(observed).pvalue < 1e-50
    assert stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > 1e-4
    assert np.argmax(observed) in (21, 22, 23, 0)
    dow = np.bincount(t.dt.day_of_week, minlength=7)
    assert dow[5] > 1.3 * dow[1]  # Saturday vs Tuesday


def test_deprivation_gradient(street, world_dir):
    dep = pd.read_csv(world_dir / "geography" / "deprivation.csv")
    pop = pd.read_csv(world_dir / "geography" / "population.csv")
    pop = pop[(pop.area_level == "lsoa") & (pop.year == 2021) & (pop.age_band == "all")]
    v = street[(street["Crime type"] == VIOLENCE) & (street["LSOA code"] != "")]
    counts = v.groupby("LSOA code").size().rename("n")
    df = dep.merge(pop, left_on="lsoa11_code", right_on="area_code").merge(
        counts, left_on="lsoa11_code", right_index=True, how="left").fillna({"n": 0})
    by = df.groupby("imd_decile")[["n", "population"]].sum()
    rate = by.n / by.population
    rho = stats.spearmanr(by.index, rate).statistic
    assert rho < -0.8, rate  # decile 1 (most deprived) has the highest rate


def test_self_excitation_share(truth_crimes, world_params):
    share = (truth_crimes.origin == "offspring").mean()
    assert abs(share - world_params.crime.branching_ratio) < 0.02
    # Offspring happen after, and near, their parents.
    kids = truth_crimes[truth_crimes.origin == "offspring"]
    pairs = kids.merge(truth_crimes, left_on="parent_uid", right_on="uid", suffixes=("", "_p"))
    assert len(pairs) > 0.9 * len(kids)  # parents from the burn-in months are not in the files
    assert (pd.to_datetime(pairs.occurred_at) >= pd.to_datetime(pairs.occurred_at_p)).all()
    d = np.hypot(pairs.easting - pairs.easting_p, pairs.northing - pairs.northing_p)
    assert abs(np.median(d) - world_params.crime.offspring_sd_m * np.sqrt(2 * np.log(2))) < 20


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path):
    """sha256 of every file: same seed, same bytes, also from another process with another
    string-hash seed (`vru synth`); another seed, other bytes."""
    import os
    import subprocess
    import sys

    small = dict(scale=0.05, years=1)
    a = sha256_tree(generate(tmp_path / "a", SynthParams(seed=3, **small)).out)
    subprocess.run([sys.executable, "-m", "vru.cli", "synth", str(tmp_path / "b"), "--seed", "3",
                    "--scale", "0.05", "--years", "1"], check=True, capture_output=True,
                   env={**os.environ, "PYTHONHASHSEED": "12345"})
    b = sha256_tree(tmp_path / "b")
    c = sha256_tree(generate(tmp_path / "c", SynthParams(seed=4, **small)).out)
    assert a == b and len(a) > 20
    assert a != c


def test_refuses_to_overwrite_a_foreign_folder(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        generate(tmp_path, SynthParams(scale=0.05, years=1))
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_cli_synth(tmp_path):
    from typer.testing import CliRunner

    from vru.cli import app

    res = CliRunner().invoke(app, ["synth", str(tmp_path / "w"), "--seed", "2", "--scale", "0.05",
                                   "--years", "1"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "w" / "truth" / "parameters.json").exists()
    params = json.loads((tmp_path / "w" / "truth" / "parameters.json").read_text())["params"]
    assert params["seed"] == 2 and params["scale"] == 0.05
    first = next(Path(tmp_path / "w" / "police-uk").rglob("*.csv"))
    rows = list(csv.reader(first.read_text().splitlines()))
    assert rows[0][0] == "Crime ID" and len(rows) > 100


def test_every_parameter_is_documented():
    from dataclasses import fields, is_dataclass

    from tests.conftest import ROOT

    def keys(obj, prefix=""):
        out = []
        for f in fields(obj):
            v = getattr(obj, f.name)
            out += keys(v, f"{prefix}{f.name}.") if is_dataclass(v) else [prefix + f.name]
        return out

    page = (ROOT / "docs" / "guide" / "synth.md").read_text()
    missing = [k for k in keys(SynthParams()) if f"`{k}`" not in page]
    assert not missing, f"parameters missing from docs/guide/synth.md: {missing}"


def test_set_parameters_from_text():
    p = SynthParams()
    p.set("partners.ed_unknown_to_police", "0.8")
    p.set("crime.n_hotspots", "12")
    p.set("partners.order_days", "7,21")
    assert (p.partners.ed_unknown_to_police, p.crime.n_hotspots) == (0.8, 12)
    assert p.partners.order_days == (7, 21)
    for bad in ("nope", "crime.nope", "crime", "crime.n_hotspots.x"):
        with pytest.raises(ValueError):
            p.set(bad, "1")
    with pytest.raises(ValueError, match="not a valid int"):
        p.set("crime.n_hotspots", "many")


def test_months_split_into_slices_stay_consistent(tmp_path, monkeypatch):
    """Big worlds cut each month into slices (bounded memory); files must not notice."""
    import vru.synth.crimes as crimes

    monkeypatch.setattr(crimes, "SLICE_EVENTS", 600)  # several slices a month at this scale
    out = generate(tmp_path / "w", SynthParams(seed=9, scale=0.1, years=1)).out
    for f in sorted((out / "truth" / "crimes").glob("*.csv")):
        t = pd.read_csv(f, usecols=["uid", "occurred_at"])
        assert (pd.to_datetime(t.occurred_at).dt.strftime("%Y-%m") == f.stem).all(), f.name
        assert t.uid.is_unique
        street = pd.read_csv(out / "police-uk" / f.stem / f"{f.stem}-kingsmere-street.csv",
                             dtype=str, keep_default_na=False)
        assert len(street) == len(t) and (street["Month"] == f.stem).all()
        assert street.columns[0] == "Crime ID"  # one header, later slices appended
    rms_files = sorted((out / "police-rms").glob("*.csv"))
    rms = pd.concat(pd.read_csv(f, dtype=str, keep_default_na=False).assign(
        file=f"police-rms/{f.name}", row_number=lambda d: range(1, len(d) + 1))
        for f in rms_files)
    assert rms.crime_reference.is_unique
    # Row numbers in the identity links still point at the suspects' rows.
    links = pd.read_csv(out / "truth" / "identity_links.csv")
    links = links[links.source == "police_rms"].merge(rms, on=["file", "row_number"])
    assert len(links) == (rms.suspect_id != "").sum() > 0
    assert (links.suspect_id != "").all()
    ed = [f.name for f in (out / "istv").rglob("*.csv")]
    assert len(ed) == len(set(ed)) <= 24  # one submission per site and month
