"""Seeded monthly price paths for the stockpile planner and the offtake simulator.

Two generators, both vectorised over paths (``(n_paths, n_months)`` arrays, month 0 the
first simulated month, prices in the units of ``start``):

- :func:`bootstrap_paths`: a moving-block bootstrap of observed monthly log returns
  (blocks of ``block`` consecutive months drawn with replacement and laid end to end),
  so volatility clustering inside a block survives; needs a monthly series.
- :func:`lognormal_paths`: a random walk in log price with drift ``mu`` and volatility
  ``sigma`` per year (geometric Brownian motion sampled monthly: each month's log
  return is normal with mean ``(mu - sigma^2 / 2) / 12`` and standard deviation
  ``sigma / sqrt(12)``). :func:`fit_annual` estimates ``mu`` and ``sigma`` from annual
  prices (e.g. USGS unit values), for minerals without a monthly series.

:func:`monthly_log_returns` turns an irregular series of levels into month-on-month log
returns (the last level of each calendar month; months without a level are gaps, and no
return spans a gap).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

MONTHS_PER_YEAR = 12


def monthly_log_returns(dates: Sequence[object], levels: Sequence[float]) -> np.ndarray:
    """Month-on-month log returns of the last level in each calendar month; consecutive
    months only. ValueError on a level <= 0."""
    s = pd.Series(np.asarray(levels, dtype=float), index=pd.to_datetime(list(dates)))
    if (s <= 0).any():
        raise ValueError("price levels must be > 0 for log returns")
    s = s.sort_index()
    monthly = s.groupby(s.index.to_period("M")).last()
    months = np.asarray(monthly.index.asi8)  # period ordinals: consecutive months differ by 1
    values = np.log(monthly.to_numpy())
    consecutive = np.diff(months) == 1
    return np.diff(values)[consecutive]


def bootstrap_paths(log_returns: Sequence[float], start: float, n_paths: int, n_months: int,
                    seed: int, block: int = 3) -> np.ndarray:
    """``(n_paths, n_months)`` prices: ``start`` times the cumulated bootstrapped log
    returns (moving blocks of ``block`` months, drawn with replacement)."""
    r = np.asarray(log_returns, dtype=float)
    if r.size == 0:
        raise ValueError("no monthly returns to bootstrap (need at least two consecutive "
                         "months of prices)")
    if start <= 0 or n_paths < 1 or n_months < 1 or block < 1:
        raise ValueError("start must be > 0; paths, months and block at least 1")
    block = min(block, r.size)
    n_blocks = -(-n_months // block)
    rng = np.random.default_rng(seed)
    first = rng.integers(0, r.size - block + 1, size=(n_paths, n_blocks))
    idx = (first[:, :, None] + np.arange(block)[None, None, :]).reshape(n_paths, -1)
    steps = r[idx[:, :n_months]]
    return start * np.exp(np.cumsum(steps, axis=1))


def lognormal_paths(start: float, mu: float, sigma: float, n_paths: int, n_months: int,
                    seed: int) -> np.ndarray:
    """``(n_paths, n_months)`` prices of a monthly-sampled geometric Brownian motion with
    annual drift ``mu`` and volatility ``sigma``; the mean price grows as ``e^(mu t)``."""
    if start <= 0 or sigma < 0 or n_paths < 1 or n_months < 1:
        raise ValueError("start must be > 0, sigma >= 0, paths and months at least 1")
    rng = np.random.default_rng(seed)
    dt = 1.0 / MONTHS_PER_YEAR
    steps = rng.normal((mu - 0.5 * sigma**2) * dt, sigma * np.sqrt(dt), (n_paths, n_months))
    return start * np.exp(np.cumsum(steps, axis=1))


def fit_annual(prices: Sequence[float]) -> tuple[float, float]:
    """``(mu, sigma)`` per year from consecutive annual prices: ``sigma`` the sample
    standard deviation of the annual log returns, ``mu = mean + sigma^2 / 2`` (so the
    fitted walk's mean price follows the mean log growth). Needs three prices or more."""
    p = np.asarray(prices, dtype=float)
    if p.size < 3 or np.any(p <= 0):
        raise ValueError("need at least three positive annual prices to fit a volatility")
    r = np.diff(np.log(p))
    sigma = float(np.std(r, ddof=1))
    return float(np.mean(r) + 0.5 * sigma**2), sigma
