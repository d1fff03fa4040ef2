"""The trade ingest benchmark runs end to end on a small file: both paths load every row
of the same synthetic BACI file, on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "trade_ingest.py"


def test_benchmark_loads_the_same_rows(tmp_path, pg_server):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--rows", "3000", "--workdir", str(tmp_path),
         "--json-out", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "synthetic BACI file: 3,000 rows, seed 7, 22 HS codes" in done.stdout
    assert "sqlite: ours / best baseline" in done.stdout
    results = json.loads(out.read_text())
    assert {(r["backend"], r["kind"]) for r in results} == {
        ("sqlite", "ours"), ("sqlite", "baseline"), ("postgres", "ours"),
        ("postgres", "baseline")}  # fmt: skip
    for r in results:
        assert r["rows"] == 3000 and r["rows_per_s"] > 0 and r["peak_rss_mb"] > 0
