"""Canonical tables to Parquet (`Workspace.export_parquet`, `vru export parquet`), read back with
pyarrow (an independent reader) and compared with the rows in DuckDB."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from vru.cli import app
from vru.sources.police_uk import import_police
from vru.testing.police_files import street_file
from vru.workspace import NOT_EXPORTED, WorkspaceError


def test_export_round_trips_every_exported_table(workspace, tmp_path):
    street_file(tmp_path / "in", "2023-05", n=25)
    import_police(workspace, [tmp_path / "in"])
    rows = workspace.export_parquet(tmp_path / "out")
    assert rows["crimes"] == 25
    assert not set(rows) & NOT_EXPORTED and "rejects" not in rows
    for table, n in rows.items():
        t = pq.read_table(tmp_path / "out" / f"{table}.parquet")
        assert t.num_rows == n, table
    got = pq.read_table(tmp_path / "out" / "crimes.parquet").to_pandas()
    want = workspace.df("SELECT * FROM crimes")
    assert list(got.columns) == list(want.columns)
    key = ["crime_id"]
    a = got.sort_values(key).reset_index(drop=True)
    b = want.sort_values(key).reset_index(drop=True)
    assert a["crime_id"].tolist() == b["crime_id"].tolist()
    assert a["easting"].tolist() == pytest.approx(b["easting"].tolist())
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["tables"] == rows and manifest["schema_version"] == workspace.schema_version


def test_secrets_and_raw_rejects_are_never_exported(workspace, tmp_path):
    with pytest.raises(WorkspaceError, match="never exported"):
        workspace.export_parquet(tmp_path / "out", ["crimes", "rejects"])
    with pytest.raises(WorkspaceError, match="no such table"):
        workspace.export_parquet(tmp_path / "out", ["nope"])


def test_cli_exports_chosen_tables_and_audits(workspace, tmp_path):
    street_file(tmp_path / "in", "2023-06", n=4)
    import_police(workspace, [tmp_path / "in"])
    path = workspace.path
    workspace.close()
    res = CliRunner().invoke(app, ["export", "parquet", str(tmp_path / "pq"), "-t", "crimes",
                                   "-w", str(path)])
    assert res.exit_code == 0, res.output
    assert pq.read_table(tmp_path / "pq" / "crimes.parquet").num_rows == 4
    assert sorted(p.name for p in (tmp_path / "pq").iterdir()) == ["crimes.parquet",
                                                                    "manifest.json"]
    log = (path / "logs").glob("audit*")
    assert any("export.parquet" in p.read_text() for p in log)
    bad = CliRunner().invoke(app, ["export", "parquet", str(tmp_path / "x"), "-t", "web_users",
                                   "-w", str(path)])
    assert bad.exit_code == 2 and "never exported" in bad.output
