"""Helpers shared by the benchmarks: timing, peak memory of a child process, tables."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


LAST_CPU_SECONDS = 0.0  # CPU time (user + system) of the last child, start-up included


def run_child(code: str, *args: str, src: Path | str | None = None) -> tuple[float, float, str]:
    """Run Python code in a fresh process: (seconds, peak RSS in MB, stdout).

    ``src``: import ``vru`` from this source folder instead of this checkout's (e.g. an older
    version, to compare before and after in one run).

    If the code prints a last line of JSON with "seconds" (the timed operation only, without
    interpreter start-up and imports) and "peak_mb", those figures are used.
    """
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = ru0.ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(src or ROOT / "src")})
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = ru1.ru_maxrss
    global LAST_CPU_SECONDS
    LAST_CPU_SECONDS = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    # ru_maxrss of children is the max over all waited children: run the biggest last, or
    # read the child's own figure, which it prints as its last line.
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    try:
        info = json.loads(last)
        peak_mb = float(info["peak_mb"])
        seconds = float(info.get("seconds", seconds))
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        peak_mb = max(peak, before) / 1024
    return seconds, peak_mb, proc.stdout


START_SNIPPET = "import time as _time\n_t0 = _time.perf_counter()\n"
PEAK_SNIPPET = (
    "\nimport json, resource\n"
    "print(json.dumps({'seconds': _time.perf_counter() - _t0, 'peak_mb': "
    "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))"
)


def timed_code(setup: str, body: str) -> str:
    """Child code that times only ``body`` (after imports in ``setup``) and reports peak RSS."""
    return setup + "\n" + START_SNIPPET + body + PEAK_SNIPPET


def save(name: str, data: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2, default=str))


def table(rows: list[list], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = lambda r: "  ".join(str(x).rjust(w) for x, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])
