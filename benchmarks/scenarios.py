"""Benchmark: disruption scenarios.

- ``market``: market-clearing scenario evaluations per second, the vectorised solver
  (:func:`critmin.analytics.disruption.simulate`, all scenarios at once) against a
  per-scenario loop of ``scipy.optimize.brentq`` on the same equations and tolerance,
  run on a subset; rates are compared per scenario and the answers checked to agree.
- ``dask``: the same sweep (cases x levels x draws) in-process and on a local
  ``dask.distributed`` cluster, with the cluster's start-up and per-run overhead.
- ``io``: the input-output stage, from ``benchmarks/scenarios_io.py`` when present.
- ``grid``: the real large sweep of ``critmin scenario grid`` (every bundled mineral x
  every major producer x levels x draws, from the USGS tables, with the economy stage
  where end uses are mapped), in process and on a local cluster started for the run.

The scenarios are SYNTHETIC: the documented gallium defaults with every uncertain
parameter drawn over its range and a random restriction level; the Dask cases are the
gallium defaults with scaled exports and capacities. Not a test; run it:

    .venv/bin/python benchmarks/scenarios.py --part all [--scenarios 100000] [--loop 2000]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import brentq

from critmin.analytics.disruption import TOL, simulate
from critmin.analytics.disruption_mc import draw, sweep_cases
from critmin.ingest.scenario_defaults import load_defaults
from critmin.services.disruption_dask import sweep_dask

HERE = Path(__file__).resolve().parent


def synthetic_scenarios(n: int, seed: int = 7) -> dict[str, Any]:
    """``n`` one-period scenarios around the gallium defaults (synthetic draws)."""
    d = load_defaults("gallium")
    rng = np.random.default_rng(seed)
    params = {**d.params, **draw(d.uncertain, n, rng)}
    params = {k: np.broadcast_to(np.asarray(v, float), (n,)).copy() for k, v in params.items()}
    return {"params": params, "level": rng.uniform(0, 1, n)}


def brentq_one(p: dict[str, float], level: float) -> float:
    """The baseline: one scenario's price ratio by ``brentq`` on the same equations
    (all destinations restricted, one period)."""
    if level <= 0:
        return 1.0
    q0, e0, s0, cap = p["consumption"], p["exports"], p["production_other"], p["capacity_other"]
    secondary = max(q0 - e0 - s0, 0.0)
    base = e0 * (1 - level) + secondary
    need = max(q0 - min(s0, cap) - base, 0.0)
    restart = min(p["idle_available"] * p["idle_capacity"] * p["response_speed"], need)
    draws = min(p["stock_draw"] * p["stocks"], p["stocks"], need - restart)
    exo = base + restart + draws
    ed, es, hi = p["demand_elasticity"], p["supply_elasticity"], math.log(p["choke"])

    def f(x: float) -> float:
        return q0 * math.exp(ed * x) - min(s0 * math.exp(es * x), cap) - exo

    if f(hi) >= 0:
        return math.exp(hi)
    return math.exp(brentq(f, -hi, hi, xtol=TOL))


def bench_market(n: int, n_loop: int, repeats: int = 3) -> dict[str, Any]:
    sc = synthetic_scenarios(n)
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = simulate(sc["params"], {"level": sc["level"]}, n_scenarios=n)
        best = min(best, time.perf_counter() - t0)
    ours = res["price_ratio_restricted"][:, 0]
    m = min(n_loop, n)
    rows = [({k: float(v[i]) for k, v in sc["params"].items()}, float(sc["level"][i]))
            for i in range(m)]  # built outside the timing: the loop times brentq alone
    t0 = time.perf_counter()
    loop = [brentq_one(p, lv) for p, lv in rows]
    loop_s = time.perf_counter() - t0
    diff = float(np.max(np.abs(np.log(ours[:m]) - np.log(loop))))
    rate, loop_rate = n / best, m / loop_s
    return {"part": "market", "scenarios": n, "vectorised_s": best,
            "vectorised_per_s": rate, "loop_scenarios": m, "loop_s": loop_s,
            "loop_per_s": loop_rate, "speedup": rate / loop_rate,
            "max_abs_log_price_diff": diff}  # fmt: skip


def dask_cases(n_cases: int) -> list[dict[str, Any]]:
    d = load_defaults("gallium")
    out = []
    volumes = ("consumption", "exports", "production_other", "capacity_other",
               "idle_capacity", "stocks")
    for i in range(n_cases):
        f = 0.5 + i / max(n_cases - 1, 1)
        p = {k: v * f if k in volumes else v for k, v in d.params.items()}
        u = {k: tuple(x * f for x in r) if k in volumes else r for k, r in d.uncertain.items()}
        out.append({"key": f"case{i}", "params": p, "uncertain": u})
    return out


def bench_dask(n_cases: int, n_levels: int, n_draws: int, workers: int,
               chunk: int) -> dict[str, Any]:
    from dask.distributed import Client, LocalCluster

    cases = dask_cases(n_cases)
    levels = list(np.linspace(0, 1, n_levels))
    t0 = time.perf_counter()
    local = sweep_cases(cases, levels, n_draws, 1)
    local_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    start_s = time.perf_counter() - t0
    try:
        sweep_dask(cases[:1], levels[:1], 2, 1, client=client)  # warm the workers
        t0 = time.perf_counter()
        remote = sweep_dask(cases, levels, n_draws, 1, client=client, chunk_cases=chunk)
        dask_s = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    same = all(np.array_equal(local[k], remote[k], equal_nan=True) for k in local)
    n = n_cases * n_levels * n_draws
    return {"part": "dask", "cases": n_cases, "levels": n_levels, "draws": n_draws,
            "scenarios": n, "workers": workers, "chunk_cases": chunk,
            "in_process_s": local_s, "cluster_start_s": start_s, "dask_s": dask_s,
            "overhead_s": dask_s - local_s, "identical": same}  # fmt: skip


def bench_grid(n_levels: int, n_draws: int, workers: int) -> dict[str, Any]:
    from critmin.services.scenario_grid import grid

    levels = [round(x, 6) for x in np.linspace(0, 1, n_levels)]
    here = grid(levels=levels, n_draws=n_draws, seed=1, scheduler="none")
    t0 = time.perf_counter()
    there = grid(levels=levels, n_draws=n_draws, seed=1, n_workers=workers)
    wall = time.perf_counter() - t0
    same = [c["results"] for c in here["cases"]] == [c["results"] for c in there["cases"]]
    return {"part": "grid", "cases": len(here["cases"]), "levels": n_levels,
            "draws": n_draws, "scenarios": here["scenarios"], "workers": workers,
            "in_process_market_s": here["timing_s"]["market"],
            "cluster_market_s": there["timing_s"]["market"],
            "economy_s": here["timing_s"]["economy"], "cluster_wall_s": wall,
            "identical": same}  # fmt: skip


def bench_io(args: argparse.Namespace) -> dict[str, Any]:
    path = HERE / "scenarios_io.py"
    if not path.exists():
        return {"part": "io", "status": "not available"}
    spec = importlib.util.spec_from_file_location("scenarios_io", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.run()
    return {"part": "io", **(out if isinstance(out, dict) else {"result": out})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["market", "io", "dask", "grid", "all"], default="all")
    ap.add_argument("--scenarios", type=int, default=100_000)
    ap.add_argument("--loop", type=int, default=2_000, help="scenarios in the brentq loop")
    ap.add_argument("--cases", type=int, default=32, help="Dask sweep: mineral x country cases")
    ap.add_argument("--levels", type=int, default=11)
    ap.add_argument("--draws", type=int, default=1_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=4, help="cases per Dask task")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    parts = ["market", "io", "dask", "grid"] if args.part == "all" else [args.part]
    results = []
    for part in parts:
        if part == "market":
            r = bench_market(args.scenarios, args.loop)
            print(f"market: vectorised {r['vectorised_per_s']:,.0f} scenarios/s "
                  f"({r['scenarios']:,} in {r['vectorised_s']:.3f} s); brentq loop "
                  f"{r['loop_per_s']:,.0f} scenarios/s ({r['loop_scenarios']:,} in "
                  f"{r['loop_s']:.3f} s); speed-up {r['speedup']:,.0f}x; max |d ln P| "
                  f"{r['max_abs_log_price_diff']:.1e}")
        elif part == "dask":
            r = bench_dask(args.cases, args.levels, args.draws, args.workers, args.chunk)
            print(f"dask: {r['scenarios']:,} scenarios ({r['cases']} cases x {r['levels']} "
                  f"levels x {r['draws']} draws); in-process {r['in_process_s']:.2f} s; "
                  f"local cluster ({r['workers']} workers) {r['dask_s']:.2f} s, start-up "
                  f"{r['cluster_start_s']:.2f} s, overhead {r['overhead_s']:+.2f} s; "
                  f"identical: {r['identical']}")
        elif part == "grid":
            r = bench_grid(args.levels, args.draws, args.workers)
            print(f"grid: {r['scenarios']:,} market scenarios ({r['cases']} mineral x "
                  f"producer cases x {r['levels']} levels x {r['draws']} draws); market "
                  f"stage in-process {r['in_process_market_s']:.2f} s, on a local cluster "
                  f"({r['workers']} workers, started for the run) "
                  f"{r['cluster_market_s']:.2f} s; economy stage {r['economy_s']:.2f} s; "
                  f"whole run on the cluster {r['cluster_wall_s']:.2f} s; identical: "
                  f"{r['identical']}")
        else:
            r = bench_io(args)
            print("io: " + (r["status"] if r.get("status") == "not available"
                            else json.dumps(r)))
        results.append(r)
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2, default=float))


if __name__ == "__main__":
    main()
