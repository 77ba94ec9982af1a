"""Hot spots are named by the street their records are on or near and their neighbourhood, not by
grid codes: planted police.uk-style records with known locations, and the names expected by hand."""

from __future__ import annotations

from datetime import date

from vru.reports.place_names import cell_names, place_of, street_of
from vru.testing import new_workspace
from vru.testing.crimes import insert_crimes


def _rows(e0, n0, location, lsoa, k):
    return [{"crime_id": f"{e0}-{n0}-{location}-{i}", "month": date(2023, 6, 1),
             "falls_within": "Test Police", "reported_by": "Test Police",
             "easting": e0 + 10 + 10 * i, "northing": n0 + 20, "location": location,
             "lsoa_name": lsoa, "crime_type": "Violence and sexual offences"}
            for i in range(k)]


def test_cells_are_named_by_street_and_neighbourhood(tmp_path):
    ws = new_workspace(tmp_path / "ws", area_name="Testshire")
    try:
        rows = (_rows(500_000, 220_000, "On or near Bromham Road", "Bedford 012A", 5)
                + _rows(500_000, 220_000, "On or near Parking Area", "Bedford 012A", 3)
                + _rows(500_000, 220_000, "On or near High Street", "Bedford 013B", 2)
                + _rows(501_050, 220_000, "On or near Supermarket", "Bedford 020C", 4)
                # Two cells a kilometre apart whose records name the same street and LSOA.
                + _rows(503_000, 224_000, "On or near Ford End Road", "Bedford 030A", 3)
                + _rows(503_000, 225_050, "On or near Ford End Road", "Bedford 030A", 3))
        insert_crimes(ws, rows, grid=ws.settings.grid)
        with ws.transaction() as con:
            con.execute("INSERT INTO geo_lsoa (lsoa_code, vintage, lsoa_name, easting, northing) "
                        "VALUES ('E01000001', 2021, 'Bedford 040D', 509000, 229000), "
                        "('E01000002', 2021, 'Bedford 041E', 520000, 240000)")
        cells = [(500_000, 220_000), (501_050, 220_000), (509_150, 229_150),
                 (503_000, 224_000), (503_000, 225_050)]
        names = cell_names(ws, cells, 150.0, date(2023, 4, 1), date(2024, 3, 1))
    finally:
        ws.close()
    assert names == [
        "Bromham Road, Bedford 012A",      # the street most records are near; their LSOA
        "Supermarket, Bedford 020C",       # no street: the place police.uk names
        "near Bedford 040D",               # no record: the nearest LSOA centroid
        "Ford End Road, Bedford 030A (south)",
        "Ford End Road, Bedford 030A (north)",
    ]
    assert not any("_E" in n for n in names)


def test_street_of_police_uk_locations():
    assert street_of("On or near Bromham Road") == "Bromham Road"
    assert street_of("on or near  St Peter's Street ") == "St Peter's Street"
    assert street_of("On or near Nightclub") is None
    assert street_of("No Location") is None
    assert street_of(None) is None
    assert place_of("On or near Nightclub") == "Nightclub" and place_of("No Location") is None
