"""Benchmark: the input-output impact solve by sparse LU vs an explicit Leontief inverse.

Same inputs, same output: the gross-output change ``dx = (I - A)^-1 df`` for one change
in final demand, computed

- by critmin's path (:class:`critmin.analytics.io.LeontiefSolver`): an LU factorisation
  of ``I - A`` (sparse SuperLU; dense LAPACK when ``A`` is over 25% full) and one solve;
- by the explicit inverse as pymrio's ``calc_L`` computes it (``np.linalg.inv(I - A)``
  on the dense matrix; pymrio's own function when it is installed), then ``L @ df``.

Both run under the same BLAS thread limit (``threads``, default 1; SuperLU is
single-threaded anyway). Each timing is the best of ``repeat`` runs.

The table is **invented** (seeded), a multi-regional table (100 sectors a region): in each
region the first ``core`` sectors (services, utilities) sell to every sector and buy from
``core_inputs`` sectors of their region (so the economy has feedback loops); the other
sectors form industry clusters of ``cluster`` sectors (a supply chain: food, metals,
electronics...) and buy ``within`` inputs from their cluster, ``cross`` from another cluster
of their region and ``imports`` from the same cluster abroad. Column sums of ``A`` are
drawn in [0.3, 0.7]. The default gives about 15 inputs per sector (density about 0.75%),
like a multi-regional table whose negligible coefficients are dropped. The speedup depends
on that structure, so the result also reports the same table with twice the cross-cluster
and import links, and the real BEA 2017 detail table (402 industries, about 92% dense),
where sparsity cannot help.

Run: ``python benchmarks/scenarios_io.py [--sectors 2000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy
import scipy.sparse as sp

from critmin.analytics.io import LeontiefSolver

try:  # pymrio's own calc_L when installed (the `bench` / `io` extras)
    from pymrio import calc_L as _calc_l

    BASELINE = "pymrio.calc_L"
except ImportError:  # pragma: no cover - depends on the install
    def _calc_l(A: np.ndarray) -> np.ndarray:
        return np.linalg.inv(np.eye(A.shape[0]) - A)

    BASELINE = "np.linalg.inv(I - A) (calc_L's formula; pymrio not installed)"

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - depends on the install
    threadpool_limits = None


def synthetic_table(
    sectors: int = 2000,
    regions: int | None = None,
    core: int = 4,
    cluster: int = 20,
    core_inputs: int = 20,
    within: int = 12,
    cross: int = 1,
    imports: int = 1,
    seed: int = 20261129,
) -> sp.csc_matrix:
    """An invented, seeded sparse technical-coefficient matrix (see the module doc)."""
    rng = np.random.default_rng(seed)
    regions = regions or max(2, sectors // 100)  # 100 sectors a region by default
    size = sectors // regions
    n_clusters = (size - core) // cluster
    if n_clusters < 2:
        raise ValueError("each region needs at least two clusters besides its core")
    n = size * regions
    col = np.arange(n)
    region, local = col // size, col % size
    group = np.minimum((local - core) // cluster, n_clusters - 1)
    periphery = col[local >= core]

    def pick(cols: np.ndarray, reg: np.ndarray, grp: np.ndarray) -> np.ndarray:
        return reg * size + core + grp * cluster + rng.integers(0, cluster, cols.size)

    # every sector buys from its region's core; the core buys from any sector of its region
    c1 = np.repeat(col, core)
    r1 = region[c1] * size + np.tile(np.arange(core), n)
    c2 = np.repeat(col[local < core], core_inputs)
    r2 = region[c2] * size + rng.integers(0, size, c2.size)
    # other sectors buy within their cluster, from another cluster, and from abroad
    c3 = np.repeat(periphery, within)
    r3 = pick(c3, region[c3], group[c3])
    c4 = np.repeat(periphery, cross)
    r4 = pick(c4, region[c4], (group[c4] + rng.integers(1, n_clusters, c4.size)) % n_clusters)
    c5 = np.repeat(periphery, imports)
    r5 = pick(c5, (region[c5] + rng.integers(1, regions, c5.size)) % regions, group[c5])
    rows = np.concatenate([r1, r2, r3, r4, r5])
    cols = np.concatenate([c1, c2, c3, c4, c5])
    keep = rows != cols
    A = sp.csc_matrix((rng.gamma(1.0, 1.0, keep.sum()), (rows[keep], cols[keep])), shape=(n, n))
    A.sum_duplicates()
    scale = rng.uniform(0.3, 0.7, n) / np.asarray(A.sum(axis=0)).ravel()
    return sp.csc_matrix(A @ sp.diags(scale))


def _best(fn: Callable[[], np.ndarray], repeat: int) -> tuple[float, np.ndarray]:
    best, out = float("inf"), np.empty(0)
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _compare(A: sp.csc_matrix, df: np.ndarray, repeat: int) -> dict[str, Any]:
    dense = A.toarray()
    t_lu, x_lu = _best(lambda: LeontiefSolver(A).solve(df), repeat)
    t_inv, x_inv = _best(lambda: np.asarray(_calc_l(dense)) @ df, repeat)
    solver = LeontiefSolver(A)
    return {
        "sectors": A.shape[0],
        "density": round(A.nnz / A.shape[0] ** 2, 5),
        "lu": "dense (LAPACK)" if solver.dense else "sparse (SuperLU)",
        "lu_fill_nnz": None if solver.dense else int(solver._lu.L.nnz + solver._lu.U.nnz),
        "lu_solve_s": round(t_lu, 5),
        "explicit_inverse_s": round(t_inv, 5),
        "speedup": round(t_inv / t_lu, 1),
        "max_rel_diff": float(np.max(np.abs(x_lu - x_inv)) / np.max(np.abs(x_inv))),
    }


def run(sectors: int = 2000, repeat: int = 3, threads: int = 1, seed: int = 20261129) -> dict:
    """Time both paths on the synthetic table and on the BEA detail table."""
    from contextlib import nullcontext

    from critmin.ingest.bea_io import load_bea

    A = synthetic_table(sectors, seed=seed)
    denser = synthetic_table(sectors, cross=2, imports=2, seed=seed)
    df = np.random.default_rng(seed).uniform(-1.0, 1.0, A.shape[0])
    bea = load_bea("detail")
    limit = threadpool_limits(threads) if threadpool_limits else nullcontext()
    with limit:
        synthetic = _compare(A, df, repeat)
        linked = _compare(denser, df, repeat)
        real = _compare(sp.csc_matrix(bea.A), np.ones(bea.n), repeat)
    return {
        "benchmark": "io_impact_solve",
        "settings": {
            "sectors": A.shape[0], "repeat": repeat, "seed": seed, "timing": "best of repeat",
            "blas_threads": threads if threadpool_limits else "unlimited (threadpoolctl absent)",
            "baseline": BASELINE,
            "solver": "splu (SuperLU, SymmetricMode, MMD on M+M^T, diag_pivot_thresh 0.1)",
            "numpy": np.__version__, "scipy": scipy.__version__,
            "includes": "factorisation or inversion + one solve / product, one df vector",
        },
        "synthetic": synthetic,
        "synthetic_twice_the_links": linked,
        "bea_detail_2017": real,
        "target_speedup": 10.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sectors", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(run(args.sectors, args.repeat, args.threads), indent=2))


if __name__ == "__main__":
    main()
