"""Benchmark: the stockpile plan under many price paths, batched against a loop.

Not a test; run it:

    .venv/bin/python benchmarks/stockpile.py [--paths 1000] [--months 120]
        [--suppliers 20] [--shelf-life 12] [--batch 8] [--seed 0] [--json-out FILE]

The case is synthetic (invented suppliers, labelled as such): ``--suppliers`` suppliers
with capacities of 3-12 t/yr, prices of 400-800 thousand USD/t and lead times of 1-11
months drawn from ``--seed``; a target ramping from 5 t in month 13 to 50 t in the last
month; a 12-month shelf life; rotation at 90 % of the purchase price; a holding cost of
1,000 USD per t-month; a budget of 15 million USD a year. Price paths: each supplier's
price times one common lognormal walk (20 % volatility a year), ``--paths`` of them.

Two ways, the same solver settings (HiGHS through ``scipy.optimize.milp``: presolve on,
default tolerances, no time limit; an LP, no integer variables):

* ``batched``: :func:`critmin.analytics.stockpile.plan_many`: the price-independent rows
  are built once, every path's objective and budget rows in one array operation, and
  ``--batch`` paths are solved as one block-diagonal LP per call (default 1: the built
  structure reused, one path a solve);
* ``loop``: :func:`critmin.analytics.stockpile.plan_many_loop`: each path built and
  solved as its own model with :func:`plan`.

Both must agree (checked): the same feasibility and the same cost on feasible paths
(the shortfall on infeasible paths is reported); the wall times and their ratio are
printed (and written to ``--json-out``).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from critmin.analytics import stockpile as sp


def synthetic_case(n_suppliers: int, months: int, shelf_life: int, n_paths: int,
                   seed: int) -> tuple[sp.PlanInputs, np.ndarray]:
    """A synthetic plan and ``(n_paths, n_suppliers, months)`` price paths."""
    rng = np.random.default_rng(seed)
    sup = [sp.Supplier(f"Synthetic supplier {i + 1}", "SYN", float(rng.uniform(3, 12)),
                       float(rng.uniform(400e3, 800e3)), int(rng.integers(1, 12)))
           for i in range(n_suppliers)]
    ramp_from = min(12, months - 1)
    target = np.r_[np.zeros(ramp_from), np.linspace(5, 50, months - ramp_from)]
    years = -(-months // 12)
    inputs = sp.PlanInputs(months=months, target_t=target, suppliers=sup,
                           shelf_life_months=shelf_life, rotation_discount=0.9,
                           holding_cost_usd_per_t_month=1000.0,
                           budget_usd=np.full(years, 15e6))
    base = np.array([s.price_usd_per_t for s in sup])
    sigma = 0.2
    steps = rng.normal(-0.5 * sigma**2 / 12, sigma / np.sqrt(12), (n_paths, 1, months))
    return inputs, base[None, :, None] * np.exp(np.cumsum(steps, axis=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--paths", type=int, default=1000)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--suppliers", type=int, default=20)
    ap.add_argument("--shelf-life", type=int, default=12)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json-out", type=Path)
    a = ap.parse_args()
    inputs, paths = synthetic_case(a.suppliers, a.months, a.shelf_life, a.paths, a.seed)
    lay = sp._Layout(inputs)
    print(f"synthetic case: {a.months} months x {a.suppliers} suppliers, shelf life "
          f"{a.shelf_life} months, {a.paths} price paths; {lay.nv:,} variables and "
          f"{lay.A.shape[0] + lay.years:,} rows per path; {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    batched = sp.plan_many(inputs, paths, batch=a.batch)
    t_batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    loop = sp.plan_many_loop(inputs, paths)
    t_loop = time.perf_counter() - t0
    # the same feasibility and, on feasible paths, the same cost; infeasible paths' cost
    # and shortfall split are only as precise as the solver's tolerance on the shortfall
    # penalty, so their shortfall difference is reported, not checked
    feas = loop["feasible"]
    diff = np.abs(batched["cost_usd"] - loop["cost_usd"]) / np.maximum(
        1.0, np.abs(loop["cost_usd"]))
    rel = float(np.max(diff[feas], initial=0.0))
    short = float(np.max(np.abs(batched["shortfall_t"] - loop["shortfall_t"])[~feas],
                         initial=0.0))
    same = bool(np.array_equal(batched["feasible"], feas) and rel < 1e-6)
    out = {"paths": a.paths, "months": a.months, "suppliers": a.suppliers,
           "batch": a.batch, "batched_s": t_batched, "loop_s": t_loop,
           "ratio_loop_over_batched": t_loop / t_batched, "max_rel_cost_diff_feasible": rel,
           "max_shortfall_diff_t_infeasible": short,
           "same_answers": same, "feasible_share": float(loop["feasible"].mean()),
           "p50_cost_usd": float(np.nanmedian(loop["cost_usd"]))}
    print(f"batched (blocks of {a.batch}, structure built once): {t_batched:.2f} s "
          f"({1e3 * t_batched / a.paths:.1f} ms a path)")
    print(f"loop (one model a path):   {t_loop:.2f} s ({1e3 * t_loop / a.paths:.1f} ms a path)")
    print(f"ratio loop / batched: {t_loop / t_batched:.2f}; same answers: "
          f"{'yes' if same else 'NO'} (feasible paths: max relative cost difference "
          f"{rel:.1e}; infeasible: max shortfall difference {short:.1e} t); "
          f"{out['feasible_share']:.0%} of paths feasible")
    if a.json_out:
        a.json_out.write_text(json.dumps(out, indent=2))
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
