"""Shared fixtures. Real data is read from ../shared/data and skipped cleanly when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from vru.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data; skips the test (with the reason) when it is absent."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared data not available: {p} (tests read real data from ../shared/data)")
    return p


@pytest.fixture
def shared_data():
    return shared_path


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    ws = Workspace.init(tmp_path / "ws", area_name="Test area")
    yield ws
    ws.close()
