"""The one area model (vru.areas): kinds, resolution to LSOAs and labels, and the same area on the
web filters and in the profile, checked against the toy force area's own record of what it wrote."""

from __future__ import annotations

import pytest

from vru import areas
from vru.reports import profile_data
from vru.testing import new_workspace, toy
from vru.web import queries


@pytest.fixture(scope="module")
def toy_ws(tmp_path_factory):
    ws = new_workspace(tmp_path_factory.mktemp("areas") / "ws", area_name="Testshire")
    truth = toy.build(ws, partners=False)
    yield ws, truth
    ws.close()


def test_every_kind_names_columns_of_the_canonical_crime_view(toy_ws):
    ws, _ = toy_ws
    cols = {r[0] for r in ws.sql("SELECT column_name FROM information_schema.columns "
                                 "WHERE table_name = 'canonical_crimes'")}
    assert list(areas.KINDS) == ["force", "csp", "lad", "lsoa"]
    for k in areas.KINDS.values():
        assert {k.code, k.name} <= cols, k


@pytest.mark.parametrize("text, kind, lads", [
    ("Alderton", "lad", [0]), ("e07999002", "lad", [1]), ("Carrow CSP", "csp", [2]),
    ("Testshire", "force", [0, 1, 2]), ("Testshire Police", "force", [0, 1, 2]),
])
def test_an_area_resolves_to_its_label_and_lsoas(toy_ws, text, kind, lads):
    ws, _ = toy_ws
    a = areas.resolve_area(ws, text)
    assert a.level == kind and a.level_name == areas.KINDS[kind].label
    want = sorted(toy.lsoa_code(li, i + 1) for li in lads for i in range(toy.N_LSOA))
    assert areas.area_lsoas(ws, a) == want
    if kind != "force":
        assert areas.force_of(ws, a).name == toy.PFA[1]


def test_unknown_area_is_refused_naming_the_known_ones(toy_ws):
    ws, _ = toy_ws
    with pytest.raises(areas.AreaNotFound, match="Alderton"):
        areas.resolve_area(ws, "Nowhere")


def test_web_filter_and_profile_mean_the_same_area(toy_ws):
    ws, truth = toy_ws
    first, last = toy.MONTHS[0], toy.MONTHS[-1]
    want = truth.count("Brookfield", first, last, lambda c: True)
    assert want > 0
    w, p = queries.where(queries.Filters(area="Brookfield", month_from=first, month_to=last),
                         ws.settings)
    web = ws.scalar(f"SELECT count(*) FROM canonical_crimes c WHERE {w}", p)
    a = profile_data.resolve_area(ws, "Brookfield")   # the profile's name for the shared model
    assert a is not None and type(a) is areas.Area
    prof = ws.scalar(f"SELECT count(*) FROM canonical_crimes c WHERE {a.where} "
                     "AND c.month BETWEEN ? AND ?", [*a.params, first, last])
    assert web == prof == want
    assert "Brookfield" in queries.area_names(ws)


def test_lsoa_residents_come_from_the_population_table(toy_ws):
    ws, _ = toy_ws
    codes = [toy.lsoa_code(0, 1), toy.lsoa_code(2, 8), "E01000000"]
    assert areas.lsoa_populations(ws, codes) == {codes[0]: toy.LSOA_POP, codes[1]: toy.LSOA_POP}
