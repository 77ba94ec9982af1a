"""data.police.uk import: idempotency, re-issues, ZIPs, flags, provenance (synthetic files)."""

from __future__ import annotations

import gzip
import zipfile

import pytest

from tests.police.fixtures import (
    OUTCOME_COLUMNS,
    STOP_SEARCH_COLUMNS,
    STREET_COLUMNS,
    outcome_row,
    search_row,
    street_file,
    street_row,
    write_csv,
)
from vru.geo.bng import to_bng
from vru.sources.files import ImportRefused
from vru.sources.police_uk import import_police


def counts(ws):
    return {t: ws.scalar(f"SELECT count(*) FROM {t}") for t in
            ("crimes", "outcomes", "stop_search", "rejects", "source_files", "imports")}


def test_three_kinds_load_with_provenance(workspace, tmp_path):
    street_file(tmp_path / "in", "2023-05", n=30)
    write_csv(tmp_path / "in/2023-05/2023-05-test-outcomes.csv",
              [outcome_row(i) for i in range(12)], OUTCOME_COLUMNS)
    write_csv(tmp_path / "in/2023-05/2023-05-test-stop-and-search.csv",
              [search_row(i) for i in range(5)], STOP_SEARCH_COLUMNS)
    s = import_police(workspace, [tmp_path / "in"])
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (47, 47, 0)
    c = counts(workspace)
    assert (c["crimes"], c["outcomes"], c["stop_search"]) == (30, 12, 5)
    # Every row keeps file, checksum (via source_files), row number and import id.
    rows = workspace.sql(
        "SELECT c.row_number, f.name, length(f.sha256), c.import_id FROM crimes c "
        "JOIN source_files f USING (file_id) ORDER BY c.row_number"
    )
    assert [r[0] for r in rows] == list(range(1, 31))
    assert {r[1] for r in rows} == {"2023-05-test-street.csv"}
    assert {r[2] for r in rows} == {64}
    assert {r[3] for r in rows} == {s.import_id}
    # Outcomes link to crimes by Crime ID.
    linked = workspace.scalar("SELECT count(*) FROM outcomes o JOIN crimes c USING (crime_id)")
    assert linked == 12


def test_bng_and_grid_cell_match_pyproj(workspace, tmp_path):
    street_file(tmp_path, "2023-05", n=10)
    import_police(workspace, [tmp_path])
    lon, lat, e, n, ce, cn = map(list, zip(*workspace.sql(
        "SELECT longitude, latitude, easting, northing, cell_e, cell_n FROM crimes ORDER BY row_number"
    ), strict=True))
    ee, nn = to_bng(lon, lat)
    assert e == pytest.approx(list(ee), abs=1e-6)
    assert n == pytest.approx(list(nn), abs=1e-6)
    size = workspace.settings.grid.cell_size_m
    assert all(c <= x < c + size for c, x in zip(ce, e, strict=True))
    assert all(c <= y < c + size for c, y in zip(cn, n, strict=True))


def test_reimport_is_a_noop(workspace, tmp_path):
    street_file(tmp_path, "2023-05", n=25)
    street_file(tmp_path, "2023-06", n=15)
    import_police(workspace, [tmp_path])
    before = counts(workspace)
    s = import_police(workspace, [tmp_path])
    after = counts(workspace)
    assert s.count("skipped") == 2 and s.rows_read == 0
    assert {k: v for k, v in after.items() if k != "imports"} == \
        {k: v for k, v in before.items() if k != "imports"}


def test_same_content_gz_and_zip_are_the_same_file(workspace, tmp_path):
    rows = [street_row(i) for i in range(8)]
    plain = write_csv(tmp_path / "a/2023-05-test-street.csv", rows, STREET_COLUMNS)
    import_police(workspace, [plain])
    gz = tmp_path / "b/2023-05-test-street.csv.gz"
    gz.parent.mkdir()
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    zp = tmp_path / "download.zip"
    with zipfile.ZipFile(zp, "w") as z:
        z.write(plain, "2023-05/2023-05-test-street.csv")
    s = import_police(workspace, [gz, zp])
    assert s.count("skipped") == 2
    assert workspace.scalar("SELECT count(*) FROM crimes") == 8


def test_zip_from_download_page(workspace, tmp_path):
    folder = tmp_path / "src"
    street_file(folder, "2023-05", n=6)
    street_file(folder, "2023-06", n=4)
    write_csv(folder / "2023-06/2023-06-test-stop-and-search.csv", [search_row(1)],
              STOP_SEARCH_COLUMNS)
    zp = tmp_path / "police.zip"
    with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*.csv")):
            z.write(f, str(f.relative_to(folder)))
    s = import_police(workspace, [zp])
    assert s.rows_loaded == 11
    assert workspace.sql("SELECT DISTINCT path LIKE '%police.zip!%' FROM source_files") == [(True,)]


def test_reissued_file_replaces_force_month_atomically(workspace, tmp_path):
    street_file(tmp_path / "v1", "2023-05", n=20)
    street_file(tmp_path / "v1", "2023-06", n=7, start=100)
    import_police(workspace, [tmp_path / "v1"])
    street_file(tmp_path / "v2", "2023-05", n=23, start=500)  # re-issued May
    s = import_police(workspace, [tmp_path / "v2"])
    assert s.count("replaced") == 1
    assert workspace.scalar("SELECT count(*) FROM crimes WHERE month = DATE '2023-05-01'") == 23
    assert workspace.scalar("SELECT count(*) FROM crimes WHERE month = DATE '2023-06-01'") == 7
    rep = workspace.sql("SELECT partition_key, rows_removed FROM file_replacements")
    assert rep == [("street/test/2023-05", 20)]
    assert workspace.sql("SELECT status, count(*) FROM source_files GROUP BY 1 ORDER BY 1") == \
        [("active", 2), ("replaced", 1)]


def test_identical_rows_are_never_deduplicated(workspace, tmp_path):
    asb = street_row(1, **{"Crime ID": "", "Crime type": "Anti-social behaviour"})
    write_csv(tmp_path / "2023-05-test-street.csv", [asb, asb, asb], STREET_COLUMNS)
    import_police(workspace, [tmp_path])
    assert workspace.scalar("SELECT count(*) FROM crimes") == 3


def test_rows_without_coordinates_are_kept_and_flagged(workspace, tmp_path):
    rows = [street_row(1), street_row(2, Longitude="", Latitude="", Location="No location",
                                        **{"LSOA code": "", "LSOA name": ""})]
    write_csv(tmp_path / "2023-05-test-street.csv", rows, STREET_COLUMNS)
    import_police(workspace, [tmp_path])
    got = workspace.sql("SELECT row_number, flags, easting IS NULL FROM crimes ORDER BY 1")
    assert got == [(1, [], False), (2, ["no_location"], True)]


def test_month_not_matching_file_name_is_flagged(workspace, tmp_path):
    write_csv(tmp_path / "2023-05-test-street.csv", [street_row(1, month="2023-04")],
              STREET_COLUMNS)
    import_police(workspace, [tmp_path])
    assert workspace.scalar("SELECT flags FROM crimes") == ["month_differs_from_file_name"]


def test_column_order_does_not_matter(workspace, tmp_path):
    cols = list(reversed(STREET_COLUMNS))
    write_csv(tmp_path / "2023-05-test-street.csv", [street_row(i) for i in range(4)], cols)
    import_police(workspace, [tmp_path])
    assert workspace.scalar("SELECT count(DISTINCT crime_type) FROM crimes") == 1
    assert workspace.scalar("SELECT min(month) FROM crimes").isoformat() == "2023-05-01"


def test_refused_file_leaves_workspace_untouched(workspace, tmp_path):
    street_file(tmp_path, "2023-05", n=5)
    bad = [dict(list(street_row(1).items())[:-1])]
    write_csv(tmp_path / "2023-06-test-street.csv", bad, STREET_COLUMNS[:-1])
    before = counts(workspace)
    with pytest.raises(ImportRefused, match=r"2023-06-test-street\.csv.*missing columns: 'Context'"):
        import_police(workspace, [tmp_path])
    assert counts(workspace) == before


def test_path_with_glob_characters_reads_that_file_only(workspace, tmp_path):
    """DuckDB would read 'in[12]/...' as a pattern matching in1/... and in2/...: vru must not."""
    for name in ("in1", "in2"):
        street_file(tmp_path / name, n=7, start=100)  # decoys
    target = street_file(tmp_path / "in[12]", n=5)
    other = street_file(tmp_path / "plain", month="2023-06", n=3)  # same batch, plain path
    s = import_police(workspace, [target, other])
    assert (s.rows_read, s.rows_loaded) == (8, 8)
    assert workspace.sql("SELECT month::VARCHAR, count(*), max(row_number) FROM crimes "
                         "GROUP BY 1 ORDER BY 1") == [("2023-05-01", 5, 5), ("2023-06-01", 3, 3)]


def test_an_added_column_is_ignored_with_a_warning(workspace, tmp_path):
    """data.police.uk is open data: a column it adds does not refuse the file (issue 14)."""
    cols = [*STREET_COLUMNS[:5], "Police area code", *STREET_COLUMNS[5:]]
    rows = [dict(street_row(i), **{"Police area code": f"PA{i}"}) for i in range(6)]
    write_csv(tmp_path / "in" / "2023-05-test-street.csv", rows, cols)
    s = import_police(workspace, [tmp_path / "in"])
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (6, 6, 0)
    (f,) = s.files
    assert f.warnings == ["columns not in the police.uk file format, ignored: 'Police area code'"]
    assert workspace.scalar("SELECT warnings FROM source_files") == f.warnings
    # The published columns land where they belong, whatever the added column's position.
    assert workspace.sql("SELECT crime_type, location, lsoa_code, count(*) FROM crimes "
                         "GROUP BY ALL") == [("Violence and sexual offences",
                                              "On or near High Street", "E01017540", 6)]
    assert workspace.sql("SELECT round(longitude, 6), round(latitude, 6) FROM crimes "
                         "ORDER BY row_number LIMIT 1") == [(-0.46, 52.13)]


def test_a_missing_column_still_refuses_even_with_an_added_one(workspace, tmp_path):
    cols = [c for c in STREET_COLUMNS if c != "Crime type"] + ["Police area code"]
    write_csv(tmp_path / "in" / "2023-05-test-street.csv",
              [dict(street_row(1), **{"Police area code": "PA1"})], cols)
    before = counts(workspace)
    with pytest.raises(ImportRefused, match=r"missing columns: 'Crime type'"):
        import_police(workspace, [tmp_path / "in"])
    assert counts(workspace) == before


def test_a_headerless_added_column_is_recognised_by_its_columns(workspace, tmp_path):
    cols = [*OUTCOME_COLUMNS, "Extra"]
    write_csv(tmp_path / "outcomes-any-name.csv",
              [dict(outcome_row(i), Extra="x") for i in range(3)], cols)
    s = import_police(workspace, [tmp_path / "outcomes-any-name.csv"])
    assert [f.kind for f in s.files] == ["outcomes"] and s.rows_loaded == 3
