"""Capacity outlook Monte Carlo: which pipeline projects come online, and when.

Model, per project *i* and draw *r* (all draws independent across projects):

- completion ``C_ri ~ Bernoulli(p_i)``;
- delay in whole years ``D_ri ~ NegBin(k, k / (k + mu_i))`` — the number of failures
  before the k-th success, so ``E[D] = mu_i`` and ``Var[D] = mu_i + mu_i^2 / k``: an
  over-dispersed Poisson (k -> inf gives Poisson(mu_i)); ``mu_i = 0`` gives no delay;
- capacity in year ``t``: ``C_ri * P_i(t - D_ri)`` where ``P_i`` is the project's nominal
  capacity profile (t/yr by year, ramp-up and closure included). A delay shifts the whole
  schedule, closure year included.

Projects are independent of one another; delays that move together (a price slump,
a permitting freeze) would widen the p10-p90 band beyond what is shown here.

Profiles are given on a grid of consecutive years; values before the grid's first year
are taken as 0. Build the grid from a year before which no *delayed* project has
capacity (services start it at the as-of year, before which only operating projects,
with zero delay, have output).

The simulation is loop-free: a profile is stored as its year-on-year steps (a sparse
set of ``(project, year, step)``); completed (draw, project) pairs get a delay by
inverse CDF, every step of the pair moves by it, ``numpy.bincount`` adds the steps
into (draw, group, year) cells and a cumulative sum over years turns steps back into
capacity. Cost and memory are O(completed pairs x steps per project +
draws x groups x years).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
QUANTILES = (10, 50, 90)


def ramp_points(
    first_year: ArrayLike, capacity: ArrayLike, ramp: ArrayLike = (1.0,)
) -> tuple[IntArray, IntArray, FloatArray]:
    """Capacity points ``(project, year, capacity)`` for nominal capacities with a ramp-up.

    Project *i* has ``capacity[i] * ramp[j]`` in year ``first_year[i] + j``; the last ramp
    value holds afterwards (see :func:`capacity_profiles`).
    """
    first = np.asarray(first_year, dtype=np.int64)
    cap = np.asarray(capacity, dtype=float)
    frac = np.asarray(ramp, dtype=float)
    n, m = first.size, frac.size
    project = np.repeat(np.arange(n, dtype=np.int64), m)
    year = (first[:, None] + np.arange(m, dtype=np.int64)[None, :]).ravel()
    return project, year, (cap[:, None] * frac[None, :]).ravel()


def capacity_profiles(
    years: ArrayLike,
    n_projects: int,
    point_project: ArrayLike,
    point_year: ArrayLike,
    point_capacity: ArrayLike,
    end_year: ArrayLike | None = None,
) -> FloatArray:
    """Step profiles (projects x years, t/yr) from capacity points.

    Each point sets a project's capacity from its year on until the next point; before
    its first point a project has 0; after ``end_year`` (inclusive last year; NaN or
    negative = none) it has 0 again. Points before the grid carry into its first year.
    Where two points share a cell the later year wins.
    """
    yrs = np.asarray(years, dtype=np.int64)
    proj = np.asarray(point_project, dtype=np.int64)
    pyear = np.asarray(point_year, dtype=np.int64)
    pcap = np.asarray(point_capacity, dtype=float)
    n_years = yrs.size
    keep = pyear <= yrs[-1]
    order = np.lexsort((pyear[keep], proj[keep]))  # by project, then year: later writes win
    proj, pyear, pcap = proj[keep][order], pyear[keep][order], pcap[keep][order]
    col = np.clip(pyear - yrs[0], 0, n_years - 1)
    filled = np.zeros((n_projects, n_years), dtype=bool)
    value = np.zeros((n_projects, n_years))
    value[proj, col] = pcap
    filled[proj, col] = True
    # forward fill: index of the latest filled column at or before each column
    idx = np.where(filled, np.arange(n_years)[None, :], -1)
    idx = np.maximum.accumulate(idx, axis=1)
    prof = np.where(idx >= 0, np.take_along_axis(value, np.maximum(idx, 0), axis=1), 0.0)
    if end_year is not None:
        end = np.asarray(end_year, dtype=float)
        closed = (end[:, None] >= 0) & (yrs[None, :] > end[:, None])
        prof = np.where(closed, 0.0, prof)
    return prof


def _steps(profiles: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Non-zero year-on-year changes of each profile: (project, column, change)."""
    delta = np.diff(profiles, axis=1, prepend=0.0)
    proj, col = np.nonzero(delta)
    return proj.astype(np.int64), col.astype(np.int64), delta[proj, col]


def _nb_success_prob(mean_delay: FloatArray, dispersion: float) -> FloatArray:
    if dispersion <= 0:
        raise ValueError("dispersion must be positive")
    if np.any(mean_delay < 0):
        raise ValueError("mean delays must be non-negative")
    return dispersion / (dispersion + mean_delay)


def delay_cdf(mean_delay: ArrayLike, dispersion: float, max_lag: int) -> FloatArray:
    """P(delay <= lag) for lags 0..max_lag, one row per project (negative binomial)."""
    mu = np.asarray(mean_delay, dtype=float)
    q = 1.0 - _nb_success_prob(mu, dispersion)
    lags = np.arange(1, max_lag + 1, dtype=float)
    ratio = (lags[None, :] - 1.0 + dispersion) / lags[None, :] * q[:, None]  # pmf(x)/pmf(x-1)
    pmf0 = (1.0 - q) ** dispersion
    pmf = pmf0[:, None] * np.cumprod(np.concatenate([np.ones((mu.size, 1)), ratio], axis=1), axis=1)
    return np.minimum(np.cumsum(pmf, axis=1), 1.0)


def expected_capacity(
    profiles: ArrayLike, completion_p: ArrayLike, mean_delay: ArrayLike, dispersion: float
) -> FloatArray:
    """Analytic ``E[capacity]`` per project and year: ``p_i * sum_d P(D_i = d) P_i(t - d)``.

    Computed as ``p_i * sum_s step_i(s) * P(D_i <= t - s)`` (projects x years).
    """
    prof = np.asarray(profiles, dtype=float)
    n, n_years = prof.shape
    delta = np.diff(prof, axis=1, prepend=0.0)
    cdf = delay_cdf(mean_delay, dispersion, n_years - 1)  # (n, n_years)
    lag = np.arange(n_years)[None, :] - np.arange(n_years)[:, None]  # [s, t] = t - s
    weight = np.where(lag >= 0, cdf[:, np.clip(lag, 0, None)], 0.0)  # (n, s, t)
    exp = np.einsum("ns,nst->nt", delta, weight)
    return np.asarray(completion_p, dtype=float)[:, None] * exp


def simulate_capacity(
    profiles: ArrayLike,
    completion_p: ArrayLike,
    mean_delay: ArrayLike,
    *,
    dispersion: float,
    n_draws: int,
    seed: int,
    groups: ArrayLike | None = None,
    n_groups: int | None = None,
) -> FloatArray:
    """Simulated total capacity per draw, group and year: shape (n_draws, n_groups, years).

    ``groups`` gives each project's group index (default: all in group 0). All random
    numbers come from one ``numpy.random.default_rng(seed)``: one uniform per (draw,
    project) for completion, then one per completed (draw, project) for the delay, drawn
    by inverse CDF of the negative binomial (delays past the grid all mean "too late").
    """
    prof = np.asarray(profiles, dtype=float)
    n, n_years = prof.shape
    p = np.asarray(completion_p, dtype=float)
    mu = np.asarray(mean_delay, dtype=float)
    grp = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    n_grp = int(n_groups if n_groups is not None else (grp.max() + 1 if n else 1))
    if n_draws < 1:
        raise ValueError("n_draws must be at least 1")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("completion probabilities must be within 0..1")
    cdf = delay_cdf(mu, dispersion, n_years - 1)  # (n, years): P(delay <= lag)
    rng = np.random.default_rng(seed)
    draw, proj = np.nonzero(rng.random((n_draws, n)) < p[None, :])  # completed pairs
    # inverse CDF for all pairs at once: rows of the CDF table are offset by project index
    table = (np.arange(n)[:, None] + cdf).ravel()
    delay = np.searchsorted(table, proj + rng.random(proj.size), side="right") - proj * n_years
    # expand each completed pair to its project's capacity steps (sorted by project)
    step_proj, step_col, step = _steps(prof)
    count = np.bincount(step_proj, minlength=n)
    first = np.cumsum(count) - count
    reps = count[proj]
    pair = np.repeat(np.arange(proj.size), reps)
    idx = np.arange(pair.size) - np.repeat(np.cumsum(reps) - reps - first[proj], reps)
    when = step_col[idx] + delay[pair]
    keep = when < n_years
    cell = ((draw * n_grp + grp[proj]) * n_years)[pair[keep]] + when[keep]
    total = np.bincount(cell, weights=step[idx[keep]], minlength=n_draws * n_grp * n_years)
    return np.cumsum(total.reshape(n_draws, n_grp, n_years), axis=2)


@dataclass(frozen=True)
class OutlookSummary:
    """Per-year results for the non-China group and China, in the profiles' unit (t/yr)."""

    expected: FloatArray
    p10: FloatArray
    p50: FloatArray
    p90: FloatArray
    std_error: FloatArray
    analytic_expected: FloatArray
    china_expected: FloatArray
    share_expected: FloatArray
    share_p10: FloatArray
    share_p90: FloatArray


def simulate_outlook(
    profiles: ArrayLike,
    completion_p: ArrayLike,
    mean_delay: ArrayLike,
    is_china: ArrayLike,
    *,
    baseline_non_china: float | ArrayLike = 0.0,
    baseline_china: float | ArrayLike = 0.0,
    dispersion: float = 2.0,
    n_draws: int = 10_000,
    seed: int = 0,
) -> OutlookSummary:
    """Non-China capacity outlook: baselines (scalar or per year) plus simulated projects.

    ``expected``/``p10``/``p50``/``p90`` summarise non-China capacity over the draws;
    ``share_*`` is the non-China share of world capacity computed draw by draw (NaN where
    the world has none); ``analytic_expected`` is the exact expectation the Monte Carlo
    mean converges to and ``std_error`` the Monte Carlo standard error of the mean.
    """
    china = np.asarray(is_china, dtype=bool)
    sims = simulate_capacity(
        profiles, completion_p, mean_delay, dispersion=dispersion, n_draws=n_draws, seed=seed,
        groups=china.astype(np.int64), n_groups=2,
    )
    non_china = sims[:, 0, :] + np.asarray(baseline_non_china, dtype=float)
    in_china = sims[:, 1, :] + np.asarray(baseline_china, dtype=float)
    world = non_china + in_china
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN years (no world capacity)
        share = np.where(world > 0, non_china / np.where(world > 0, world, 1.0), np.nan)
        share_q = np.nanpercentile(share, (10, 90), axis=0)
        share_mean = np.nanmean(share, axis=0)
    n_years = world.shape[1]
    exp = expected_capacity(profiles, completion_p, mean_delay, dispersion)
    analytic = exp[~china].sum(axis=0) + np.asarray(baseline_non_china, dtype=float)
    q = np.percentile(non_china, QUANTILES, axis=0)
    sd = non_china.std(axis=0, ddof=1) if n_draws > 1 else np.zeros(n_years)
    return OutlookSummary(
        expected=non_china.mean(axis=0),
        p10=q[0],
        p50=q[1],
        p90=q[2],
        std_error=sd / np.sqrt(n_draws),
        analytic_expected=np.broadcast_to(analytic, (n_years,)).copy(),
        china_expected=in_china.mean(axis=0),
        share_expected=share_mean,
        share_p10=share_q[0],
        share_p90=share_q[1],
    )
