"""Event files read for one analysis (vru.sources.event_files): errors name file, row and field;
months from dates; feet converted with the CRS's unit."""

from __future__ import annotations

import numpy as np
import pytest

from vru.errors import VruError
from vru.sources import event_files as ef


def test_dated_events_by_month_and_feet(tmp_path):
    p = tmp_path / "ev.csv"
    p.write_text("key,x,y,date\n1,1000,2000,2023-01-31\n1,1000,2000,2023-01-31\n"
                 "2,10,20,2023-03-02\n3,,5,2023-02-01\n4,1,1,not a date\n")
    e = ef.read_dated_events(p, "x", "y", "date", crs="EPSG:2263", dedupe="key")
    assert e.data["rows_read"] == 5 and e.data["events"] == 4 and e.data["events_used"] == 2
    assert np.allclose(e.x, [1000 * 0.3048006096, 10 * 0.3048006096])
    x, y, step, labels = e.by_month()
    # a file cannot tell a gap from a quiet month: February is a month of the series
    assert labels == ["2023-01", "2023-02", "2023-03"] and step.tolist() == [0, 2]
    with pytest.raises(ef.EventFileError, match="no events in that period"):
        e.by_month("2024-01", "2024-02")


def test_errors_name_the_file_row_and_field(tmp_path):
    p = tmp_path / "ev.csv"
    p.write_text("x,y,when\n1,2,2023-01-01\n")
    with pytest.raises(VruError, match=r"ev.csv: no column\(s\) date"):
        ef.read_dated_events(p, "x", "y", "date")
    gps = tmp_path / "gps.csv"
    gps.write_text("patrol_id,timestamp,lon,lat\nP,2024-01-01 09:00,-0.46,52.1\n"
                   "P,soon,-0.46,52.1\n")
    with pytest.raises(ef.EventFileError, match="gps.csv: row 2, field 'timestamp'"):
        ef.read_gps(gps)
    with pytest.raises(ef.EventFileError, match="cannot read"):
        ef.read_plan(tmp_path / "absent.csv")
