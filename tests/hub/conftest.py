"""Fixtures for the data hub: a workspace with agreements in force and a pseudonymisation key."""

from __future__ import annotations

import pytest

from vru.privacy import agreements
from vru.privacy.pseudonymise import KEY_ENV, KEY_FILE_ENV
from vru.testing import new_workspace

TEST_KEY = "hub-test-key-Zq8#not-a-real-secret-71"


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    return TEST_KEY


@pytest.fixture
def hub_ws(tmp_path, key_env):
    """A workspace with a data-sharing agreement in force for every hub source."""
    ws = new_workspace(tmp_path / "ws", area_name="Hub test area")
    with ws.transaction() as con:
        for source in agreements.HUB_SOURCES:
            agreements.add(con, source, f"{source} agency", "Serious Violence Duty",
                           ["problem profile"], 36)
    yield ws
    ws.close()
