"""Uncertainty and sweeps for the disruption market stage: seeded Monte Carlo draws of
the uncertain parameters, quantile summaries and restriction-level sweeps.

Every uncertain parameter is drawn from a triangular distribution on its documented
range ``(low, central, high)`` (a uniform one where the central value is not given; a
range with ``low == high`` is fixed). Draws are independent across parameters. The
summary reports the median (central) and the 5th and 95th percentiles (low, high) by
default. A sweep reuses the same draws at every restriction level (common random
numbers), so each draw's path over the levels is a proper curve.

A sweep *case* is one mineral and restricting country: ``{"key", "params",
"uncertain", "restriction", "levers"}`` and optionally ``"sums"``: parameters set, draw
by draw, to the sum of others (``{"consumption": ["production_other", "exports"]}``
keeps a market balance when its parts are uncertain). :func:`sweep_cases` evaluates many cases x
levels x draws in one vectorised call; ``critmin.services.disruption_dask`` splits the
cases into chunks run on a Dask cluster. A case's draws depend only on
``(seed, case index)``, so a chunked sweep equals the in-process one exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from critmin.analytics.disruption import simulate

QUANTILES: tuple[float, float, float] = (0.5, 0.05, 0.95)
"""(central, low, high) quantiles of the Monte Carlo summaries."""

METRICS: tuple[str, ...] = ("price_ratio", "price_ratio_rest", "shortfall_share",
                            "shortfall_t")  # fmt: skip


def draw(
    uncertain: Mapping[str, Sequence[float]], n_draws: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """``n_draws`` values of each uncertain parameter from its ``(low, central, high)``
    (triangular) or ``(low, high)`` (uniform) range."""
    out: dict[str, np.ndarray] = {}
    for name in sorted(uncertain):
        spec = [float(v) for v in uncertain[name]]
        if len(spec) == 2:
            lo, hi = spec
            mode = None
        elif len(spec) == 3:
            lo, mode, hi = spec
        else:
            raise ValueError(f"uncertain parameter {name!r}: expected (low, central, high) "
                             f"or (low, high), got {uncertain[name]!r}")
        if not lo <= hi or (mode is not None and not lo <= mode <= hi):
            raise ValueError(f"uncertain parameter {name!r}: expected low <= central <= high,"
                             f" got {uncertain[name]!r}")
        if lo == hi:
            out[name] = np.full(n_draws, lo)
        elif mode is None:
            out[name] = rng.uniform(lo, hi, n_draws)
        else:
            out[name] = rng.triangular(lo, mode, hi, n_draws)
    return out


def window(restriction: Mapping[str, Any], n_rows: int, n_periods: int) -> np.ndarray:
    """Periods inside the restriction window, whatever the level: ``(n_rows, n_periods)``."""
    t = np.arange(n_periods)[None, :]
    start = np.reshape(np.asarray(restriction.get("start", 0), dtype=float), (-1, 1))
    dur = np.reshape(np.asarray(restriction.get("duration", n_periods), dtype=float), (-1, 1))
    return np.broadcast_to((t >= start) & (t < start + dur), (n_rows, n_periods))


def metrics(res: Mapping[str, np.ndarray], win: np.ndarray) -> dict[str, np.ndarray]:
    """Per-scenario figures over the restriction window: mean price ratios, the total
    shortfall (t) and the shortfall as a share of baseline demand."""
    n = np.maximum(win.sum(axis=1), 1)
    base = np.where(win, res["baseline_restricted"], 0.0).sum(axis=1)
    short = np.where(win, res["shortfall_restricted"], 0.0).sum(axis=1)
    return {
        "price_ratio": np.where(win, res["price_ratio_restricted"], 0.0).sum(axis=1) / n,
        "price_ratio_rest": np.where(win, res["price_ratio_rest"], 0.0).sum(axis=1) / n,
        "shortfall_t": short,
        "shortfall_share": np.divide(short, base, out=np.zeros_like(short), where=base > 0),
    }


def summarise(values: np.ndarray, axis: int = -1,
              quantiles: Sequence[float] = QUANTILES) -> dict[str, np.ndarray]:
    """``{"central", "low", "high"}`` quantiles of ``values`` along ``axis``."""
    q = np.quantile(values, quantiles, axis=axis)
    return {"central": q[0], "low": q[1], "high": q[2]}


def monte_carlo(
    params: Mapping[str, Any], uncertain: Mapping[str, Sequence[float]],
    restriction: Mapping[str, Any], levers: Mapping[str, Any] | None = None, *,
    n_draws: int = 1000, seed: int = 0, n_periods: int = 1,
) -> dict[str, Any]:
    """One restriction under uncertainty: per-period quantiles of the restricted and rest
    price ratios and consumption, and quantiles of the window :func:`metrics`."""
    rng = np.random.default_rng(seed)
    p = {**params, **draw(uncertain, n_draws, rng)}
    res = simulate(p, restriction, levers, n_periods=n_periods, n_scenarios=n_draws)
    out: dict[str, Any] = {k: summarise(res[k], axis=0) for k in (
        "price_ratio_restricted", "price_ratio_rest", "consumption_restricted",
        "shortfall_restricted")}  # fmt: skip
    m = metrics(res, window(restriction, n_draws, n_periods))
    out["summary"] = {k: summarise(v) for k, v in m.items()}
    out["draws"] = {"n": n_draws, "seed": seed, "quantiles": list(QUANTILES)}
    return out


def _case_rows(case: Mapping[str, Any], levels: np.ndarray, n_draws: int,
               seed: int, index: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Parameters, restriction and levers of one case, one row per (level, draw)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
    d = draw(case.get("uncertain", {}), n_draws, rng)
    n_lv = len(levels)
    params = {k: np.tile(np.broadcast_to(np.asarray(v, float), (n_draws,)), n_lv)
              for k, v in {**case["params"], **d}.items()}  # fmt: skip
    for name, parts in case.get("sums", {}).items():  # e.g. consumption = balance
        params[name] = np.sum([params[p] for p in parts], axis=0)
    restriction = {**case.get("restriction", {}), "level": np.repeat(levels, n_draws)}
    return params, restriction, dict(case.get("levers", {}))


def sweep_cases(
    cases: Sequence[Mapping[str, Any]], levels: Sequence[float], n_draws: int, seed: int,
    *, first_index: int = 0, n_periods: int = 1,
) -> dict[str, np.ndarray]:
    """Every case x level x draw in one vectorised solve. Returns each of
    :data:`METRICS` as ``(n_cases, n_levels, n_draws)``; case ``i`` draws with seed
    ``(seed, first_index + i)``."""
    lv = np.asarray(levels, dtype=float)
    rows = [_case_rows(c, lv, n_draws, seed, first_index + i) for i, c in enumerate(cases)]
    names = set().union(*(r[0] for r in rows))
    params = {k: np.concatenate([r[0].get(k, np.full(len(lv) * n_draws, np.nan))
                                 for r in rows]) for k in names}  # fmt: skip
    nan = [k for k, v in params.items() if np.isnan(v).any()]
    if nan:
        raise ValueError(f"every case in one sweep gives the same parameters; missing "
                         f"{', '.join(sorted(nan))} in some")
    restr = {k: np.concatenate([np.broadcast_to(np.asarray(r[1].get(k, d), float),
                                                (len(lv) * n_draws,)) for r in rows])
             for k, d in (("level", 0.0), ("start", 0.0), ("duration", n_periods))}  # fmt: skip
    lever_names = set().union(*(r[2] for r in rows))
    levers = {k: np.concatenate([np.broadcast_to(np.asarray(r[2].get(k, 0.0), float),
                                                 (len(lv) * n_draws,)) for r in rows])
              for k in lever_names}  # fmt: skip
    n = len(rows) * len(lv) * n_draws
    res = simulate(params, restr, levers, n_periods=n_periods, n_scenarios=n)
    m = metrics(res, window(restr, n, n_periods))
    return {k: v.reshape(len(rows), len(lv), n_draws) for k, v in m.items()}


def sweep_summary(values: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """Quantiles over the draws of a :func:`sweep_cases` result: ``(n_cases, n_levels)``."""
    return {k: summarise(v, axis=-1) for k, v in values.items()}
