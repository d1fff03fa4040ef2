"""Benchmark: vectorised capacity-outlook Monte Carlo vs a naive pure-Python loop.

The pipeline is SYNTHETIC (random projects, not real data): 200 projects, 20 years,
ramp-ups, some closures, a quarter in China. The vectorised model
(:func:`critmin.analytics.outlook.simulate_capacity`) runs 20,000 draws; the named
baseline ``naive_outlook`` below (plain Python loops over draws, projects and years,
stdlib ``random``) runs fewer draws, and timings are compared per draw. Both means are
checked against each other and against the analytic expectation, within Monte Carlo
error. Not a test; run it:

    .venv/bin/python benchmarks/outlook_bench.py [--draws 20000] [--loop-draws 1000]
"""

from __future__ import annotations

import argparse
import math
import random
import time

import numpy as np

from critmin.analytics.outlook import (
    capacity_profiles,
    expected_capacity,
    ramp_points,
    simulate_capacity,
)

DISPERSION = 2.0


def synthetic_pipeline(n_projects: int, n_years: int, seed: int = 42):
    """A made-up pipeline: profiles (projects x years), probabilities, mean delays, China flag."""
    rng = np.random.default_rng(seed)
    years = np.arange(2026, 2026 + n_years)
    first = rng.integers(years[0], years[-1] - 2, n_projects)
    capacity = rng.lognormal(3.0, 1.0, n_projects)
    proj, year, value = ramp_points(first, capacity, [0.4, 0.8, 1.0])
    end = np.where(rng.random(n_projects) < 0.15, first + rng.integers(3, 10, n_projects), np.nan)
    profiles = capacity_profiles(years, n_projects, proj, year, value, end)
    return profiles, rng.uniform(0.05, 1.0, n_projects), rng.uniform(0.0, 4.0, n_projects), \
        rng.random(n_projects) < 0.25


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's multiplication method (fine for the small means used here)."""
    limit, k, prod = math.exp(-lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


def naive_outlook(profiles, completion_p, mean_delay, is_china, n_draws: int, seed: int):
    """The baseline: the same model, one draw, one project, one year at a time.

    Negative-binomial delays are drawn as a gamma-Poisson mixture. Returns the non-China
    capacity per draw and year as nested lists.
    """
    rng = random.Random(seed)
    prof = profiles.tolist()
    p, mu, china = completion_p.tolist(), mean_delay.tolist(), is_china.tolist()
    n_years = len(prof[0]) if prof else 0
    out = []
    for _ in range(n_draws):
        totals = [0.0] * n_years
        for i, row in enumerate(prof):
            if rng.random() >= p[i]:
                continue
            lam = rng.gammavariate(DISPERSION, mu[i] / DISPERSION) if mu[i] > 0 else 0.0
            delay = _poisson(rng, lam)
            if china[i]:
                continue
            for j in range(n_years):
                if j - delay >= 0:
                    totals[j] += row[j - delay]
        out.append(totals)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=200)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--draws", type=int, default=20_000)
    ap.add_argument("--loop-draws", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    prof, p, mu, china = synthetic_pipeline(args.projects, args.years)
    groups = china.astype(np.int64)
    print(f"synthetic pipeline: {args.projects} projects x {args.years} years "
          f"({np.count_nonzero(np.diff(prof, axis=1, prepend=0.0))} capacity steps)")

    vec_times = []
    for r in range(args.repeat):
        t0 = time.perf_counter()
        sims = simulate_capacity(prof, p, mu, dispersion=DISPERSION, n_draws=args.draws, seed=r,
                                 groups=groups, n_groups=2)[:, 0, :]
        vec_times.append(time.perf_counter() - t0)
    t_vec = min(vec_times)

    t0 = time.perf_counter()
    loop = np.array(naive_outlook(prof, p, mu, china, args.loop_draws, seed=1))
    t_loop = time.perf_counter() - t0

    analytic = expected_capacity(prof, p, mu, DISPERSION)[~china].sum(axis=0)
    se_vec = sims.std(axis=0, ddof=1) / math.sqrt(args.draws)
    se_loop = loop.std(axis=0, ddof=1) / math.sqrt(args.loop_draws)
    z_between = np.abs(sims.mean(0) - loop.mean(0)) / np.sqrt(se_vec**2 + se_loop**2 + 1e-300)
    z_vec = np.abs(sims.mean(0) - analytic) / np.maximum(se_vec, 1e-300)
    z_loop = np.abs(loop.mean(0) - analytic) / np.maximum(se_loop, 1e-300)

    per_vec, per_loop = t_vec / args.draws, t_loop / args.loop_draws
    print(f"vectorised: {args.draws:>7} draws in {t_vec:8.3f} s  ({per_vec * 1e6:9.2f} us/draw, "
          f"best of {args.repeat})")
    print(f"naive loop: {args.loop_draws:>7} draws in {t_loop:8.3f} s  "
          f"({per_loop * 1e6:9.2f} us/draw)")
    print(f"speed-up per draw: {per_loop / per_vec:,.0f}x")
    print(f"max |z|, vectorised vs loop:     {z_between.max():.2f}")
    print(f"max |z|, vectorised vs analytic: {z_vec.max():.2f}")
    print(f"max |z|, loop vs analytic:       {z_loop.max():.2f}")
    ok = z_between.max() < 4 and z_vec.max() < 4 and z_loop.max() < 4
    print("agreement within Monte Carlo error:", "yes" if ok else "NO")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
