"""Shared fixtures. Real data is read from ../shared/data and skipped cleanly when absent.

Expensive builds are made once per test session here and shared (``demo_run``); fresh
workspaces come from ``vru.testing.new_workspace`` (the schema is built once per process)."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

# One OpenMP thread for scikit-learn's gradient boosting (the forecast's gbm: hundreds of small
# fits). With a thread per core, each fit's threads spin-wait for each other, and on a machine
# that is busy (other tests' processes, DuckDB's own threads) that multiplied the CPU time six-fold:
# the demo's two-month gbm backtest took 398 s with 2 threads and 76 s with 1 at load 10, with
# identical outputs. Set before scikit-learn is first imported (OpenMP reads it once); a value
# already in the environment is kept.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402

from tests.builds import shared_build  # noqa: E402
from vru.testing import new_workspace  # noqa: E402
from vru.workspace import Workspace  # noqa: E402

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
    ws = new_workspace(tmp_path / "ws", area_name="Test area")
    yield ws
    ws.close()


@dataclass
class DemoResult:
    exit_code: int       # `vru demo`'s exit code
    output: str          # what it printed


@dataclass
class DemoRun:
    workspace: Path      # the demo workspace
    data: Path           # the synthetic world and its truth
    result: DemoResult   # the outcome of `vru demo` (exit code, output)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """`vru demo --seed 3 --scale 0.1` with its analyses, run once per test run (whatever the
    number of worker processes) with the network switched off and no key in the environment;
    every demo test reads it (none writes to it)."""
    with shared_build(tmp_path_factory, "demo") as (root, built):
        outcome = root / "outcome.json"
        if not built:
            from typer.testing import CliRunner

            from vru.cli import app

            def refuse(*_a, **_k):
                raise OSError("network use during the demo")

            with pytest.MonkeyPatch.context() as mp:
                mp.delenv("VRU_KEY_FILE", raising=False)
                mp.delenv("VRU_PSEUDONYM_KEY", raising=False)
                mp.setattr(socket.socket, "connect", refuse)
                mp.setattr(socket, "create_connection", refuse)
                res = CliRunner().invoke(app, ["demo", "--workspace", str(root / "demo"), "--seed", "3",
                                               "--scale", "0.1"])
            outcome.write_text(json.dumps({"exit_code": res.exit_code, "output": res.output}))
        result = DemoResult(**json.loads(outcome.read_text()))
    return DemoRun(root / "demo", root / "demo-data", result)
