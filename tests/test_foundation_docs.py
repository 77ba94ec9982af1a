"""Docs stay in step with the code: every setting, status key and reject reason is documented."""

from __future__ import annotations

from dataclasses import fields, is_dataclass

from tests.conftest import ROOT
from tests.police.fixtures import street_file
from vru.settings import Settings
from vru.sources import police_uk
from vru.sources.police_uk import import_police
from vru.status import workspace_status

GUIDE = ROOT / "docs" / "guide"


def _keys(obj, prefix="") -> list[str]:
    out = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        if is_dataclass(value):
            out += _keys(value, f"{prefix}{f.name}.")
        else:
            out.append(prefix + f.name)
    return out


def test_every_setting_is_documented():
    page = (GUIDE / "workspace.md").read_text()
    missing = [k for k in _keys(Settings()) if f"`{k}`" not in page]
    assert not missing, f"settings missing from docs/guide/workspace.md: {missing}"


def test_every_status_key_is_documented(workspace, tmp_path):
    street_file(tmp_path / "in", "2023-05", n=5)
    import_police(workspace, [tmp_path / "in"])
    st = workspace_status(workspace)
    page = (GUIDE / "status.md").read_text()
    keys = set(st) | {f"{k}" for k in st["workspace"]} | set(st["geography"]) | set(st["rejects"])
    keys |= set(st["sources"][0]) | set(st["coverage"][0]) | set(st["imports"][0])
    missing = sorted(k for k in keys if f"`{k}`" not in page)
    assert not missing, f"status keys missing from docs/guide/status.md: {missing}"


def test_every_reject_reason_and_flag_is_documented():
    page = (GUIDE / "import-police.md").read_text()
    # The police.uk contracts declare their checks (field, rule, reason) and flags as data.
    contracts = police_uk.POLICE_UK.contracts
    reasons = {chk.reason for c in contracts for chk in c.checks}
    flags = {fl.name for c in contracts for fl in c.flags}
    assert len(reasons) >= 12 and len(flags) >= 4
    missing = sorted(r for r in reasons | flags if r.strip() not in page)
    assert not missing, f"undocumented reasons/flags in import-police.md: {missing}"
    assert police_uk.SOURCE == "police_uk"
    assert {c.guide for c in contracts} == {"docs/guide/import-police.md"}
