"""Expensive test builds made once per test run, whatever the number of pytest-xdist workers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def shared_build(tmp_path_factory, name: str) -> Iterator[tuple[Path, bool]]:
    """A folder for an expensive build made once per test run, shared by pytest-xdist's worker
    processes: yields ``(folder, built)``; when ``built`` is False the caller builds into the
    folder and the others wait on the lock until it has. Without xdist it is a session folder.
    (The recipe of pytest-xdist's docs, "Making session-scoped fixtures execute only once".)"""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, shared by the workers
    folder = base / f"shared-{name}"
    done = folder / ".built"
    with FileLock(str(base / f"shared-{name}.lock")):
        built = done.exists()
        if not built:  # a fresh start, also after a build that failed half-way
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
        yield folder, built
        done.touch()
