"""Retrofits of existing plants for by-product recovery: NPV and IRR with and without support.

Per candidate *i* and price path *p* (years ``t = 0..T``; capex spent at ``t = 0``,
output from ``t = 1``)::

    price_eff[p, t] = backed x max(market, floor) + (1 - backed) x market
    CF[p, 0] = -capex x (1 - match)           (match = 0 without support)
    CF[p, t] = capacity x ramp[t] x (price_eff - opex)   (floor = none without support)
    NPV[p]   = sum_t CF[p, t] / (1 + r) ^ t

IRR is the rate where NPV is zero, found by bisection over all paths at once on
``[-0.99, 10]``; NaN where NPV does not change sign there (e.g. every flow negative).
The public cost is the matching fund plus the discounted floor payouts,
``match x capex + E[sum_t d_t backed x capacity x ramp x max(floor - market, 0)]``;
per tonne of secured capacity it is divided by ``capacity x P(NPV_supported > 0)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def npv(cashflows: ArrayLike, rate: ArrayLike) -> FloatArray:
    """NPV of ``(..., T+1)`` cash flows (index 0 undiscounted) at ``rate`` (broadcast to
    the leading axes)."""
    cf = np.asarray(cashflows, dtype=float)
    r = np.asarray(rate, dtype=float)[..., None]
    t = np.arange(cf.shape[-1], dtype=float)
    return (cf / (1.0 + r) ** t).sum(axis=-1)


def irr(cashflows: ArrayLike, lo: float = -0.99, hi: float = 10.0,
        iters: int = 100) -> FloatArray:
    """IRR of each row of ``(..., T+1)`` cash flows by vectorised bisection; NaN where the
    NPV has the same sign at both ends of ``[lo, hi]``."""
    cf = np.asarray(cashflows, dtype=float)
    shape = cf.shape[:-1]
    a = np.full(shape, lo)
    b = np.full(shape, hi)
    fa = npv(cf, a)
    fb = npv(cf, b)
    ok = np.sign(fa) != np.sign(fb)
    for _ in range(iters):  # fixed iterations over all rows at once, not a loop over rows
        mid = 0.5 * (a + b)
        fm = npv(cf, mid)
        left = np.sign(fm) == np.sign(fa)
        a = np.where(left, mid, a)
        fa = np.where(left, fm, fa)
        b = np.where(left, b, mid)
    return np.where(ok, 0.5 * (a + b), np.nan)


def retrofit_cashflows(market: ArrayLike, capex: ArrayLike, capacity: ArrayLike,
                       opex: ArrayLike, ramp: ArrayLike, *, match: ArrayLike = 0.0,
                       floor: ArrayLike | None = None,
                       backed: ArrayLike = 0.0) -> FloatArray:
    """``(N, P, T+1)`` cash flows for N candidates on ``(P, T)`` market prices per tonne.

    ``capex``, ``capacity`` (t/yr), ``opex`` (per t), ``match`` and ``backed`` (0..1
    shares) and ``floor`` (per t; None or NaN: no floor) are per candidate ``(N,)``;
    ``ramp`` ``(N, T)`` is the share of capacity reached each year.
    """
    m = np.asarray(market, dtype=float)[None, :, :]
    k = np.asarray(capex, dtype=float)
    n = k.size
    cap = np.asarray(capacity, dtype=float).reshape(n, 1, 1)
    op = np.asarray(opex, dtype=float).reshape(n, 1, 1)
    rmp = np.asarray(ramp, dtype=float).reshape(n, 1, -1)
    mt = np.broadcast_to(np.asarray(match, dtype=float), (n,))
    bk = np.broadcast_to(np.asarray(backed, dtype=float), (n,)).reshape(n, 1, 1)
    if np.any((mt < 0) | (mt > 1)) or np.any((bk < 0) | (bk > 1)):
        raise ValueError("matching and backed shares must be within 0..1")
    if floor is None:
        eff = np.broadcast_to(m, (n,) + m.shape[1:])
    else:
        f = np.asarray(floor, dtype=float).reshape(n, 1, 1)
        floored = np.where(np.isnan(f), m, np.maximum(m, np.nan_to_num(f)))
        eff = bk * floored + (1 - bk) * m
    flows = cap * rmp * (eff - op)
    first = np.broadcast_to((-k * (1 - mt)).reshape(n, 1, 1), (n, m.shape[1], 1))
    return np.concatenate([first, flows], axis=2)


def floor_payouts(market: ArrayLike, capacity: ArrayLike, ramp: ArrayLike, floor: ArrayLike,
                  backed: ArrayLike, rate: float) -> FloatArray:
    """``(N, P)`` discounted public floor payouts ``sum_t d_t backed cap ramp max(F - m, 0)``."""
    m = np.asarray(market, dtype=float)[None, :, :]
    n = np.asarray(capacity).size
    f = np.nan_to_num(np.asarray(floor, dtype=float), nan=-np.inf).reshape(n, 1, 1)
    vol = (np.asarray(capacity, dtype=float).reshape(n, 1, 1)
           * np.asarray(ramp, dtype=float).reshape(n, 1, -1)
           * np.asarray(backed, dtype=float).reshape(n, 1, 1))
    d = (1.0 + rate) ** -np.arange(1, m.shape[2] + 1, dtype=float)
    return (vol * np.maximum(f - m, 0.0) * d).sum(axis=2)


def public_cost_per_tonne(capex: ArrayLike, match: ArrayLike, payouts: ArrayLike,
                          capacity: ArrayLike, p_viable: ArrayLike) -> FloatArray:
    """``(match x capex + E[payouts]) / (capacity x P(viable))``; inf when never viable."""
    cost = (np.asarray(match, dtype=float) * np.asarray(capex, dtype=float)
            + np.asarray(payouts, dtype=float).mean(axis=-1))
    secured = np.asarray(capacity, dtype=float) * np.asarray(p_viable, dtype=float)
    return np.where(secured > 0, cost / np.where(secured > 0, secured, 1.0), np.inf)
