"""The stockpile benchmark runs end to end at a tiny size and both ways agree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "stockpile.py"


def test_benchmark_batched_equals_loop(tmp_path):
    out = tmp_path / "r.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--paths", "6", "--months", "24",
                           "--suppliers", "3", "--batch", "3", "--json-out", str(out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "same answers: yes" in done.stdout
    res = json.loads(out.read_text())
    assert res["paths"] == 6 and res["batched_s"] > 0 and res["loop_s"] > 0
