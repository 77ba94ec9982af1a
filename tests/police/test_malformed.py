"""At least 15 kinds of malformed data.police.uk input, each with its expected error or reject
reason, and nothing lost: read = loaded + rejected for every file."""

from __future__ import annotations

import gzip

import pytest

from tests.police.fixtures import (
    OUTCOME_COLUMNS,
    STOP_SEARCH_COLUMNS,
    STREET_COLUMNS,
    outcome_row,
    search_row,
    street_row,
    write_csv,
)
from vru.sources.files import ImportRefused
from vru.sources.police_uk import import_police

GOOD = 3  # good rows written around each bad row

# (id, kind, bad row overrides, expected field, expected reason fragment)
ROW_CASES = [
    ("unparseable-month", "street", {"Month": "May 2023"}, "Month", "unparseable month"),
    ("month-13", "street", {"Month": "2023-13"}, "Month", "unparseable month"),
    ("missing-month", "street", {"Month": ""}, "Month", "missing month"),
    ("short-month", "street", {"Month": "2023-5"}, "Month", "unparseable month"),
    ("month-with-day", "street", {"Month": "2023-05-01"}, "Month", "unparseable month"),
    ("lon-not-number", "street", {"Longitude": "west"}, "Longitude", "longitude is not a number"),
    ("lat-not-number", "street", {"Latitude": "52,1"}, "Latitude", "latitude is not a number"),
    ("only-longitude", "street", {"Latitude": ""}, "Longitude", "only one of longitude/latitude"),
    ("outside-gb", "street", {"Longitude": "2.35", "Latitude": "48.85"}, "Latitude",
     "outside Great Britain"),
    ("swapped-lat-lon", "street", {"Longitude": "52.13", "Latitude": "-0.46"}, "Latitude",
     "outside Great Britain"),
    ("malformed-lsoa", "street", {"LSOA code": "E0101754"}, "LSOA code", "malformed LSOA code"),
    ("lsoa-not-lsoa", "street", {"LSOA code": "E06000055"}, "LSOA code", "malformed LSOA code"),
    ("lsoa-letter-o", "street", {"LSOA code": "E01O17540"}, "LSOA code", "malformed LSOA code"),
    ("unknown-crime-type", "street", {"Crime type": "Knife crime"}, "Crime type",
     "unknown crime type"),
    ("missing-crime-type", "street", {"Crime type": ""}, "Crime type", "missing crime type"),
    ("malformed-crime-id", "street", {"Crime ID": "not-a-hash"}, "Crime ID", "malformed Crime ID"),
    ("crime-id-non-hex", "street", {"Crime ID": "g" * 64}, "Crime ID", "malformed Crime ID"),
    ("crime-id-short", "street", {"Crime ID": "a" * 63}, "Crime ID", "malformed Crime ID"),
    ("crime-id-padded", "street", {"Crime ID": " " + "a" * 64}, "Crime ID", "malformed Crime ID"),
    ("missing-force", "street", {"Falls within": ""}, "Falls within", "missing Falls within"),
    ("outcome-no-crime-id", "outcomes", {"Crime ID": ""}, "Crime ID", "an outcome must name"),
    ("outcome-no-type", "outcomes", {"Outcome type": ""}, "Outcome type", "missing outcome type"),
    ("search-bad-date", "stop_search", {"Date": "03/05/2023 14:10"}, "Date", "unparseable date"),
    ("search-unknown-type", "stop_search", {"Type": "Dog search"}, "Type", "unknown search type"),
    ("search-bad-boolean", "stop_search", {"Part of a policing operation": "maybe"},
     "Part of a policing operation", "expected True or False"),
]

BUILDERS = {
    "street": (street_row, STREET_COLUMNS, "street"),
    "outcomes": (outcome_row, OUTCOME_COLUMNS, "outcomes"),
    "stop_search": (search_row, STOP_SEARCH_COLUMNS, "stop-and-search"),
}


def _reconciles(ws) -> None:
    for name, read, loaded, rejected in ws.sql(
        "SELECT name, rows_read, rows_loaded, rows_rejected FROM source_files"
    ):
        assert read == loaded + rejected, name
    total = ws.scalar("SELECT sum(rows_read) FROM source_files")
    stored = ws.scalar(
        "SELECT (SELECT count(*) FROM crimes) + (SELECT count(*) FROM outcomes) + "
        "(SELECT count(*) FROM stop_search) + (SELECT count(*) FROM rejects)"
    )
    assert total == stored


@pytest.mark.parametrize("case_id,kind,over,field,reason", ROW_CASES, ids=[c[0] for c in ROW_CASES])
def test_bad_row_is_rejected_with_reason(workspace, tmp_path, case_id, kind, over, field, reason):
    build, cols, suffix = BUILDERS[kind]
    rows = [build(i) for i in range(GOOD)] + [build(99, **over)] + [build(i) for i in range(5, 8)]
    path = write_csv(tmp_path / f"2023-05-test-{suffix}.csv", rows, cols)
    s = import_police(workspace, [path])
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (7, 6, 1)
    row_number, got_field, got_reason, raw = workspace.sql(
        "SELECT row_number, field, reason, raw FROM rejects")[0]
    assert row_number == GOOD + 1
    assert got_field == field
    assert reason in got_reason
    import json

    kept = json.loads(raw)  # the row as read is kept, every column
    assert set(kept) == set(cols)
    for col, value in over.items():
        assert kept[col] == (value or None)
    _reconciles(workspace)


def test_code_columns_are_trimmed_before_checking(workspace, tmp_path):
    """A stray space around a code does not reject the row; the stored value is trimmed."""
    padded = {"Month": " 2023-05 ", "LSOA code": "E01017540 ", "Crime type": " Burglary",
              "Falls within": "Bedfordshire Police "}
    rows = [street_row(i) for i in range(3)] + [street_row(50, **padded)]
    path = write_csv(tmp_path / "2023-05-test-street.csv", rows, STREET_COLUMNS)
    s = import_police(workspace, [path])
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (4, 4, 0)
    month, lsoa, ctype, force = workspace.sql(
        "SELECT month, lsoa_code, crime_type, falls_within FROM crimes WHERE row_number = 4")[0]
    assert (str(month), lsoa, ctype, force) == ("2023-05-01", "E01017540", "Burglary",
                                                "Bedfordshire Police")


def _street_text(extra_lines: list[str]) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(STREET_COLUMNS)
    for i in range(3):
        w.writerow(street_row(i).values())
    return buf.getvalue() + "".join(line + "\n" for line in extra_lines)


def test_row_with_too_many_fields(workspace, tmp_path):
    good = ",".join(street_row(9).values())
    p = tmp_path / "2023-05-test-street.csv"
    p.write_text(_street_text([good + ",extra", good]))
    s = import_police(workspace, [p])
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (5, 4, 1)
    assert workspace.sql("SELECT row_number, reason FROM rejects") == \
        [(4, "row has 13 fields, expected 12")]
    _reconciles(workspace)


def test_row_with_too_few_fields(workspace, tmp_path):
    p = tmp_path / "2023-05-test-street.csv"
    p.write_text(_street_text(["abc,2023-05,Test Police"]))
    s = import_police(workspace, [p])
    assert s.rows_rejected == 1
    assert workspace.sql("SELECT row_number, reason FROM rejects") == \
        [(4, "row has 3 fields, expected 12")]


def test_invalid_utf8_row(workspace, tmp_path):
    p = tmp_path / "2023-05-test-street.csv"
    body = _street_text([]).encode() + ",".join(street_row(7).values()).replace(
        "High Street", "H\xe9gh Street").encode("latin-1") + b"\n"
    p.write_bytes(body)
    s = import_police(workspace, [p])
    assert (s.rows_loaded, s.rows_rejected) == (3, 1)
    assert workspace.scalar("SELECT reason FROM rejects") == "row is not valid UTF-8 text"
    _reconciles(workspace)


def test_bad_file_among_good_ones_is_staged_on_its_own(workspace, tmp_path):
    for m in ("2023-05", "2023-06", "2023-07"):
        write_csv(tmp_path / f"{m}-test-street.csv", [street_row(i, m) for i in range(4)],
                  STREET_COLUMNS)
    bad = tmp_path / "2023-08-test-street.csv"
    bad.write_text(_street_text([",".join(street_row(9).values()) + ",x"]))
    s = import_police(workspace, [tmp_path])
    assert (s.rows_read, s.rows_loaded, s.rows_rejected) == (16, 15, 1)
    assert workspace.sql("SELECT f.name, r.row_number FROM rejects r JOIN source_files f "
                         "USING (file_id)") == [("2023-08-test-street.csv", 4)]
    # Row numbers restart at 1 in every file.
    assert workspace.sql("SELECT DISTINCT min(row_number) FROM crimes GROUP BY file_id") == [(1,)]


FILE_CASES = [
    ("missing-column", lambda p: write_csv(p, [street_row(1)], STREET_COLUMNS[:-1]),
     r"missing columns: 'Context'"),
    ("renamed-column", lambda p: p.write_text(
        ",".join(c if c != "Crime type" else "Crime Type" for c in STREET_COLUMNS) + "\n"),
     r"missing columns: 'Crime type'; unexpected columns: 'Crime Type'"),
    ("duplicated-column", lambda p: p.write_text(",".join(STREET_COLUMNS + ["Month"]) + "\n"),
     r"duplicated columns: 'Month'"),
    ("empty-file", lambda p: p.write_text(""), r"empty file \(no header row\)"),
    ("binary-file", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe"),
     r"not a UTF-8 text CSV file"),
    ("truncated-gzip", lambda p: p.with_suffix(".csv.gz").write_bytes(
        gzip.compress(_street_text([]).encode())[:40]), r"truncated compressed data"),
    ("wrong-file-type", lambda p: p.with_suffix(".xlsx").write_bytes(b"PK\x03\x04"),
     r"unsupported file type"),
]


@pytest.mark.parametrize("case_id,make,message", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_bad_file_is_refused_naming_file(workspace, tmp_path, case_id, make, message):
    (tmp_path / "in").mkdir()
    p = tmp_path / "in" / "2023-05-test-street.csv"
    make(p)
    target = next((tmp_path / "in").iterdir())
    with pytest.raises(ImportRefused, match=message) as exc:
        import_police(workspace, [target])
    assert target.name in str(exc.value)
    assert workspace.scalar("SELECT count(*) FROM source_files") == 0


def test_missing_path_is_refused(workspace, tmp_path):
    with pytest.raises(ImportRefused, match="no such file or folder"):
        import_police(workspace, [tmp_path / "nope"])
