"""File-level faults, for every source alike (the engine is shared): refusals that name the
file and columns, structurally broken rows kept as rejects, ZIP/gzip/Excel input, atomicity."""

from __future__ import annotations

import zipfile

import pytest

from tests.hub.samples import SAMPLES, write_csv
from vru.sources.contract import import_source
from vru.sources.files import ImportRefused
from vru.sources.registry import SOURCES

ADM = SAMPLES["admissions"]["admissions"]
HEADER = list(ADM[0])


def _csv_text(rows: list[dict[str, str]]) -> str:
    lines = [",".join(HEADER)]
    lines += [",".join(r[h] for h in HEADER) for r in rows]
    return "\n".join(lines) + "\n"


def _refused(ws, path, *fragments):
    with pytest.raises(ImportRefused) as exc:
        import_source(ws, SOURCES["admissions"], [path])
    msg = str(exc.value)
    assert str(path.name) in msg
    for frag in fragments:
        assert frag in msg, msg
    assert ws.scalar("SELECT count(*) FROM hospital_admissions") == 0
    assert ws.scalar("SELECT count(*) FROM source_files") == 0
    return msg


def test_missing_required_column_is_refused(hub_ws, tmp_path):
    rows = [{k: v for k, v in r.items() if k != "icd10_cause"} for r in ADM]
    _refused(hub_ws, write_csv(tmp_path / "a.csv", rows), "missing required columns: icd10_cause",
             "hub-admissions.md")


def test_column_outside_the_contract_is_refused(hub_ws, tmp_path):
    rows = [dict(r, favourite_colour="blue") for r in ADM]
    _refused(hub_ws, write_csv(tmp_path / "a.csv", rows),
             "columns not in the contract: favourite_colour")


def test_duplicated_column_is_refused(hub_ws, tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("nhs_number,Admission Date,admission_date,icd10_cause\n")
    _refused(hub_ws, p, "duplicated columns: admission_date")


def test_empty_file_is_refused(hub_ws, tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("")
    _refused(hub_ws, p, "empty file")


def test_header_not_utf8_is_read_as_windows_1252(hub_ws, tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes("nhs_number,admission_date,icd10_cause,caf\xe9\n".encode("latin-1"))
    _refused(hub_ws, p, "columns not in the contract: caf\xe9")


def test_unsupported_file_type_is_refused(hub_ws, tmp_path):
    p = tmp_path / "a.txt"
    p.write_text(_csv_text(ADM))
    _refused(hub_ws, p, "unsupported file type")


def test_corrupt_workbook_is_refused(hub_ws, tmp_path):
    p = tmp_path / "a.xlsx"
    p.write_bytes(b"PK\x03\x04 this is not really a workbook")
    _refused(hub_ws, p, "not a readable Excel .xlsx workbook")


def test_one_bad_file_refuses_the_whole_import(hub_ws, tmp_path):
    good = write_csv(tmp_path / "in" / "a.csv", ADM)
    (tmp_path / "in" / "b.csv").write_text("nothing,useful\n1,2\n")
    with pytest.raises(ImportRefused, match=r"1 file\(s\) refused, nothing imported") as exc:
        import_source(hub_ws, SOURCES["admissions"], [tmp_path / "in"])
    assert "b.csv" in str(exc.value) and "a.csv" not in str(exc.value)
    assert hub_ws.scalar("SELECT count(*) FROM hospital_admissions") == 0
    assert good.exists()


def test_file_matching_no_contract_names_the_closest(hub_ws, tmp_path):
    rows = [{k: v for k, v in r.items() if k != "ping_time"}
            for r in SAMPLES["em_gps"]["pings"]]
    with pytest.raises(ImportRefused, match="'pings' contract; missing required columns: "
                                            "ping_time"):
        import_source(hub_ws, SOURCES["em_gps"], [write_csv(tmp_path / "p.csv", rows)])


def test_structurally_broken_rows_are_kept_as_rejects_with_their_numbers(hub_ws, tmp_path):
    good = _csv_text(ADM).splitlines()
    lines = [
        good[0],
        good[1],                                    # row 1 ok
        good[2] + ",extra",                         # row 2: one field too many
        good[3].replace("2024-03-01", "2024-03-32"),  # row 3: bad date (validation)
        "",                                         # a blank line is not a row
        good[1].replace("E01017525", "E0101752\x81"),  # row 4: a byte no encoding here has
        good[2].replace("Y04", '"Y04'),             # row 5: unterminated quote ...
        good[3],                                    # row 6: ... read again from the next line
    ]
    p = tmp_path / "broken.csv"
    data = "\n".join(lines).encode("utf-8").replace("\x81".encode(), b"\x81") + b"\n"
    p.write_bytes(data)
    s = import_source(hub_ws, SOURCES["admissions"], [p])
    (f,) = s.files
    got = hub_ws.sql("SELECT row_number, field, reason, raw IS NULL FROM rejects "
                     "ORDER BY row_number")
    assert got[0] == (2, None, "row has 9 fields, expected 8", True)
    assert got[1][0] == 3 and got[1][1] == "admission_date" and got[1][3] is False
    # Not valid UTF-8 anywhere: read as Windows-1252, where byte 0x81 is undefined.
    assert got[2] == (4, "lsoa_code", "bytes that are not Windows-1252 text in this field", True)
    assert got[3] == (5, None, "unclosed or stray quote (line 7 of the file); reading resumed at "
                               "the next line", True)
    assert f.rows_read == f.rows_loaded + f.rows_rejected == 6
    assert f.encoding == "cp1252"
    assert hub_ws.sql("SELECT row_number FROM hospital_admissions ORDER BY 1") == [(1,), (6,)]


def test_zip_gzip_and_loose_headers(hub_ws, tmp_path):
    import gzip

    src = tmp_path / "src.csv"
    text = _csv_text(ADM).replace("admission_date", "Admission Date").replace(
        "icd10_cause", "ICD10-Cause")
    src.write_text(text)
    with zipfile.ZipFile(tmp_path / "adm.zip", "w") as zf:
        zf.write(src, "2024/admissions.csv")
        zf.writestr("readme.txt", "ignored")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "adm2.csv.gz").write_bytes(gzip.compress(
        _csv_text([dict(ADM[0], admission_date="2024-04-01", discharge_date="")]).encode()))
    s = import_source(hub_ws, SOURCES["admissions"], [tmp_path / "adm.zip", tmp_path / "in"])
    assert [(f.name, f.rows_loaded) for f in s.files] == [("admissions.csv", 3),
                                                          ("adm2.csv.gz", 1)]
    paths = [r[0] for r in hub_ws.sql("SELECT path FROM source_files ORDER BY file_id")]
    assert paths[0].endswith("adm.zip!2024/admissions.csv")
    # The same content again, as a plain file this time: still a no-op (content checksum).
    src.write_text(_csv_text(ADM))
    assert import_source(hub_ws, SOURCES["admissions"], [src]).files[0].status == "loaded"
    src.write_text(text)
    assert import_source(hub_ws, SOURCES["admissions"], [src]).files[0].status == "skipped"


def test_a_failure_mid_import_leaves_the_workspace_unchanged(hub_ws, tmp_path):
    good = write_csv(tmp_path / "in" / "a.csv", SAMPLES["istv"]["assaults"])
    bad = tmp_path / "in" / "b.xml"
    bad.write_text("<ISTVSubmission><SubmissionHeader><SiteCode>RC971</SiteCode>"
                   "</SubmissionHeader><Assault><Sex>M</Sex></Assault><Assault>")
    with pytest.raises(ImportRefused, match="not well-formed XML"):
        import_source(hub_ws, SOURCES["istv"], [good.parent])
    assert hub_ws.scalar("SELECT count(*) FROM ed_assaults") == 0
    assert hub_ws.scalar("SELECT count(*) FROM imports") == 0
    assert hub_ws.scalar("SELECT count(*) FROM source_files") == 0


def test_path_with_glob_characters_reads_that_file_only(hub_ws, tmp_path):
    """DuckDB would read 'in[12]/a.csv' as a pattern matching in1/a.csv and in2/a.csv."""
    for name in ("in1", "in2"):
        (tmp_path / name).mkdir()
        write_csv(tmp_path / name / "a.csv", ADM + ADM)  # decoys: twice the rows
    target = tmp_path / "in[12]"
    target.mkdir()
    path = write_csv(target / "a.csv", ADM)
    s = import_source(hub_ws, SOURCES["admissions"], [path])
    assert s.rows_read == len(ADM)
    assert hub_ws.scalar("SELECT count(*) FROM hospital_admissions") + \
        hub_ws.scalar("SELECT count(*) FROM rejects") == len(ADM)
