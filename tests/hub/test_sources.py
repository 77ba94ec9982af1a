"""Every hub contract: a good import, >= 10 malformed rows each with its reason, counts that
reconcile, re-import a no-op, and Excel input equal to CSV input."""

from __future__ import annotations

import pytest

from tests.hub.cases import CASES
from tests.hub.samples import SAMPLES, write_csv, write_xlsx
from vru.sources.contract import import_source
from vru.sources.registry import SOURCES
from vru.testing import new_workspace

KINDS = [(s, k) for s, kinds in SAMPLES.items() for k in kinds]
IDS = [f"{s}-{k}" for s, k in KINDS]


def _table(source: str, kind: str) -> str:
    return SOURCES[source].contract(kind).retention[0].table


def _count(ws, source, kind) -> int:
    t = SOURCES[source].contract(kind).retention[0]
    return ws.scalar(f"SELECT count(*) FROM {t.table} WHERE {t.where}")


def test_every_source_has_at_least_ten_malformed_cases():
    per_source: dict[str, int] = {}
    for (source, _kind), cases in CASES.items():
        per_source[source] = per_source.get(source, 0) + len(cases)
    # The programme's provider returns need interventions and grants first: their malformed
    # cases live in tests/programme/test_returns_import.py.
    assert set(per_source) == set(SOURCES) - {"programme"}
    assert all(n >= 10 for n in per_source.values()), per_source


@pytest.mark.parametrize(("source", "kind"), KINDS, ids=IDS)
def test_good_import_reconciles_and_reimport_is_a_noop(hub_ws, tmp_path, source, kind):
    rows = SAMPLES[source][kind]
    path = write_csv(tmp_path / f"{kind}.csv", rows)
    s = import_source(hub_ws, SOURCES[source], [path])
    (f,) = s.files
    assert (f.status, f.kind, f.rows_read, f.rows_loaded, f.rows_rejected) == (
        "loaded", kind, len(rows), len(rows), 0)
    assert _count(hub_ws, source, kind) == len(rows)
    row = hub_ws.sql("SELECT rows_read, rows_loaded, rows_rejected, status FROM source_files "
                     "WHERE file_id = ?", [f.file_id])[0]
    assert row == (len(rows), len(rows), 0, "active")
    before = hub_ws.sql(f"SELECT * FROM {_table(source, kind)} ORDER BY ALL")
    again = import_source(hub_ws, SOURCES[source], [path])
    assert [x.status for x in again.files] == ["skipped"]
    assert again.rows_read == 0
    assert hub_ws.sql(f"SELECT * FROM {_table(source, kind)} ORDER BY ALL") == before
    assert hub_ws.scalar("SELECT count(*) FROM source_files") == 1


@pytest.mark.parametrize(("source", "kind"), list(CASES), ids=[f"{s}-{k}" for s, k in CASES])
def test_malformed_rows_are_rejected_with_reasons(hub_ws, tmp_path, source, kind):
    contract = SOURCES[source].contract(kind)
    good = SAMPLES[source][kind]
    base = good[0]
    rows = [dict(r) for r in good]
    expected: dict[int, tuple[str, str]] = {}
    for i, (changes, field, reason) in enumerate(CASES[(source, kind)]):
        row = dict(base)
        for u in contract.unique:  # a fresh key, unless the case is about duplicates
            row[u] = f"U{i}"
        row.update(changes)
        rows.append(row)
        expected[len(rows)] = (field, reason)
    path = write_csv(tmp_path / f"bad-{kind}.csv", rows, header=list(base))
    s = import_source(hub_ws, SOURCES[source], [path])
    (f,) = s.files
    assert f.rows_read == len(rows)
    assert f.rows_loaded == len(good)
    assert f.rows_rejected == len(expected)
    assert f.rows_read == f.rows_loaded + f.rows_rejected
    got = {r[0]: (r[1], r[2]) for r in hub_ws.sql(
        "SELECT row_number, field, reason FROM rejects WHERE file_id = ?", [f.file_id])}
    assert set(got) == set(expected)
    for n, (field, reason) in expected.items():
        assert got[n][0] == field, (n, got[n])
        assert f"{field}: " in got[n][1] and reason in got[n][1], (n, got[n])
    assert _count(hub_ws, source, kind) == len(good)
    # Nothing lost: every row read is either in the canonical table or in rejects.
    stored = hub_ws.scalar(f"SELECT count(*) FROM {_table(source, kind)} WHERE file_id = ?",
                           [f.file_id])
    rejected = hub_ws.scalar("SELECT count(*) FROM rejects WHERE file_id = ?", [f.file_id])
    assert stored + rejected == len(rows)
    again = import_source(hub_ws, SOURCES[source], [path])
    assert again.files[0].status == "skipped"
    assert hub_ws.scalar("SELECT count(*) FROM rejects") == rejected


@pytest.mark.parametrize(("source", "kind"), KINDS, ids=IDS)
def test_excel_input_loads_the_same_rows_as_csv(tmp_path, key_env, source, kind):
    from vru.privacy import agreements

    contract = SOURCES[source].contract(kind)
    rows = SAMPLES[source][kind]
    types = {c.name: c.type for c in contract.columns}
    results = []
    for form in ("csv", "xlsx"):
        ws = new_workspace(tmp_path / form)
        with ws.transaction() as con:
            agreements.add(con, source, "agency", "basis", ["purpose"], 36)
        path = (write_csv(tmp_path / f"in-{kind}.csv", rows) if form == "csv"
                else write_xlsx(tmp_path / f"in-{kind}.xlsx", rows, types))
        s = import_source(ws, SOURCES[source], [path])
        assert s.rows_loaded == len(rows), hub_rejects(ws)
        cols = [r[0] for r in ws.sql(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
            "AND column_name NOT IN ('file_id', 'import_id')", [_table(source, kind)])]
        results.append(ws.sql(f"SELECT {', '.join(cols)} FROM {_table(source, kind)} ORDER BY ALL"))
        ws.close()
    assert results[0] == results[1]


def hub_rejects(ws) -> list[tuple]:
    return ws.sql("SELECT row_number, reason FROM rejects")
