"""Benchmark: how long the ``critmin`` command takes to start, against named baselines.

Each target is a fresh process, run ``--runs`` times (after one untimed warm-up run);
the median wall time is reported. The baselines, measured in the same run on the same
interpreter, are a bare ``python -c pass`` (the interpreter alone) and
``python -c 'import typer'`` (the command-line library alone); the ratios say how much
critmin adds on top of them. Targets:

* ``critmin --help`` (the whole command tree);
* ``critmin schema project --csv-template`` (a light command: no database);
* ``critmin projects list --help`` (a sub-command's help).

The goal is < 0.5 s for each. Not a test; run it:

    .venv/bin/python benchmarks/cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.5


def critmin_exe() -> list[str]:
    """The installed console script next to this interpreter (else ``python -m critmin``)."""
    exe = Path(sys.executable).parent / "critmin"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("critmin")
    return [found] if found else [sys.executable, "-m", "critmin"]


def median_seconds(cmd: list[str], runs: int) -> float:
    """Median wall time of ``cmd`` over ``runs`` fresh processes (one warm-up first)."""
    subprocess.run(cmd, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command")
    args = parser.parse_args()
    exe = critmin_exe()
    baselines = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import typer'": [sys.executable, "-c", "import typer"],
    }
    targets = {
        "critmin --help": [*exe, "--help"],
        "critmin schema project --csv-template": [*exe, "schema", "project", "--csv-template"],
        "critmin projects list --help": [*exe, "projects", "list", "--help"],
    }
    base = {name: median_seconds(cmd, args.runs) for name, cmd in baselines.items()}
    print(f"median of {args.runs} runs each (seconds); target < {TARGET_S} s\n")
    print(f"{'command':42} {'median s':>9} {'× python':>9} {'× typer':>8}  target")
    for name, seconds in base.items():
        print(f"{name:42} {seconds:9.3f} {seconds / base['python -c pass']:9.1f} "
              f"{seconds / base[list(base)[1]]:8.2f}  (baseline)")  # fmt: skip
    failed = False
    for name, cmd in targets.items():
        seconds = median_seconds(cmd, args.runs)
        ok = seconds < TARGET_S
        failed |= not ok
        print(f"{name:42} {seconds:9.3f} {seconds / base['python -c pass']:9.1f} "
              f"{seconds / base[list(base)[1]]:8.2f}  {'met' if ok else 'MISSED'}")  # fmt: skip
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
