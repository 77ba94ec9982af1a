"""`vru profile` end to end through the real CLI app."""

from __future__ import annotations

import docx
from typer.testing import CliRunner

from vru.cli import app
from vru.testing import new_workspace
from vru.testing.toy import build


def test_vru_profile_writes_each_format(tmp_path):
    ws = new_workspace(tmp_path / "ws")
    build(ws, partners=False)
    ws.close()
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["profile", "-w", str(tmp_path / "ws"), "--area", "Carrow",
                                 "--period", "2022-10..2023-09", "--format", "docx,html",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    files = sorted(p.name for p in out.iterdir())
    assert files == ["profile-carrow-oct-2022-to-sep-2023.docx",
                     "profile-carrow-oct-2022-to-sep-2023.html"]
    assert "(Table 1)" in r.output
    d = docx.Document(str(out / files[0]))
    assert d.tables[0].rows[0].cells[1].text == "Count Oct 2022 to Sep 2023"


def test_vru_profile_errors_are_clear(tmp_path):
    ws = new_workspace(tmp_path / "ws")
    build(ws, partners=False)
    ws.close()
    runner = CliRunner()
    r = runner.invoke(app, ["profile", "-w", str(tmp_path / "ws"), "--area", "Atlantis",
                            "--period", "2023/24"])
    assert r.exit_code == 2 and "Atlantis" in r.output and "Alderton" in r.output
    r = runner.invoke(app, ["profile", "-w", str(tmp_path / "ws"), "--area", "Carrow",
                            "--period", "2023/25"])
    assert r.exit_code == 2 and "financial year" in r.output
    r = runner.invoke(app, ["profile", "-w", str(tmp_path / "ws"), "--area", "Carrow",
                            "--period", "2023/24", "--format", "odt"])
    assert r.exit_code == 2 and "unknown format" in r.output
