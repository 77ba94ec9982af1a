"""Hand a command to the running `vru serve`, and run handed-over commands inside it.

While `vru serve` runs it is the one owner of the workspace's DuckDB file (DuckDB allows no
second process, not even a read-only one, while another holds the file for writing). So a
command that needs the workspace does not open it: ``open_workspace`` finds the server's handle
(``<workspace>/server.json``, 0600) and calls ``hand_over``, which sends the command's own
arguments, the working folder and standard input to the server over loopback HTTP with the
handle's token, then prints the job's output and progress as they arrive and exits with the
command's exit code. In the server, ``execute`` runs the very same command on the job runner's
thread with the server's workspace lent to it, so every command, including ones added later,
behaves the same both ways. Who ran it is in the audit log (start and end of every job).
"""

from __future__ import annotations

import getpass
import http.client
import json
import os
import re
import select
import shlex
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, NoReturn

import typer

from vru.live.handle import TOKEN_HEADER, ServerHandle

MAX_STDIN = 1 << 20
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# ---------------------------------------------------------------------------- client side
def _stdin_text() -> str:
    """What the command's standard input holds, when it is piped (a terminal sends nothing)."""
    try:
        if sys.stdin is None or sys.stdin.isatty():
            return ""
        fd = sys.stdin.fileno()
    except (ValueError, OSError, AttributeError):
        return ""
    chunks: list[bytes] = []
    size = 0
    # A pipe that stays open with nothing in it (some schedulers) must not hang us: read only
    # while data (or its end) arrives within a moment.
    while size < MAX_STDIN and select.select([fd], [], [], 0.5)[0]:
        b = os.read(fd, 65536)
        if not b:
            break
        chunks.append(b)
        size += len(b)
    return b"".join(chunks).decode("utf-8", "replace")


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return f"uid {os.getuid()}"


def _connection(server: ServerHandle, timeout: float | None) -> http.client.HTTPConnection:
    host = server.url.split("//", 1)[1].rsplit(":", 1)[0].strip("[]")
    return http.client.HTTPConnection(host, server.port, timeout=timeout)


def _post(server: ServerHandle, path: str, body: dict[str, Any]) -> dict[str, Any]:
    con = _connection(server, 30)
    try:
        con.request("POST", path, json.dumps(body).encode(),
                    {"content-type": "application/json", TOKEN_HEADER: server.token})
        resp = con.getresponse()
        data = resp.read()
    finally:
        con.close()
    if resp.status != 200:
        try:
            detail = json.loads(data).get("detail", data.decode(errors="replace"))
        except ValueError:
            detail = data.decode(errors="replace")
        raise ConnectionError(f"HTTP {resp.status}: {detail}")
    return json.loads(data)


def hand_over(server: ServerHandle, writes: bool) -> NoReturn:
    """Run this process's command inside the server; print what it prints; exit with its code."""
    from vru.cli import invoked_args
    from vru.cli.common import err, fail

    body = {"argv": list(invoked_args), "cwd": os.getcwd(), "stdin": _stdin_text(),
            "user": _login(), "pid": os.getpid(), "writes": writes}
    try:
        job = _post(server, "/local/jobs", body)
    except (OSError, ConnectionError) as exc:
        fail(f"the workspace is held by {server.describe()}, but it did not take the command "
             f"({exc}). Check that the server is healthy ({server.url}/health), or stop it "
             f"(kill {server.pid}) to run commands directly.")
    job_id = job["job_id"]
    err.print(f"[dim]running inside {server.describe()} as job {job_id}[/]", highlight=False)
    code = _follow(server, job_id)
    raise typer.Exit(code)


def _follow(server: ServerHandle, job_id: int) -> int:
    from vru.cli.common import err

    tty_out = sys.stdout.isatty()
    tty_err = sys.stderr.isatty()
    spinner = err.status("waiting for the server...") if tty_err else None
    if spinner is not None:
        spinner.start()
    last_progress = ""
    try:
        con = _connection(server, None)
        con.request("GET", f"/local/jobs/{job_id}/events", headers={TOKEN_HEADER: server.token})
        resp = con.getresponse()
        if resp.status != 200:
            raise ConnectionError(f"HTTP {resp.status}")
        for line in resp:
            ev = json.loads(line)
            t = ev["t"]
            if t == "progress":
                if ev["s"] != last_progress:
                    last_progress = ev["s"]
                    if spinner is not None:
                        spinner.update(f"job {job_id}: {ev['s']}")
                    else:
                        print(f"progress: {ev['s']}", file=sys.stderr, flush=True)
            elif t in ("out", "err"):
                stream, tty = (sys.stdout, tty_out) if t == "out" else (sys.stderr, tty_err)
                stream.write(ev["s"] if tty else ANSI.sub("", ev["s"]))
                stream.flush()
            elif t == "end":
                if spinner is not None:
                    spinner.stop()
                    spinner = None
                if ev.get("code") is not None:
                    return int(ev["code"])
                if ev.get("error"):
                    print(f"error: {ev['error']}", file=sys.stderr)
                return 0 if ev["s"] == "done" else 1
    except (OSError, ConnectionError, http.client.HTTPException, ValueError) as exc:
        return _lost(server, job_id, str(exc))
    finally:
        if spinner is not None:
            spinner.stop()
    return _lost(server, job_id, "the stream ended")


def _lost(server: ServerHandle, job_id: int, why: str) -> int:
    from vru.live.handle import pid_alive

    state = "is still running" if pid_alive(server.pid) else "has stopped"
    print(f"error: lost contact with {server.describe()} while it ran job {job_id} ({why}); the "
          f"server {state}. A job stopped half-way changes nothing (its transaction is rolled "
          "back): check with `vru status`, then run the command again.", file=sys.stderr)
    return 3


# ---------------------------------------------------------------------------- server side
class _Folder:
    """The working folder of the commands running now. A handed-over command runs in its
    caller's folder (relative paths mean what the caller meant); commands from one folder run
    side by side, a command from another folder waits for them. The server itself only uses
    absolute paths (``vru serve`` opens the workspace by its absolute path)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._home = os.getcwd()
        self._cwd: str | None = None
        self._users = 0

    def __call__(self, cwd: str) -> _Folder._Lease:
        return _Folder._Lease(self, cwd)

    class _Lease:
        def __init__(self, folder: _Folder, cwd: str) -> None:
            self.folder, self.cwd = folder, cwd

        def __enter__(self) -> None:
            f = self.folder
            with f._cond:
                while f._users and f._cwd != self.cwd:
                    f._cond.wait()
                if not f._users:
                    os.chdir(self.cwd)
                    f._cwd = self.cwd
                f._users += 1

        def __exit__(self, *exc: object) -> None:
            f = self.folder
            with f._cond:
                f._users -= 1
                if not f._users:
                    f._cwd = None
                    os.chdir(f._home)
                f._cond.notify_all()


_folder = _Folder()


def execute(ws: Any, job: Any, argv: list[str], cwd: str, stdin: str) -> int:
    """Run ``vru <argv>`` inside the server, on the job's thread, with ``ws`` lent to it.
    Returns the command's exit code; everything it prints goes to the job's events."""
    from vru.cli import app
    from vru.cli.common import _served
    from vru.live.jobs import job_streams

    if not Path(cwd).is_dir():
        raise ValueError(f"the caller's folder {cwd} does not exist on the server's machine")
    token = _served.set(ws)
    try:
        with job_streams(job, stdin), _folder(cwd):
            try:
                app(args=list(argv), prog_name="vru", standalone_mode=True)
                return 0
            except SystemExit as exc:
                code = exc.code
                if code is None:
                    return 0
                if isinstance(code, int):
                    return code
                print(code, file=sys.stderr)
                return 1
            except Exception as exc:  # noqa: BLE001 - reported to the caller, as a crash would be
                print(f"error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
                traceback.print_exc(file=sys.stderr)
                return 1
    finally:
        _served.reset(token)


def job_title(argv: list[str]) -> str:
    return "vru " + shlex.join(argv)
