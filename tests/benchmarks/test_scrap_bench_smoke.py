"""The scrap-matching benchmark runs end to end at a small size, and legality checked per
period between change days equals legality checked per distinct date for every pair."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "scrap_bench.py"


def test_benchmark_runs_and_both_ways_agree():
    done = subprocess.run([sys.executable, str(SCRIPT), "--listings", "40", "--seed", "3"],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "same verdicts and measures for every pair" in done.stdout
    found = re.search(r"([\d,]+) pairs on (\d+) distinct dates; (\d+) change days",
                      done.stdout)  # fmt: skip
    pairs, dates, changes = (int(g.replace(",", "")) for g in found.group(1, 2, 3))
    assert pairs > 0 and changes < dates  # fewer periods than dates: the point of it
