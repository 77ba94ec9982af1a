"""With `vru serve` running, other `vru` processes work: they hand their command to the server.

Each command runs as its own process against a real server process; what they change shows in
the running web app without a restart, the audit log says who ran them, and killing the server
in the middle of a handed-over import leaves the workspace as it was.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

from tests.hub.samples import SAMPLES, write_csv
from tests.live.conftest import PASSWORD, env, vru


def _audit(ws: Path) -> list[dict]:
    return [json.loads(line) for line in (ws / "logs" / "audit.log").read_text().splitlines()]


def test_commands_run_inside_the_server_and_show_in_the_web(live):
    ws, srv, cwd = live
    handle = ws / "server.json"                      # the token: readable by its owner only
    assert handle.stat().st_mode & 0o777 == 0o600
    assert json.loads(handle.read_text())["pid"] == srv.proc.pid
    web = srv.client()
    hub_before = web.get("/data-hub").text            # cached page, filled before the import
    assert "istv" not in web.get("/api/data-hub/sources").text
    login = os.environ.get("USER") or __import__("getpass").getuser()

    # read-only: status (reads through the server; relative -w from the caller's folder)
    st = vru("status", "--json", "-w", "ws", cwd=cwd)
    assert st.returncode == 0, st.stderr
    assert json.loads(st.stdout)["workspace"]["area_name"] == "Testshire"
    assert f"pid {srv.proc.pid}" in st.stderr          # says where it ran

    # users add: the password comes on standard input
    r = vru("users", "add", "carol", "--role", "analyst", "--password-stdin", "-w", str(ws),
            cwd=cwd, stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert "Added carol (analyst)" in r.stdout
    assert "carol" in {u["username"] for u in web.get("/api/admin/users").json()["users"]}
    carol = srv.client("carol")                      # and she can sign in at once
    assert carol.get("/api/me").json()["user"]["username"] == "carol"

    # an import, with a relative path from the caller's folder
    write_csv(cwd / "in" / "istv-jan.csv", SAMPLES["istv"]["assaults"])
    r = vru("import", "istv", "in/istv-jan.csv", "-w", str(ws), cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert "read 3 = loaded 3 + rejected 0" in r.stdout
    sources = web.get("/api/data-hub/sources").json()
    istv = [s for s in sources["sources"] if s["source"] == "istv"]
    assert istv and sum(s["rows_loaded"] for s in istv) == 3
    hub_after = web.get("/data-hub").text
    row = '<small class="note">(istv)</small>'        # the sources table's ISTV row
    assert row not in hub_before and row in hub_after

    # a profile (a reading job: files only) and a Gi* run (a writing job)
    r = vru("profile", "--area", "Alderton", "--period", "2023/24", "--format", "html",
            "--out", "profiles", "-w", str(ws), cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert list((cwd / "profiles").glob("*.html")), r.stdout
    r = vru("hotspots", "gistar", "-c", "Violence and sexual offences", "--size", "250",
            "--out", "gistar", "-w", str(ws), cwd=cwd)
    assert r.returncode == 0, r.stderr
    g = pd.read_csv(cwd / "gistar" / "gistar.csv")
    assert len(g) and g["value"].sum() > 0

    # a refused command keeps its message and exit code
    r = vru("import", "admissions", "in/istv-jan.csv", "-w", str(ws), cwd=cwd)
    assert r.returncode == 2 and "no data-sharing agreement" in r.stderr

    # who ran what
    web.get("/admin/audit")                          # drains the server's audit queue
    jobs = [a for a in _audit(ws) if a["kind"] == "job" and a["action"] == "job.start"]
    commands = [a["detail"]["command"] for a in jobs]
    for expected in ("vru status", "vru users add carol", "vru import istv",
                     "vru profile --area Alderton", "vru hotspots gistar"):
        assert any(c.startswith(expected) for c in commands), (expected, commands)
    assert {a["actor"] for a in jobs} == {login}
    ends = {a["detail"]["job_id"]: a["detail"]["exit_code"] for a in _audit(ws)
            if a["kind"] == "job" and a["action"] == "job.end"}
    assert sorted(ends.values()) == [0, 0, 0, 0, 0, 2]
    users_audit = [a for a in _audit(ws) if a["action"] == "users.add"]
    assert users_audit[-1]["actor"] == login and users_audit[-1]["detail"]["username"] == "carol"

    srv.stop()
    con = duckdb.connect(str(ws / "vru.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT user_name FROM imports WHERE source = 'istv'").fetchall() \
            == [(login,)]
        assert con.execute("SELECT count(*) FROM hotspot_runs WHERE kind = 'gistar'"
                           ).fetchone()[0] == 1
    finally:
        con.close()
    assert not (ws / "server.json").exists()        # a clean stop removes the handle


def _big_istv(path: Path, n: int) -> Path:
    base = SAMPLES["istv"]["assaults"][0]
    rows = [{**base, "record_ref": f"R{i}"} for i in range(n)]
    return write_csv(path, rows)


def _counts(ws: Path) -> dict[str, int]:
    con = duckdb.connect(str(ws / "vru.duckdb"), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("imports", "source_files", "ed_assaults", "rejects", "crimes")}
    finally:
        con.close()


def test_killing_the_server_mid_import_leaves_the_workspace_as_before(live):
    ws, srv, cwd = live
    small = write_csv(cwd / "in" / "istv-jan.csv", SAMPLES["istv"]["assaults"])
    assert vru("import", "istv", str(small), "-w", str(ws), cwd=cwd).returncode == 0
    srv.stop()
    before = _counts(ws)
    big2 = _big_istv(cwd / "big2" / "istv-big2.csv", 300_001)

    srv.__init__(ws, cwd)  # a fresh server on the same workspace
    client = subprocess.Popen([sys.executable, "-m", "vru.cli", "import", "istv", str(big2),
                               "-w", str(ws)], cwd=cwd, env=env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in client.stderr:                       # wait until the import is under way
        seen.append(line)
        if line.startswith("progress:") and "importing" in line:
            break
    time.sleep(1.0)
    assert client.poll() is None, "".join(seen)      # still importing when the server dies
    os.kill(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait(30)
    out, rest = client.communicate(timeout=60)
    assert client.returncode == 3, (out, rest)
    assert "lost contact" in rest and "run the command again" in rest

    # the handle is stale now: commands run directly again, and nothing of the import is left
    st = vru("status", "--json", "-w", str(ws), cwd=cwd)
    assert st.returncode == 0, st.stderr
    assert "running inside" not in st.stderr
    assert _counts(ws) == before
    again = vru("import", "istv", str(big2), "-w", str(ws), cwd=cwd)
    assert again.returncode == 0, again.stderr
    assert "read 300001 = loaded 300001 + rejected 0" in again.stdout
