"""The scenarios benchmark runs end to end on small sizes: the vectorised market solve
agrees with the per-scenario brentq loop, and the Dask sweep equals the in-process one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "scenarios.py"


def test_benchmark_parts_run_and_agree(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--part", "all", "--scenarios", "5000", "--loop", "300",
         "--cases", "4", "--levels", "3", "--draws", "20", "--chunk", "2", "--json-out",
         str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "market: vectorised" in done.stdout and "dask: 240 scenarios" in done.stdout
    results = {r["part"]: r for r in json.loads(out.read_text())}
    market, dask = results["market"], results["dask"]
    assert results["grid"]["identical"] is True and results["grid"]["cases"] >= 25
    assert market["scenarios"] == 5000 and market["loop_scenarios"] == 300
    assert market["max_abs_log_price_diff"] < 1e-8
    assert market["vectorised_per_s"] > 0 and market["loop_per_s"] > 0
    assert dask["identical"] is True and dask["scenarios"] == 4 * 3 * 20
    io_available = (SCRIPT.parent / "scenarios_io.py").exists()
    assert (results["io"].get("status") == "not available") is not io_available
