"""A workspace with a small programme: providers, interventions and a funding tree."""

from __future__ import annotations

from datetime import date

import pytest

from vru.privacy.pseudonymise import KEY_ENV, KEY_FILE_ENV
from vru.programme.ledger import Grant, add_body, add_grant
from vru.programme.model import Intervention, add_intervention
from vru.testing import new_workspace
from vru.workspace import Workspace

TEST_KEY = "programme-test-key-not-a-real-secret-42"
THEMES = ("Early intervention and prevention", "Supporting communities and partnerships")


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    return TEST_KEY


def add_programme(ws: Workspace) -> None:
    for code, name, theme, strand, provider, delivery in (
            ("MENT", "Mentoring for 10-17s", THEMES[0], "mentoring", "Northside Youth Trust",
             "one_to_one"),
            ("SPORT", "Midnight football", THEMES[1], "sports_programmes", "Eastfield Sports",
             "group"),
            ("KNIFE", "Knife crime assemblies", THEMES[0], "knife_crime_education",
             "Eastfield Sports", "universal")):
        add_intervention(ws, Intervention(code, name, theme, "secondary", strand, provider,
                                          ["Northside", "Eastfield"], date(2024, 4, 1),
                                          capacity=40, cost_per_place="1250.00",
                                          delivery=delivery))


def add_funding(ws: Workspace) -> None:
    """Home Office 1,000,000.00 -> PCC; PCC devolves 300,000 + 250,000.50 to two LAs; each LA
    funds a provider."""
    for name, kind in (("Home Office", "home_office"), ("Testshire PCC", "pcc"),
                       ("Northside Council", "local_authority"),
                       ("Eastfield Council", "local_authority"),
                       ("Northside Youth Trust", "provider"), ("Eastfield Sports", "provider")):
        add_body(ws, name, kind)
    add_grant(ws, Grant("HO-24", "Home Office", "Testshire PCC", "vru_core", "2024-25",
                        "1000000.00", match="100000", carry_over_allowed=True,
                        conditions=[{"kind": "evaluation_min_pct", "value": 10},
                                    {"kind": "match_pct", "value": 10}]))
    add_grant(ws, Grant("PCC-N-24", "Testshire PCC", "Northside Council", "vru_core", "2024-25",
                        "300000.00", parent="HO-24"))
    add_grant(ws, Grant("PCC-E-24", "Testshire PCC", "Eastfield Council", "vru_core", "2024-25",
                        "250000.50", parent="HO-24"))
    add_grant(ws, Grant("N-NYT-24", "Northside Council", "Northside Youth Trust", "vru_core",
                        "2024-25", "200000.00", parent="PCC-N-24"))
    add_grant(ws, Grant("E-ES-24", "Eastfield Council", "Eastfield Sports", "vru_core",
                        "2024-25", "250000.50", parent="PCC-E-24"))


@pytest.fixture
def prog_ws(tmp_path, key_env):
    ws = new_workspace(tmp_path / "ws", area_name="Testshire")
    add_programme(ws)
    add_funding(ws)
    yield ws
    ws.close()
