"""The server's worker process (CPU-heavy rendering) never outlives the server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.live.conftest import env

SERVER = """
import os, sys, time
from vru.live import jobs
jobs._serving.set()                       # as in a process with a job runner
print(jobs.offload(os.getpid), flush=True)  # the worker's pid
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_worker_ends_when_the_server_is_killed():
    proc = subprocess.Popen([sys.executable, "-c", SERVER], env=env(), stdout=subprocess.PIPE,
                            text=True)
    try:
        worker = int(proc.stdout.readline())
        assert worker != proc.pid and _alive(worker)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.time() + 15
        while _alive(worker) and time.time() < deadline:
            time.sleep(0.2)
        assert not _alive(worker), "the worker outlived the killed server"
    finally:
        if proc.poll() is None:
            proc.kill()
