"""The problem profile's programme section renders in HTML, PDF and DOCX, with the ledger's
spend and disclosure control on counts of young people."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

from tests.programme.conftest import add_funding, add_programme
from vru.programme.ledger import Spend, record_spend
from vru.programme.model import intervention_by_code
from vru.programme.people import PersonIds
from vru.programme.workflow import NewReferral, create_referral, get_referral, move
from vru.testing import new_workspace

sys.path.insert(0, str(Path(__file__).parents[1] / "profiles"))
import toy  # noqa: E402

from tests.profiles.conftest import docx_text, html_text, pdf_text  # noqa: E402

TODAY = date(2025, 3, 1)


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    import os

    from vru.privacy.pseudonymise import KEY_ENV, KEY_FILE_ENV
    from vru.reports import render
    from vru.reports.profile import build_profile

    saved = {k: os.environ.pop(k, None) for k in (KEY_ENV, KEY_FILE_ENV)}
    os.environ[KEY_ENV] = "programme-profile-test-key-0001"
    root = tmp_path_factory.mktemp("progprofile")
    ws = new_workspace(root / "ws", area_name="Testshire")
    try:
        toy.build(ws)
        add_programme(ws)
        add_funding(ws)
        with ws.transaction() as con:  # the toy area's funding is for 2023-24
            con.execute("UPDATE fund_grants SET fy = '2023-24'")
        record_spend(ws, Spend("N-NYT-24", "2023-24", 2, "12345.67", "MENT"))
        record_spend(ws, Spend("E-ES-24", "2023-24", 3, "5000.00", "KNIFE"))
        for i in range(23):
            rid = create_referral(ws, NewReferral(
                intervention_by_code(ws, "MENT"), "School", date(2023, 6, 1), ["exclusion"],
                PersonIds(pnc_id=f"23/{300000 + i}C"), age=15, sex="M",
                area="Alderton" if i < 20 else "Brookfield"), "cw", today=TODAY)
            v = get_referral(ws, rid)["version"]
            for st in ("assessed", "accepted", "engaged") + (("completed",) if i < 12 else ()):
                v = move(ws, rid, st, date(2023, 7, 1), "cw", v, today=TODAY)
        out = {}
        for priv in (False, True):
            doc = build_profile(ws, "Alderton", "2023/24", privileged=priv)
            paths = render(doc, ["html", "pdf", "docx"], root / ("priv" if priv else "pub"))
            out[priv] = {p.suffix[1:]: p for p in paths}
        yield out
    finally:
        ws.close()
        os.environ.pop(KEY_ENV, None)
        for k, v in saved.items():
            if v is not None:
                os.environ[k] = v


@pytest.mark.parametrize("fmt,reader", [("html", html_text), ("pdf", pdf_text),
                                        ("docx", docx_text)])
def test_programme_section_renders(docs, fmt, reader):
    priv = " ".join(reader(docs[True][fmt]).split())
    pub = " ".join(reader(docs[False][fmt]).split())
    for text in (priv, pub):
        assert "The programme: what the VRU funds and who it reaches" in text
        assert "Interventions, 2023-24" in text and "Referral funnel" in text
        assert "£12,346" in text and "Mentoring for 10-17s" in text  # to the pound (£12,345.67)
        assert "Moderate impact" in text
        assert "Spend by theme, 2023-24" in text
    # 20 young people living in Alderton: exact for the privileged, "about 20" publicly.
    assert "supported 20 young people living in Alderton" in priv
    assert "supported about 20 young people living in Alderton" in pub
    # Weak evidence is a key finding.
    assert "insufficient or harmful evidence" in priv
