"""The API benchmark runs end to end: datasette and critmin answer with the same rows.

A short run of ``benchmarks/api_load.py`` (needs the ``bench`` extra: datasette).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("datasette")
SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "api_load.py"


def test_benchmark_compares_the_same_rows(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable, str(SCRIPT), "--targets", "datasette,list-uncached,stats",
            "--seconds", "0.5", "--warmup", "0.2", "--repeat", "1", "--clients", "2",
            "--json-out", str(out),
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "list-uncached vs datasette" in done.stdout and "same rows: yes" in done.stdout
    results = {r["label"]: r for r in json.loads(out.read_text())}
    assert set(results) == {"datasette", "list-uncached", "stats"}
    ds, critmin = results["datasette"], results["list-uncached"]
    assert len(ds["ids"]) == 50 and ds["ids"] == critmin["ids"]
    assert "_shape=array" in ds["url"]  # a canned query, no facet work
    for r in results.values():
        assert r["errors"] == 0 and r["requests"] > 0
        assert r["server_cpu_ms_per_req"] is None or r["server_cpu_ms_per_req"] > 0
