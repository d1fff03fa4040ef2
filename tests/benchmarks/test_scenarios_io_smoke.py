"""Smoke test: the IO benchmark runs small and both paths give the same answer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "scenarios_io.py"


def _module():
    spec = importlib.util.spec_from_file_location("scenarios_io", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_small():
    out = _module().run(sectors=200, repeat=1)
    for key in ("synthetic", "synthetic_twice_the_links", "bea_detail_2017"):
        row = out[key]
        assert row["max_rel_diff"] < 1e-9
        assert row["lu_solve_s"] > 0 and row["explicit_inverse_s"] > 0
    assert out["synthetic"]["sectors"] == 200 and out["settings"]["blas_threads"] == 1


def test_synthetic_table_is_seeded_and_productive():
    mod = _module()
    a, b = mod.synthetic_table(400, seed=3), mod.synthetic_table(400, seed=3)
    assert (a != b).nnz == 0
    col = np.asarray(a.sum(axis=0)).ravel()
    assert np.all((col >= 0.3 - 1e-12) & (col <= 0.7 + 1e-12))
    assert a.nnz / 400**2 < 0.1
