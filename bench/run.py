"""Run every ``bench/bench_*.py`` script in turn, each in its own process.

Usage: ``python bench/run.py [NAME ...]``: with names, only the scripts whose file
name contains one of them run. The exit status is non-zero when a script failed;
the scripts after it still run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [script for script in scripts if any(name in script.name for name in argv)]
    if not scripts:
        wanted = f" matching {' '.join(argv)}" if argv else ""
        print(f"No bench/bench_*.py script{wanted}.", file=sys.stderr)
        return 1
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        start = time.perf_counter()
        # Each script in its own interpreter: one's Django settings cannot leak into the next.
        status = subprocess.call([sys.executable, str(script)], cwd=ROOT)
        print(f"=== {script.name}: exit {status} in {time.perf_counter() - start:.1f}s ===")
        if status:
            failed.append(script.name)
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
