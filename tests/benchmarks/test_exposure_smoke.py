"""The exposure benchmark runs end to end on a tiny synthetic network and its answers
agree with the networkx reference (the script exits non-zero when they differ)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "exposure.py"


def test_benchmark_runs_and_agrees_with_networkx(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--nodes", "3000", "--edges", "15000", "--nx-scale", "2",
         "--json-out", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "SYNTHETIC network: 3,000 nodes, 15,000 edges" in done.stdout
    assert "answers equal" in done.stdout and "top counts equal" in done.stdout
    r = json.loads(out.read_text())
    assert r["nodes"] == 3000 and r["countries"] > 10
    for key in ("ours_exposure_s", "ours_weighted_s", "ours_chokepoints_s", "nx_exposure_s",
                "ratio_exposure", "ratio_weighted", "ratio_chokepoints", "ru_maxrss_mib"):
        assert r[key] > 0, key
    assert r["weighted_max_diff"] < 1e-9
    assert r["top_chokepoints"] and r["top_chokepoints"][0]["end_products_cut"] >= 1
