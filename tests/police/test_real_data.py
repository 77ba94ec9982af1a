"""The real data.police.uk files in ../shared/data (skipped when absent)."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.conftest import shared_path
from vru.sources.geography import import_geography
from vru.sources.police_uk import import_police
from vru.testing import new_workspace

pytestmark = pytest.mark.slow


def _file_rows(folder) -> int:
    total = 0
    for f in sorted(folder.glob("*.csv.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            import csv

            total += sum(1 for _ in csv.reader(fh)) - 1
    return total


def _ons_lsoa_to_lad() -> dict[str, str]:
    """The ONS lookup read independently (Python json, not our DuckDB loader)."""
    out: dict[str, str] = {}
    for vintage in ("21", "11"):
        path = shared_path("geography", "lsoa", f"lsoa{vintage}_boundaries_ew.geojson.gz")
        with gzip.open(path, "rt") as fh:
            for feat in json.load(fh)["features"]:
                p = feat["properties"]
                out.setdefault(p[f"LSOA{vintage}CD"], p["LADCD_ACTIVE"])
    return out


@pytest.fixture(scope="module")
def ons_lookup():
    return _ons_lsoa_to_lad()


@pytest.fixture(scope="module")
def bedfordshire(tmp_path_factory):
    root = shared_path("police-uk", "bedfordshire")
    ws = new_workspace(tmp_path_factory.mktemp("beds") / "ws", area_name="Bedfordshire")
    first = import_police(ws, [root])
    yield ws, root, first
    ws.close()


def test_bedfordshire_counts_equal_the_files(bedfordshire):
    ws, root, first = bedfordshire
    expected = {"street": 182_113, "outcomes": 150_417, "stop_search": 11_810}
    # The documented counts are also what the files hold (counted independently here).
    assert _file_rows(root / "street") == expected["street"]
    kinds = first.by_kind()
    assert {k: v["read"] for k, v in kinds.items()} == expected
    assert {k: v["loaded"] + v["rejected"] for k, v in kinds.items()} == expected
    assert ws.scalar("SELECT count(*) FROM crimes") + ws.scalar(
        "SELECT count(*) FROM rejects WHERE kind = 'street'") == expected["street"]
    assert ws.scalar("SELECT count(*) FROM outcomes") + ws.scalar(
        "SELECT count(*) FROM rejects WHERE kind = 'outcomes'") == expected["outcomes"]
    assert ws.scalar("SELECT count(*) FROM stop_search") + ws.scalar(
        "SELECT count(*) FROM rejects WHERE kind = 'stop_search'") == expected["stop_search"]
    assert ws.scalar("SELECT count(DISTINCT month) FROM crimes") == 36
    # Violence and sexual offences as documented in SOURCE.txt.
    assert ws.scalar("SELECT count(*) FROM crimes WHERE crime_type = "
                     "'Violence and sexual offences'") == 57_998


def test_second_import_changes_nothing(bedfordshire):
    ws, root, _ = bedfordshire
    tables = ("crimes", "outcomes", "stop_search", "rejects", "source_files")
    before = {t: ws.scalar(f"SELECT count(*) FROM {t}") for t in tables}
    again = import_police(ws, [root])
    assert again.count("skipped") == 108 and again.rows_read == 0
    assert {t: ws.scalar(f"SELECT count(*) FROM {t}") for t in tables} == before


def test_geography_gives_the_ons_local_authority(bedfordshire, ons_lookup):
    ws, _, _ = bedfordshire
    # Without a pack: LA name from the LSOA name, and status says so.
    assert ws.scalar("SELECT count(*) FROM crimes_geo WHERE geo_method = 'lsoa_name'") > 0
    import_geography(ws, shared_path("geography"), boundaries=False)
    rows = ws.sql("SELECT lsoa_code, lad_code FROM crimes_geo WHERE lsoa_code IS NOT NULL")
    agree = sum(1 for lsoa, lad in rows if ons_lookup.get(lsoa) == lad)
    assert agree / len(rows) >= 0.999, (agree, len(rows))
    # CSP and force are filled for the force's own authorities.
    pfa = ws.sql("SELECT DISTINCT pfa_name FROM crimes_geo WHERE lad_name IN "
                 "('Bedford', 'Luton', 'Central Bedfordshire')")
    assert pfa == [("Bedfordshire",)]


def test_city_of_london_2011_vintage(tmp_path, ons_lookup):
    root = shared_path("police-uk", "city-of-london")
    ws = new_workspace(tmp_path / "col")
    s = import_police(ws, [root])
    assert s.by_kind()["street"]["read"] == _file_rows(root / "street") == 24_750
    assert s.rows_read == s.rows_loaded + s.rows_rejected
    assert import_police(ws, [root]).rows_read == 0
    import_geography(ws, shared_path("geography"), boundaries=False)
    rows = ws.sql("SELECT lsoa_code, lad_code FROM crimes_geo WHERE lsoa_code IS NOT NULL")
    agree = sum(1 for lsoa, lad in rows if ons_lookup.get(lsoa) == lad)
    assert agree / len(rows) >= 0.999
    assert ws.scalar("SELECT count(*) FROM crimes_geo WHERE lad_name = 'City of London'") > 10_000
    ws.close()
