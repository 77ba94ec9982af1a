"""SIGKILL an import midway: the workspace must be exactly as before, and a re-run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.police.fixtures import street_file
from vru.testing import new_workspace
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
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "200"},
    )


def test_sigkill_midway_leaves_workspace_as_before(tmp_path):
    data = tmp_path / "big"
    # 144 files = 3 batches of 48: the kill lands after the first batch, before the commit.
    for i in range(144):
        y, m = 2000 + i // 12, i % 12 + 1
        street_file(data, f"{y}-{m:02d}", n=1_000, start=i * 10_000)
    small = tmp_path / "small"
    street_file(small, "2020-01", n=50)

    ws_path = tmp_path / "ws"
    new_workspace(ws_path).close()
    assert _run_import(ws_path, small).wait() == 0
    before = _snapshot(ws_path)
    assert before["crimes"] == 50

    proc = _run_import(ws_path, data)
    seen = []
    for line in proc.stderr:  # plain progress lines when stderr is not a terminal
        seen.append(line.decode())
        if line.startswith(b"progress 48/144"):
            break
    assert proc.poll() is None, "".join(seen)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert _snapshot(ws_path) == before

    done = _run_import(ws_path, data)
    assert done.wait() == 0, done.stderr.read().decode()
    final = _snapshot(ws_path)
    assert final["crimes"] == 50 + 144 * 1_000
    assert final["source_files"] == 145
