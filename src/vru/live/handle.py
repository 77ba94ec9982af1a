"""The server handle file: how other processes find a running `vru serve` and authenticate.

``<workspace>/server.json`` is written by the server when it starts and removed when it stops:
``{"pid", "host", "port", "url", "token", "started_at", "user"}``. It is created with mode 0600
(readable only by the account running the server), so holding the token proves the caller runs
as that account. A handle whose process is gone (the server was killed) is stale and ignored.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from vru.errors import VruError

HANDLE_NAME = "server.json"
TOKEN_HEADER = "x-vru-token"


@dataclass(frozen=True)
class ServerHandle:
    pid: int
    host: str
    port: int
    token: str
    started_at: str
    user: str

    @property
    def url(self) -> str:
        """Where a local client reaches the server (loopback when it listens on every address)."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def describe(self) -> str:
        return f"`vru serve` (pid {self.pid}, {self.url}, started {self.started_at} by {self.user})"


class HandleUnreadable(VruError):
    """A server runs on the workspace but its handle file cannot be read by this account."""


def handle_path(ws_path: Path | str) -> Path:
    return Path(ws_path) / HANDLE_NAME


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another account's process
        return True
    return True


def write_handle(ws_path: Path | str, host: str, port: int, user: str) -> ServerHandle:
    """Create the handle (0600, written to a temp file then renamed into place)."""
    h = ServerHandle(os.getpid(), host, int(port), secrets.token_urlsafe(32),
                     datetime.now().isoformat(timespec="seconds"), user)
    path = handle_path(ws_path)
    tmp = path.with_name(f".{HANDLE_NAME}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        os.fchmod(fh.fileno(), 0o600)
        json.dump(asdict(h), fh)
    tmp.replace(path)
    return h


def remove_handle(ws_path: Path | str) -> None:
    """Remove the handle if it is this process's (a newer server's handle is left alone)."""
    path = handle_path(ws_path)
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def running_server(ws_path: Path | str) -> ServerHandle | None:
    """The live server holding this workspace, or None (no handle, or its process is gone).

    Raises ``HandleUnreadable`` when a server runs but this account may not read its token."""
    path = handle_path(ws_path)
    try:
        raw = path.read_text()
    except FileNotFoundError:
        return None
    except PermissionError as exc:
        raise HandleUnreadable(
            f"a `vru serve` holds this workspace but its handle {path} is not readable by this "
            "account; run the command as the account that started the server") from exc
    try:
        data = json.loads(raw)
        h = ServerHandle(int(data["pid"]), str(data["host"]), int(data["port"]),
                         str(data["token"]), str(data.get("started_at", "")),
                         str(data.get("user", "")))
    except (ValueError, KeyError, TypeError):
        return None
    if h.pid == os.getpid() or not pid_alive(h.pid):
        return None
    return h
