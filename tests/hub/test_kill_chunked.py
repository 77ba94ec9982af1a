"""SIGKILL a chunked partner import midway: the workspace must be exactly as before, nothing raw
is left on disk, and a re-run completes (the police.uk kill test, extended to chunked imports)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.hub.reliability import PNC_IDS, csv_bytes, rows
from tests.hub.samples import SAMPLES, write_csv
from vru.privacy import agreements
from vru.privacy.pseudonymise import KEY_ENV, KEY_FILE_ENV
from vru.settings import Settings
from vru.testing import new_workspace
from vru.workspace import Workspace

pytestmark = pytest.mark.slow

KEY = "kill-test-key-not-a-secret-5512"
TABLES = ("em_pings", "rejects", "source_files", "imports", "pseudonym_key")


def _snapshot(path) -> dict:
    ws = Workspace.open(path, read_only=True)
    try:
        return {t: tuple(ws.sql(f"SELECT count(*), bit_xor(hash(CAST(t AS VARCHAR))) FROM {t} t")[0])
                for t in TABLES}
    finally:
        ws.close()


def _run(ws_path, data) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != KEY_FILE_ENV}
    return subprocess.Popen(
        [sys.executable, "-m", "vru.cli", "import", "em-gps", str(data), "-w", str(ws_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**env, KEY_ENV: KEY, "COLUMNS": "200"},
    )


def test_sigkill_during_a_chunked_import_leaves_workspace_as_before(tmp_path):
    ws_path = tmp_path / "ws"
    ws = new_workspace(ws_path)
    with ws.transaction() as con:
        agreements.add(con, "em_gps", "probation", "Serious Violence Duty", ["profile"], 36)
    ws.close()
    settings = Settings.load(ws_path / "settings.toml")
    settings.imports.chunk_rows = 10_000
    settings.save(ws_path / "settings.toml")

    small = write_csv(tmp_path / "small" / "pings.csv", SAMPLES["em_gps"]["pings"])
    assert _run(ws_path, small).wait() == 0
    before = _snapshot(ws_path)
    assert before["em_pings"][0] == 3

    n = 150_000
    big = tmp_path / "big" / "pings.csv"
    big.parent.mkdir()
    data = rows("em_gps", n)
    for i, r in enumerate(data):   # distinct times, so nothing is a duplicate
        r["ping_time"] = f"2024-02-{1 + i // 86400:02d} {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
    big.write_bytes(csv_bytes(data))

    proc = _run(ws_path, big)
    seen = []
    for line in proc.stderr:  # progress lines per chunk when stderr is not a terminal
        seen.append(line.decode())
        if b"(40,000 rows)" in line:
            break
    assert proc.poll() is None, "".join(seen)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert _snapshot(ws_path) == before
    # Nothing raw was written while the chunks were in flight (database, WAL, temp folders).
    for p in ws_path.rglob("*"):
        if p.is_file():
            blob = p.read_bytes()
            assert not [pnc for pnc in PNC_IDS if pnc.encode() in blob], p

    done = _run(ws_path, big)
    assert done.wait() == 0, done.stderr.read().decode()
    ws = Workspace.open(ws_path, read_only=True)
    try:
        assert ws.scalar("SELECT count(*) FROM em_pings") == 3 + n
        assert ws.sql("SELECT rows_read, rows_loaded, rows_rejected FROM source_files "
                      "ORDER BY file_id DESC LIMIT 1") == [(n, n, 0)]
        # Row numbers run 1..n across the chunks.
        assert ws.sql("SELECT min(row_number), max(row_number), count(DISTINCT row_number) "
                      "FROM em_pings WHERE file_id = (SELECT max(file_id) FROM source_files)"
                      ) == [(1, n, n)]
    finally:
        ws.close()
