"""A real `vru serve` process on a real workspace, for the live-workspace tests.

The workspace is the profile tests' toy force area (crimes, geography, population, partner
tables) plus a data-sharing agreement for ISTV and one admin. The server is started as its own
process exactly as a user starts it; commands are run as further processes.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.hub.conftest import TEST_KEY
from tests.profiles import toy
from vru.privacy import agreements, users
from vru.privacy.pseudonymise import KEY_ENV, KEY_FILE_ENV
from vru.testing import new_workspace

PASSWORD = "a long live-test password"
SRC = str(Path(__file__).resolve().parents[2] / "src")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k not in (KEY_FILE_ENV, "VRU_WORKSPACE")}
    e[KEY_ENV] = TEST_KEY
    e["PYTHONPATH"] = SRC + os.pathsep + e.get("PYTHONPATH", "")
    e["COLUMNS"] = "200"
    return e


def vru(*args: str, cwd: Path, stdin: str | None = None, timeout: float = 300
        ) -> subprocess.CompletedProcess:
    """`vru ARGS` as its own process (as a user at another terminal would run it)."""
    return subprocess.run([sys.executable, "-m", "vru.cli", *args], cwd=cwd, env=env(),
                          input=stdin if stdin is not None else "", capture_output=True,
                          text=True, timeout=timeout)


def make_workspace(path: Path) -> Path:
    ws = new_workspace(path, area_name="Testshire")
    toy.build(ws)
    with ws.transaction() as con:
        # toy.build writes its provenance rows by hand: move the id sequences past them
        for seq, table, col in (("import_seq", "imports", "import_id"),
                                ("file_seq", "source_files", "file_id")):
            top = con.execute(f"SELECT coalesce(max({col}), 0) FROM {table}").fetchone()[0]
            while con.execute(f"SELECT nextval('{seq}')").fetchone()[0] < top:
                pass
        agreements.add(con, "istv", "Testshire NHS Trust", "Serious Violence Duty",
                       ["problem profile"], 36)
    users.add_user(ws, "admin", PASSWORD, "admin")
    ws.close()
    return path


class Server:
    def __init__(self, ws: Path, cwd: Path) -> None:
        self.ws, self.port = ws, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(cwd / f"serve-{self.port}.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vru.cli", "serve", "-w", str(ws), "--port", str(self.port)],
            cwd=cwd, env=env(), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            assert self.proc.poll() is None, (cwd / f"serve-{self.port}.log").read_text()
            try:
                if httpx.get(self.url + "/health", timeout=2).text.startswith("ok"):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError("vru serve did not come up")

    def client(self, user: str = "admin", password: str = PASSWORD) -> httpx.Client:
        c = httpx.Client(base_url=self.url, timeout=60)
        page = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = c.post("/login", data={"username": user, "password": password,
                                   "csrf_token": token, "next": "/"})
        assert r.status_code in (200, 303), r.text
        c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
        return c

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


@pytest.fixture
def live(tmp_path):
    """(workspace, server, working folder) with `vru serve` running; stopped afterwards."""
    ws = make_workspace(tmp_path / "ws")
    srv = Server(ws, tmp_path)
    yield ws, srv, tmp_path
    srv.stop()
