"""A synthetic world generated once per test run (scale 0.5: ~200k crimes, three years)."""

from __future__ import annotations

import pytest

from tests.builds import shared_build
from vru.synth.generate import generate
from vru.synth.params import SynthParams


@pytest.fixture(scope="session")
def world_params() -> SynthParams:
    return SynthParams(seed=7, scale=0.5)


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory, world_params):
    with shared_build(tmp_path_factory, "synth-world") as (folder, built):
        if not built:
            generate(folder / "world", world_params)
    return folder / "world"
