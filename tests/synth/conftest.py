"""A synthetic world generated once per test session (scale 0.5: ~200k crimes, three years)."""

from __future__ import annotations

import pytest

from vru.synth.generate import generate
from vru.synth.params import SynthParams


@pytest.fixture(scope="session")
def world_params() -> SynthParams:
    return SynthParams(seed=7, scale=0.5)


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory, world_params):
    out = tmp_path_factory.mktemp("synth") / "world"
    generate(out, world_params)
    return out
