"""`vru <command>` as a user types it, in a real process: a command that registers alone for a
quick start-up (SELF_CONTAINED: `vru profile`, `vru sna`) must still parse as that command, and
every other command is still offered."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vru.cli import app


def _vru(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vru.cli", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("argv", [["profile", "--help"], ["sna", "build", "--help"],
                                  ["sna", "--help"]])
def test_self_contained_commands_parse_as_themselves(argv):
    r = _vru(*argv)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"vru.cli {' '.join(a for a in argv if a != '--help')} [OPTIONS]" in " ".join(
        r.stdout.split()), r.stdout


def test_the_root_still_lists_every_command():
    r = _vru("--help")
    assert r.returncode == 0, r.stderr
    listed = " ".join(r.stdout.split())
    # the in-process app registers every command; the real process's root help lists them all
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    assert names and all(n in listed for n in names if n), (names, listed)
