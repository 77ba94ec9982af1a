"""SIGKILL an import midway: the workspace must be exactly as before, and a re-run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.police.fixtures import street_file
from vru.workspace import Workspace

pytestmark = pytest.mark.slow

TABLES = ("crimes", "outcomes", "stop_search", "rejects", "source_files", "imports",
          "file_replacements")


def _snapshot(path) -> dict:
    ws = Workspace.open(path)
    try:
        return {t: ws.scalar(f"SELECT count(*) FROM {t}") for t in TABLES} | {
            "checksum": ws.scalar("SELECT sum(hash(crime_id, row_number, file_id)) FROM crimes")
        }
    finally:
        ws.close()


def _run_import(ws_path, data) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "vru.cli", "import", "police", str(data), "-w", str(ws_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "120"},
    )


def test_sigkill_midway_leaves_workspace_as_before(tmp_path):
    data = tmp_path / "big"
    for m in range(1, 13):
        for y in (2022, 2023):
            street_file(data, f"{y}-{m:02d}", n=10_000, start=(y * 100 + m) * 100_000)
    small = tmp_path / "small"
    street_file(small, "2020-01", n=50)

    # How long does the whole import take here, on this machine, now?
    timing_ws = tmp_path / "timing"
    Workspace.init(timing_ws).close()
    t0 = time.perf_counter()
    assert _run_import(timing_ws, data).wait() == 0
    full = time.perf_counter() - t0

    ws_path = tmp_path / "ws"
    Workspace.init(ws_path).close()
    assert _run_import(ws_path, small).wait() == 0
    before = _snapshot(ws_path)
    assert before["crimes"] == 50

    killed = 0
    for fraction in (0.6, 0.8):
        proc = _run_import(ws_path, data)
        time.sleep(full * fraction)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            assert proc.wait() == -signal.SIGKILL
            killed += 1
            assert _snapshot(ws_path) == before
        else:
            proc.wait()
    # The kills must have landed while the import was running.
    assert killed >= 1
    assert _snapshot(ws_path) == before

    done = _run_import(ws_path, data)
    assert done.wait() == 0, done.stderr.read().decode()
    final = _snapshot(ws_path)
    assert final["crimes"] == 50 + 24 * 10_000
    assert final["source_files"] == 25
