"""Arbitrary cell text never breaks an import: every row is loaded or rejected, never lost."""

from __future__ import annotations

import csv
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hub.samples import SAMPLES
from vru.sources.contract import import_source
from vru.sources.registry import SOURCES

HEADER = list(SAMPLES["admissions"]["admissions"][0])
cell = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "9434765919", "X99", "2024-01-01", "31/12/2023", "E01017525",
                     "NaN", "-0", "1e308", "'", '"', ",", "\n", "NULL", "\u00e9"]),
)
row = st.fixed_dictionaries({h: cell for h in HEADER})
counter = itertools.count()


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=8))
def test_random_cells_reconcile(hub_ws, tmp_path, rows):
    path = tmp_path / f"fuzz-{next(counter)}.csv"
    with open(path, "w", newline="", encoding="utf-8", errors="surrogatepass") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for r in rows:
            w.writerow([r[h] for h in HEADER])
    before = hub_ws.scalar("SELECT count(*) FROM hospital_admissions")
    s = import_source(hub_ws, SOURCES["admissions"], [path])
    f = s.files[0]
    if f.status == "skipped":
        return
    assert f.rows_read == f.rows_loaded + f.rows_rejected
    assert hub_ws.scalar("SELECT count(*) FROM hospital_admissions") == before + f.rows_loaded
    assert hub_ws.scalar("SELECT count(*) FROM rejects WHERE file_id = ?",
                         [f.file_id]) == f.rows_rejected
