"""Run every benchmark (or those named): `.venv/bin/python bench/run.py [--quick] [name ...]`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    args = sys.argv[1:]
    quick = [a for a in args if a.startswith("--")]
    names = [a for a in args if not a.startswith("--")]
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    failed = 0
    for script in scripts:
        print(f"\n===== {script.stem} =====", flush=True)
        failed += subprocess.run([sys.executable, str(script), *quick]).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
