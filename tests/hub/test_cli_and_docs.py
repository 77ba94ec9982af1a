"""The hub's commands end to end, and the documented contracts equal the enforced ones."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.hub.samples import SAMPLES, write_csv
from vru.cli import app
from vru.privacy.pseudonymise import KEY_ENV, KEY_FILE_ENV
from vru.sources.contract_docs import contract_table
from vru.sources.registry import SOURCES

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_hub_commands_end_to_end(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.delenv(KEY_ENV, raising=False)
    ws = str(tmp_path / "ws")
    assert _run("init", ws).exit_code == 0
    data = write_csv(tmp_path / "adm.csv", SAMPLES["admissions"]["admissions"])

    r = _run("import", "admissions", "-w", ws, str(data))
    assert r.exit_code == 2 and "no data-sharing agreement" in r.output

    r = _run("agreements", "add", "-w", ws, "--source", "admissions", "--agency", "ICB",
             "--legal-basis", "SV Duty", "--purpose", "profile", "--purpose", "evaluation",
             "--retention-months", "24", "--valid-from", "2020-01-01")
    assert r.exit_code == 0, r.output
    r = _run("agreements", "add", "-w", ws, "--source", "nope", "--agency", "x",
             "--legal-basis", "y", "--purpose", "z", "--retention-months", "1")
    assert r.exit_code == 2 and "unknown source" in r.output
    listed = json.loads(_run("agreements", "list", "-w", ws, "--json").output)
    assert [(a["source"], a["purposes"], a["retention_months"]) for a in listed] == [
        ("admissions", ["profile", "evaluation"], 24)]

    r = _run("import", "admissions", "-w", ws, str(data))
    assert r.exit_code == 2 and "no pseudonymisation key" in r.output
    monkeypatch.setenv(KEY_ENV, "cli-test-key-0123456789abcdef")
    r = _run("import", "admissions", "-w", ws, str(data))
    assert r.exit_code == 0, r.output
    assert "read 3 = loaded 3 + rejected 0" in r.output
    r = _run("import", "admissions", "-w", ws, str(data))
    assert "read 0 = loaded 0 + rejected 0; files skipped (already loaded): 1" in r.output

    r = _run("retention", "apply", "-w", ws, "--as-of", "2026-02-15", "--dry-run")
    assert r.exit_code == 0 and "dry run" in r.output and "2024-02-15" in r.output
    r = _run("retention", "apply", "-w", ws, "--as-of", "2026-02-15")
    assert r.exit_code == 0, r.output
    r = _run("retention", "apply", "-w", ws, "--as-of", "15/02/2026")
    assert r.exit_code == 2 and "not a date" in r.output

    from vru.workspace import Workspace

    with Workspace.open(ws, read_only=True) as w:
        # admitted 2024-01-04 and 2024-02-01 are before the cutoff; 2024-03-01 stays
        assert w.scalar("SELECT count(*) FROM hospital_admissions") == 1
        assert w.sql("SELECT rows_purged, dry_run FROM retention_runs WHERE source = "
                     "'admissions' ORDER BY dry_run") == [(2, False), (2, True)]


def test_every_contract_is_documented_exactly():
    for name, source in SOURCES.items():
        page = ROOT / "docs" / "guide" / f"hub-{name.replace('_', '-')}.md"
        text = page.read_text()
        for contract in source.contracts:
            assert contract_table(contract) in text, (
                f"{page.name}: the '{contract.kind}' contract table is out of date; regenerate "
                "it with vru.sources.contract_docs.contract_table")


def test_hub_overview_links_every_source_page():
    text = (ROOT / "docs" / "guide" / "hub.md").read_text()
    for name in SOURCES:
        assert f"hub-{name.replace('_', '-')}.md" in text
    for cmd in ("vru agreements add", "vru retention apply", "VRU_PSEUDONYM_KEY", "VRU_KEY_FILE"):
        assert cmd in text
