"""Fixtures for hotspot tests: synthetic point patterns with planted hot spots (known truth),
police.uk-format files built from them, and (slow) the real Bedfordshire months."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import shared_path
from vru.testing import new_workspace
from vru.testing.police_files import BOX, HOT, planted_events, write_street_files  # noqa: F401
from vru.workspace import Workspace


@pytest.fixture
def street_workspace(tmp_path) -> Workspace:
    from vru.sources.police_uk import import_police

    files = write_street_files(tmp_path / "files")
    ws = new_workspace(tmp_path / "ws", area_name="Testshire")
    import_police(ws, [files])
    yield ws
    ws.close()


def _police_workspace(tmp_path_factory, force: str, area_name: str) -> Path:
    """A workspace holding the real data.police.uk street files of ``force`` (../shared/data)."""
    from vru.sources.police_uk import import_police

    street = shared_path("police-uk", force, "street")
    path = tmp_path_factory.mktemp(force) / "ws"
    ws = new_workspace(path, area_name=area_name)
    import_police(ws, [street])
    ws.close()
    return path


@pytest.fixture(scope="session")
def bedfordshire(tmp_path_factory) -> Path:
    """A workspace holding the 36 real Bedfordshire street files (imported once)."""
    return _police_workspace(tmp_path_factory, "bedfordshire", "Bedfordshire")


@pytest.fixture(scope="session")
def city_of_london(tmp_path_factory) -> Path:
    """A workspace holding the 36 real City of London street files (imported once)."""
    return _police_workspace(tmp_path_factory, "city-of-london", "City of London")
