"""Row rules that span rows hold across the chunks of a big file: a key repeated in a later
chunk of the same file is a duplicate of its first row, whichever reader streamed the file
(DuckDB's, which finds a file's repeated keys while it probes the file, or Python's, which
carries the keys seen from chunk to chunk), and never across files.

Expectations are written from the planted duplicates, not copied from output."""

from __future__ import annotations

from tests.hub.samples import SAMPLES, write_csv
from tests.hub.test_batches import python_read, validations  # noqa: F401 (fixtures)
from vru.sources.contract import import_source
from vru.sources.registry import SOURCES

A1 = SAMPLES["istv"]["assaults"][0]
ROWS = 300
CHUNK = 100
# Planted: row -> the earlier row whose record_ref it repeats (same chunk, later chunks).
PLANTED = {25: 20, 150: 30, 250: 10, 290: 30}
NO_REF = (40, 240)   # record_ref is optional: rows without one are never duplicates


def _rows(site: str) -> list[dict[str, str]]:
    rows = []
    for i in range(1, ROWS + 1):
        ref = "" if i in NO_REF else f"R{PLANTED.get(i, i)}"
        day = 1 + i % 28
        rows.append(dict(A1, site_code=site, record_ref=ref,
                         arrival_datetime=f"2024-01-{day:02d} 23:10",
                         assault_datetime=f"2024-01-{day:02d} 22:30"))
    return rows


def test_duplicates_across_chunks_of_each_reader(hub_ws, tmp_path, validations,  # noqa: F811
                                                 python_read):  # noqa: F811
    hub_ws.settings.imports.chunk_rows = CHUNK
    d = tmp_path / "in"
    write_csv(d / "a.csv", _rows("RC971"))                  # UTF-8: DuckDB's reader, streamed
    b = _rows("RC972")
    b[0]["location_description"] = "outside the \u00a3 shop"
    write_csv(d / "b.csv", b).write_bytes(                    # Windows-1252: Python's reader
        (d / "b.csv").read_text(encoding="utf-8").encode("cp1252"))
    # The same keys in a third file are not duplicates of the first two files' rows.
    write_csv(d / "c.csv", _rows("RC973")[:50])

    s = import_source(hub_ws, SOURCES["istv"], [d])

    assert python_read == ["b.csv"]
    assert len(validations) >= 2 * ROWS // CHUNK      # a.csv and b.csv each in chunks
    per_file = len(PLANTED)
    assert [(f.name, f.rows_read, f.rows_loaded, f.rows_rejected) for f in s.files] == [
        ("a.csv", ROWS, ROWS - per_file, per_file),
        ("b.csv", ROWS, ROWS - per_file, per_file),
        ("c.csv", 50, 49, 1),                               # row 25 repeats row 20
    ]
    names = dict(hub_ws.sql("SELECT file_id, name FROM source_files"))
    rejects = {(names[f], n, field, reason) for f, n, field, reason in hub_ws.sql(
        "SELECT file_id, row_number, field, reason FROM rejects")}
    want = {(name, row, "record_ref", f"record_ref: duplicate of row {first}")
            for name in ("a.csv", "b.csv") for row, first in PLANTED.items()}
    want.add(("c.csv", 25, "record_ref", "record_ref: duplicate of row 20"))
    assert rejects == want
    # The first row of each repeated key, and the rows without a key, are loaded.
    loaded = {(names[f], n) for f, n in hub_ws.sql(
        "SELECT file_id, row_number FROM ed_assaults")}
    for name in ("a.csv", "b.csv"):
        assert {(name, r) for r in (*PLANTED.values(), *NO_REF)} <= loaded
        assert not {(name, r) for r in PLANTED} & loaded
