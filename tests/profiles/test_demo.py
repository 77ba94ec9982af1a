"""A profile of a demo local authority (the `vru demo` workspace) has every section filled."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_ws(demo_run):
    """The session's demo workspace (tests/conftest.py `demo_run`, seed 3, scale 0.1)."""
    from vru.workspace import Workspace

    assert demo_run.result.exit_code == 0, demo_run.result.output
    ws = Workspace.open(demo_run.workspace, read_only=True)
    yield ws
    ws.close()


@pytest.mark.timeout(1800)  # may be the test whose setup builds the session's demo
def test_demo_local_authority_profile_has_all_sections(demo_ws, tmp_path):
    from vru.reports import render
    from vru.reports.profile import build_profile

    lad = demo_ws.scalar("SELECT lad_name FROM geo_lad ORDER BY lad_code LIMIT 1")
    doc = build_profile(demo_ws, lad, "2023/24")
    assert doc.meta["source"] == "police_rms"
    head = {r[0]: r for r in doc.table("t_headline").rows}
    for label, row in head.items():
        assert row[1] not in ("not available",) and not str(row[1]).startswith(
            "no data supplied"), label
        assert row[2] is not None, label  # every indicator has a rate (or a suppressed one)
    ids = {t.id for t in doc.tables()}
    for want in ("t_headline", "t_peers", "t_fy", "t_season", "t_tod", "t_types", "t_victims",
                 "t_suspects", "t_edgap", "t_ed_where", "t_ed_when", "t_ed_lsoa", "t_lsoa",
                 "t_conc",
                 "t_depr", "t_coverage", "t_quality", "t_repeat_adm", "t_fte", "t_hotspots"):
        assert want in ids, want
    assert len(doc.table("t_peers").rows) == 6  # five local authorities and the force
    assert [m.id for m in doc.maps()] == ["m_lsoa"]
    assert len(doc.findings()) >= 8
    paths = render(doc, "html,pdf,docx", tmp_path)
    assert all(p.stat().st_size > 50_000 for p in paths)
