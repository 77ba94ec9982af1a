"""Many files, one batch: files with the same contract and header are staged, validated and
loaded together, and every per-file guarantee still holds (counts, row numbers, rejects,
uniqueness within a file, resubmissions in file order, keys loaded once across files).

Expectations are written from the input files, not copied from output."""

from __future__ import annotations

import pytest

import vru.sources.contract.engine as engine
import vru.sources.contract.readers as readers
import vru.sources.contract.sql as sqlgen
from tests.hub.samples import SAMPLES, write_csv
from tests.hub.test_istv_and_rms import _xml
from vru.privacy import agreements
from vru.sources.contract import import_source
from vru.sources.registry import SOURCES
from vru.testing import new_workspace

ASSAULTS = SAMPLES["istv"]["assaults"]   # A1 (coordinates), A2 (postcode), A3 (no location)
CRIME = SAMPLES["police_rms"]["crimes"][0]
ALREADY = "crime_reference: crime reference already loaded from an earlier extract"


def _month(rows: list[dict[str, str]], mm: str, last_day: str) -> list[dict[str, str]]:
    """The January sample rows moved to another month of 2024 (a different partition key)."""
    def move(v: str) -> str:
        return v.replace("2024-01-", f"2024-{mm}-").replace("/01/2024", f"/{mm}/2024")
    return [dict(r, period_start=f"2024-{mm}-01", period_end=f"2024-{mm}-{last_day}",
                 arrival_datetime=move(r["arrival_datetime"]),
                 assault_datetime=move(r["assault_datetime"])) for r in rows]


@pytest.fixture
def validations(monkeypatch):
    """How many validation passes (batches) an import makes."""
    calls: list[str] = []
    original = sqlgen.validate

    def spy(con, c, *args):
        calls.append(c.kind)
        return original(con, c, *args)

    monkeypatch.setattr(sqlgen, "validate", spy)
    return calls


@pytest.fixture
def python_read(monkeypatch):
    """Which files fall back to Python's row-by-row CSV reader."""
    names: list[str] = []
    original = readers.iter_csv_python

    def spy(p, file_id):
        names.append(p.f.name)
        return original(p, file_id)

    monkeypatch.setattr(readers, "iter_csv_python", spy)
    return names


def _by_name(ws, sql: str) -> set[tuple]:
    """Rows of `sql` (which selects file_id first) with the file's name instead of its id."""
    names = dict(ws.sql("SELECT file_id, name FROM source_files"))
    return {(names[r[0]], *r[1:]) for r in ws.sql(sql)}


def test_one_batch_keeps_every_file_apart(hub_ws, tmp_path, validations, python_read):
    d = tmp_path / "in"
    write_csv(d / "1-jan.csv", ASSAULTS)
    # February, with a structurally broken row (3 fields) between its 2nd and 3rd data rows.
    feb = write_csv(d / "2-feb.csv", _month(ASSAULTS, "02", "29"))
    lines = feb.read_text(encoding="utf-8").splitlines(keepends=True)
    width = len(lines[0].split(","))
    feb.write_text("".join([*lines[:3], "RC971,2024-02-01,2024-02-29\r\n", *lines[3:]]),
                   encoding="utf-8")
    # March, with record_ref A1 twice (A1 is in every file: unique within a file only).
    mar = _month(ASSAULTS, "03", "31")
    write_csv(d / "3-mar.csv", [mar[0], mar[1], dict(mar[2], record_ref="A1")])
    # January again, corrected: replaces 1-jan.csv, in the same run and the same batch. (A1
    # second this time: a duplicate check across files would call it a duplicate of row 1.)
    write_csv(d / "4-jan-v2.csv", [dict(r, age_band="65+") for r in ASSAULTS[1::-1]])
    write_csv(d / "5-empty.csv", ASSAULTS[:0], header=list(ASSAULTS[0]))

    s = import_source(hub_ws, SOURCES["istv"], [d])

    assert validations == ["assaults"]          # five files, one validation pass
    assert python_read == ["2-feb.csv"]         # only the faulty file is read row by row
    assert [(f.name, f.status, f.rows_read, f.rows_loaded, f.rows_rejected, f.rows_flagged)
            for f in s.files] == [
        ("1-jan.csv", "loaded", 3, 3, 0, 1),    # A3 has no location: flagged
        ("2-feb.csv", "loaded", 4, 3, 1, 1),
        ("3-mar.csv", "loaded", 3, 2, 1, 0),    # the duplicate was the row without location
        ("4-jan-v2.csv", "replaced", 2, 2, 0, 0),
        ("5-empty.csv", "loaded", 0, 0, 0, 0),
    ]
    ids = {f.name: f.file_id for f in s.files}
    assert sorted(ids.values()) == [ids[n] for n in sorted(ids)]   # ids in file order
    assert s.files[3].replaced_file_ids == [ids["1-jan.csv"]]

    # Row numbers count each file's own data rows from 1; rejects name their own file.
    assert _by_name(hub_ws, "SELECT file_id, row_number, record_ref, age_band "
                            "FROM ed_assaults") == {
        ("2-feb.csv", 1, "A1", "18-24"), ("2-feb.csv", 2, "A2", "25-34"),
        ("2-feb.csv", 4, "A3", None),
        ("3-mar.csv", 1, "A1", "18-24"), ("3-mar.csv", 2, "A2", "25-34"),
        ("4-jan-v2.csv", 1, "A2", "65+"), ("4-jan-v2.csv", 2, "A1", "65+"),
    }
    assert _by_name(hub_ws, "SELECT file_id, row_number, field, reason, raw IS NULL "
                            "FROM rejects") == {
        ("2-feb.csv", 3, None, f"row has 3 fields, expected {width}", True),
        ("3-mar.csv", 3, "record_ref", "record_ref: duplicate of row 1", False),
    }
    assert _by_name(hub_ws, "SELECT file_id, status, partition_key, rows_read, rows_loaded, "
                            "rows_rejected FROM source_files") == {
        ("1-jan.csv", "replaced", "istv/RC971/2024-01-01/2024-01-31", 3, 3, 0),
        ("2-feb.csv", "active", "istv/RC971/2024-02-01/2024-02-29", 4, 3, 1),
        ("3-mar.csv", "active", "istv/RC971/2024-03-01/2024-03-31", 3, 2, 1),
        ("4-jan-v2.csv", "active", "istv/RC971/2024-01-01/2024-01-31", 2, 2, 0),
        ("5-empty.csv", "active", None, 0, 0, 0),
    }
    assert hub_ws.sql("SELECT old_file_id, new_file_id, partition_key, rows_removed "
                      "FROM file_replacements") == [
        (ids["1-jan.csv"], ids["4-jan-v2.csv"], "istv/RC971/2024-01-01/2024-01-31", 3)]
    assert hub_ws.sql("SELECT files_seen, files_loaded, files_replaced, rows_read, rows_loaded, "
                      "rows_rejected FROM imports") == [(5, 5, 1, 12, 10, 2)]


def test_resubmissions_follow_file_order_across_batches(hub_ws, tmp_path, validations):
    # The XML form has its own header, so b.xml is staged in another batch than a.csv and
    # c.csv; still c.csv, the last file, is the one that stays.
    d = tmp_path / "in"
    write_csv(d / "a.csv", ASSAULTS)
    (d / "b.xml").write_text(_xml([dict(r, sex="U") for r in ASSAULTS]))
    write_csv(d / "c.csv", [dict(ASSAULTS[0], sex="F")])
    s = import_source(hub_ws, SOURCES["istv"], [d])
    assert sorted(validations) == ["assaults", "assaults"]
    assert [(f.name, f.status) for f in s.files] == [
        ("a.csv", "loaded"), ("b.xml", "replaced"), ("c.csv", "replaced")]
    ids = {f.name: f.file_id for f in s.files}
    assert hub_ws.sql("SELECT old_file_id, new_file_id, rows_removed FROM file_replacements "
                      "ORDER BY new_file_id") == [(ids["a.csv"], ids["b.xml"], 3),
                                                  (ids["b.xml"], ids["c.csv"], 3)]
    assert _by_name(hub_ws, "SELECT file_id, row_number, record_ref, sex FROM ed_assaults") == {
        ("c.csv", 1, "A1", "F")}


def test_crime_loaded_once_across_the_files_of_a_batch(hub_ws, tmp_path, validations):
    d = tmp_path / "rms"
    # X1 is invalid in r1 (so not loaded there), valid in r2 (loaded), repeated in r3 (rejected).
    write_csv(d / "r1.csv", [dict(CRIME, crime_reference="X1", committed_from="yesterday"),
                             dict(CRIME, crime_reference="X2")])
    write_csv(d / "r2.csv", [dict(CRIME, crime_reference="X1"),
                             dict(CRIME, crime_reference="X2", victim_age="30")])
    write_csv(d / "r3.csv", [dict(CRIME, crime_reference="X1", victim_age="200"),
                             dict(CRIME, crime_reference="X3")])
    s = import_source(hub_ws, SOURCES["police_rms"], [d])
    assert validations == ["crimes"]
    assert [(f.name, f.rows_read, f.rows_loaded, f.rows_rejected) for f in s.files] == [
        ("r1.csv", 2, 1, 1), ("r2.csv", 2, 1, 1), ("r3.csv", 2, 1, 1)]
    assert _by_name(hub_ws, "SELECT file_id, row_number, crime_id FROM crimes") == {
        ("r1.csv", 2, "X2"), ("r2.csv", 1, "X1"), ("r3.csv", 2, "X3")}
    assert _by_name(hub_ws, "SELECT file_id, row_number, reason FROM rejects") == {
        ("r1.csv", 1, "committed_from: not a date and time (expected YYYY-MM-DD HH:MM[:SS] or "
                      "DD/MM/YYYY HH:MM): 'yesterday'"),
        ("r2.csv", 2, ALREADY),
        # Every problem of the row is listed, the loaded-once rule last.
        ("r3.csv", 1, "victim_age: above the maximum 120: '200'; " + ALREADY),
    }


@pytest.mark.parametrize("batch_files", [1, 2])
def test_batch_boundaries_do_not_change_the_outcome(hub_ws, tmp_path, monkeypatch, batch_files):
    """File by file (as the engine worked before batching) or in batches of two: the same
    tables as one batch, in two fresh workspaces."""
    d = tmp_path / "in"
    write_csv(d / "1.csv", ASSAULTS)
    write_csv(d / "2.csv", [dict(r, sex="F") for r in ASSAULTS[:2]])            # replaces 1
    write_csv(d / "3.csv", _month(ASSAULTS, "02", "29") + [dict(ASSAULTS[0], record_ref="A1")])
    write_csv(d / "4.csv", [dict(r, age_band="") for r in ASSAULTS])            # replaces 2

    def tables(ws):
        return {t: sorted(map(repr, ws.sql(f"SELECT * EXCLUDE ({cols}) FROM {t}")))
                for t, cols in (("ed_assaults", "import_id"), ("rejects", "import_id"),
                                ("source_files", "loaded_at"),
                                ("file_replacements", "replaced_at"))}

    import_source(hub_ws, SOURCES["istv"], [d])
    batched = tables(hub_ws)
    other = new_workspace(tmp_path / "ws2")
    try:
        with other.transaction() as con:
            agreements.add(con, "istv", "istv agency", "Serious Violence Duty", ["x"], 36)
        monkeypatch.setattr(engine, "BATCH_FILES", batch_files)
        import_source(other, SOURCES["istv"], [d])
        assert tables(other) == batched
    finally:
        other.close()
    assert len(batched["file_replacements"]) == 2 and len(batched["rejects"]) == 1
