"""The workspace: folder layout, settings, migrations, one writer and isolated readers, CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tests.police.fixtures import street_file
from vru.cli import app
from vru.migrations import all_migrations
from vru.settings import Settings
from vru.workspace import Workspace, WorkspaceError


def test_init_creates_database_settings_and_schema(tmp_path):
    ws = Workspace.init(tmp_path / "w", area_name="Testshire VRU")
    assert (tmp_path / "w" / "vru.duckdb").exists()
    assert (tmp_path / "w" / "settings.toml").exists()
    applied = [r[0] for r in ws.sql("SELECT name FROM schema_migrations ORDER BY name")]
    assert applied == [name for name, _ in all_migrations()]
    ws.close()
    again = Workspace.init(tmp_path / "w")  # re-init never overwrites settings
    assert again.settings.area_name == "Testshire VRU"
    again.close()


def test_settings_round_trip_and_unknown_keys(tmp_path):
    s = Settings(area_name="X")
    s.grid.cell_size_m = 250
    s.disclosure.suppress_max = 9
    path = tmp_path / "settings.toml"
    s.save(path)
    assert Settings.load(path) == s
    path.write_text(path.read_text() + "\n[grid2]\ncell = 1\n")
    with pytest.raises(ValueError, match="unknown settings keys: grid2"):
        Settings.load(path)
    path.write_text('[grid]\ncell_size_m = -5\n')
    with pytest.raises(ValueError, match="cell_size_m must be a positive"):
        Settings.load(path)


def test_missing_workspace_is_a_clear_error(tmp_path):
    with pytest.raises(WorkspaceError, match=r"no workspace at .*`vru init "):
        Workspace.open(tmp_path / "nothing")


def test_newer_schema_is_refused(tmp_path):
    ws = Workspace.init(tmp_path / "w")
    with ws.transaction() as con:
        con.execute("INSERT INTO schema_migrations VALUES ('m9999_future', now())")
    ws.close()
    with pytest.raises(WorkspaceError, match="newer than this vru"):
        Workspace.open(tmp_path / "w", read_only=True)


def test_readers_see_only_committed_data(workspace):
    reader = workspace.reader()
    with workspace.transaction() as con:
        con.execute("INSERT INTO geo_lad (lad_code, lad_name) VALUES ('E06999999', 'Testshire')")
        assert reader.execute("SELECT count(*) FROM geo_lad").fetchone()[0] == 0
    assert reader.execute("SELECT count(*) FROM geo_lad").fetchone()[0] == 1


def test_failed_transaction_rolls_back(workspace):
    with pytest.raises(RuntimeError), workspace.transaction() as con:
        con.execute("INSERT INTO geo_lad (lad_code) VALUES ('E06999998')")
        raise RuntimeError("boom")
    assert workspace.scalar("SELECT count(*) FROM geo_lad") == 0


def test_second_writing_process_gets_a_clear_error(workspace):
    code = ("import sys\nfrom vru.workspace import Workspace, WorkspaceError\n"
            "try:\n    Workspace.open(sys.argv[1])\nexcept WorkspaceError as e:\n"
            "    print(e); sys.exit(3)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(workspace.path)],
                          capture_output=True, text=True)
    assert proc.returncode == 3
    assert "another vru process is writing" in proc.stdout


def test_set_grid_recomputes_cells(workspace, tmp_path):
    from vru.sources.police_uk import import_police

    street_file(tmp_path / "in", n=30)
    import_police(workspace, [tmp_path / "in"])
    from vru.geo.grid import set_grid

    set_grid(workspace, 500, 100, 0)
    bad = workspace.scalar(
        "SELECT count(*) FROM crimes WHERE easting IS NOT NULL AND NOT "
        "(cell_e <= easting AND easting < cell_e + 500 AND (cell_e - 100) % 500 = 0 "
        " AND cell_n <= northing AND northing < cell_n + 500 AND cell_n % 500 = 0)")
    assert bad == 0
    assert Settings.load(workspace.path / "settings.toml").grid.cell_size_m == 500


def test_cli_init_import_status(tmp_path):
    runner = CliRunner()
    ws = tmp_path / "cli-ws"
    r = runner.invoke(app, ["init", str(ws), "--area-name", "CLI VRU", "--cell-size", "200"])
    assert r.exit_code == 0, r.output
    street_file(tmp_path / "in", "2023-05", n=12)
    street_file(tmp_path / "in", "2023-07", n=3, start=50)
    r = runner.invoke(app, ["import", "police", str(tmp_path / "in"), "-w", str(ws)])
    assert r.exit_code == 0, r.output
    assert "2 loaded" in r.output and "15" in r.output
    r = runner.invoke(app, ["status", "-w", str(ws), "--json"])
    assert r.exit_code == 0, r.output
    st = json.loads(r.output)
    assert st["workspace"]["area_name"] == "CLI VRU"
    assert st["workspace"]["grid_cell_size_m"] == 200
    street = next(s for s in st["sources"] if s["kind"] == "street")
    assert (street["rows_read"], street["rows_loaded"], street["rows_rejected"]) == (15, 15, 0)
    assert street["missing_months"] == ["2023-06"]
    assert st["geography"]["loaded"] is False and "LSOA name" in st["geography"]["note"]
    r = runner.invoke(app, ["status", "-w", str(ws)])
    assert r.exit_code == 0 and "CLI VRU" in r.output


def test_cli_refusal_exits_nonzero_naming_the_file(tmp_path):
    runner = CliRunner()
    ws = tmp_path / "w"
    runner.invoke(app, ["init", str(ws)])
    bad = tmp_path / "2023-05-x-street.csv"
    bad.write_text("Crime ID,Month\n")
    r = runner.invoke(app, ["import", "police", str(bad), "-w", str(ws)])
    assert r.exit_code == 2
    assert "2023-05-x-street.csv" in r.output and "missing columns" in r.output
