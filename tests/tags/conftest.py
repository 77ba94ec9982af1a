"""A small GPS-tag scenario with truth (vru.synth.tags), imported through the real importers."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.builds import shared_build
from vru.privacy.pseudonymise import KEY_ENV, Pseudonymiser
from vru.sources.contract import import_source
from vru.sources.registry import SOURCES
from vru.synth.tags import TagScenarioParams, generate_tags
from vru.testing import new_workspace
from vru.workspace import Workspace

KEY = "tags-test-key-not-a-secret-0123456789"
SCENARIO = TagScenarioParams(seed=5, people=16, days=10, decoy_crimes=600)


@pytest.fixture(scope="session")
def scenario_dir(tmp_path_factory):
    with shared_build(tmp_path_factory, "tags-scenario") as (folder, built):
        if not built:
            generate_tags(folder / "scenario", SCENARIO)
    return folder / "scenario"


def load_scenario(ws: Workspace, folder, key: str = KEY, agree: bool = True) -> None:
    from tests.tags.helpers import agree as add_agreements

    if agree:
        add_agreements(ws)
    for source, sub in (("em_gps", "em"), ("police_rms", "police-rms")):
        s = import_source(ws, SOURCES[source], [folder / sub], key=key.encode())
        assert s.rows_rejected == 0, [f.rejects for f in s.files] if hasattr(s, "files") else s


@pytest.fixture(scope="session")
def scenario_ws(tmp_path_factory, scenario_dir):
    ws = new_workspace(tmp_path_factory.mktemp("tagsws") / "ws")
    load_scenario(ws, scenario_dir)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def pnc_of():
    ps = Pseudonymiser(KEY.encode())

    def lookup(folder) -> dict[str, str]:
        people = pd.read_csv(folder / "em" / "tagged-people.csv", dtype=str)
        return {ps.pseudonym("pnc_id", p): p for p in people.person_id}
    return lookup


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
