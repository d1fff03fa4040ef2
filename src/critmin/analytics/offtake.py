"""Consortium offtakes with price floors and caps, vectorised over paths x years x buyers.

Shapes: ``P`` paths, ``J`` projects, ``B`` buyers, ``Y`` years. Prices are per tonne
(any currency, one throughout); volumes in tonnes per year.

- **Allocation.** Project *j* offers ``offered[p, j, y]`` tonnes (its share for the
  consortium of that year's output). Buyer *b* commits ``commit[b, j]`` t/yr at priority
  ``tier[b]`` (1 is served first). A tier gets what higher tiers left, up to its total
  commitment, split inside the tier pro rata by commitment::

      before[b, j] = sum of commit[k, j] over buyers k with tier[k] < tier[b]
      same[b, j]   = sum of commit[k, j] over buyers k with tier[k] = tier[b]
      alloc[p, b, j, y] = commit[b, j] * clip((offered[p, j, y] - before) / same, 0, 1)

  Pro rata is the case where every buyer has the same tier.
- **Contract price.** ``max(min(market, cap), floor)``, per buyer and project: the cap
  binds above, the floor below, and the floor wins if the two cross (an indexed floor
  above a fixed cap).
- **Buyer cost** ``sum_j alloc * contract`` against ``sum_j alloc * market``.
- **Producer revenue** with the floor: contracted tonnes at the contract price, the rest
  at market; without the floor: the same contract with the floor removed (cap kept), so
  ``max(x, floor) >= x`` makes the floor never lower revenue in any path; a year is
  loss-making when output is positive and revenue < ``unit_cost x output``.
- **Option value of the floor** to the consortium: ``E[sum_y d_y sum_b,j max(floor -
  market, 0) x alloc]`` (a strip of puts, ``d_y`` the discount factor); the cap's value
  is the matching strip of calls, and the consortium's expected net cost over market is
  put minus call. The put strip rises with the floor level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def annual_mean(monthly: ArrayLike, n_years: int) -> FloatArray:
    """``(P, n_months)`` monthly prices -> ``(P, n_years)`` calendar-year means."""
    m = np.asarray(monthly, dtype=float)
    if m.shape[1] < 12 * n_years:
        raise ValueError(f"need {12 * n_years} months of prices, got {m.shape[1]}")
    return m[:, : 12 * n_years].reshape(m.shape[0], n_years, 12).mean(axis=2)


def allocate(offered: ArrayLike, commit: ArrayLike, tier: ArrayLike | None = None) -> FloatArray:
    """Tonnes each buyer receives: ``(P, B, J, Y)`` from offered ``(P, J, Y)``, commitments
    ``(B, J)`` and priority tiers ``(B,)`` (default: all equal, i.e. pro rata)."""
    off = np.asarray(offered, dtype=float)
    com = np.asarray(commit, dtype=float)
    if np.any(com < 0) or np.any(off < 0):
        raise ValueError("commitments and offered volumes must be non-negative")
    t = np.zeros(com.shape[0]) if tier is None else np.asarray(tier, dtype=float)
    higher = (t[None, :] < t[:, None]).astype(float)  # [b, k]: k served before b
    same = (t[None, :] == t[:, None]).astype(float)
    before = higher @ com  # (B, J)
    tier_total = same @ com
    safe = np.where(tier_total > 0, tier_total, 1.0)
    frac = np.clip((off[:, None, :, :] - before[None, :, :, None]) / safe[None, :, :, None], 0, 1)
    return com[None, :, :, None] * frac


def contract_price(market: ArrayLike, floor: ArrayLike | None = None,
                   cap: ArrayLike | None = None) -> FloatArray:
    """``max(min(market, cap), floor)``, broadcasting; None means no floor / no cap."""
    price = np.asarray(market, dtype=float)
    if cap is not None:
        price = np.minimum(price, np.asarray(cap, dtype=float))
    if floor is not None:
        price = np.maximum(price, np.asarray(floor, dtype=float))
    return price


def indexed_floor(benchmark: ArrayLike, margin_pct: float = 0.0,
                  margin_abs: float = 0.0) -> FloatArray:
    """A floor indexed to a benchmark: ``benchmark x (1 + margin_pct / 100) + margin_abs``."""
    return np.asarray(benchmark, dtype=float) * (1.0 + margin_pct / 100.0) + margin_abs


def completion_with_floor(p0: ArrayLike, floor: ArrayLike, reference: ArrayLike,
                          beta: float) -> FloatArray:
    """Completion probability under a floor, for a user-given link on the odds scale:
    ``odds = odds0 x (floor / reference) ^ beta`` (0 and 1 stay put; beta 0: no effect)."""
    p = np.asarray(p0, dtype=float)
    ratio = np.asarray(floor, dtype=float) / np.asarray(reference, dtype=float)
    if np.any(ratio <= 0):
        raise ValueError("floor and reference must be positive")
    inner = (p > 0) & (p < 1)
    odds = np.where(inner, p / np.where(inner, 1 - p, 1.0), 0.0) * ratio**beta
    return np.where(inner, odds / (1 + odds), p)


def discount_factors(n_years: int, rate: float) -> FloatArray:
    """``1 / (1 + rate) ^ t`` for t = 1..n_years (end-of-year flows)."""
    return (1.0 + rate) ** -np.arange(1, n_years + 1, dtype=float)


@dataclass(frozen=True)
class OfftakeResult:
    """Per path results (``P`` first axis); money in the price's currency."""

    alloc: FloatArray  # (P, B, J, Y) tonnes
    buyer_cost: FloatArray  # (P, B) discounted total at contract prices
    buyer_market_cost: FloatArray  # (P, B) the same tonnes at market
    producer_revenue: FloatArray  # (P, J, Y) with the floor
    producer_revenue_no_floor: FloatArray  # (P, J, Y) same contract, floor removed
    producer_revenue_market: FloatArray  # (P, J, Y) all output at market
    loss_year: NDArray[np.bool_]  # (P, J, Y) with the floor
    loss_year_no_floor: NDArray[np.bool_]  # (P, J, Y)
    producing: NDArray[np.bool_]  # (P, J, Y) output > 0
    put_value: FloatArray  # (P, B) discounted floor payouts
    call_value: FloatArray  # (P, B) discounted cap savings


def simulate_offtake(
    market: ArrayLike,
    output: ArrayLike,
    offered_share: ArrayLike,
    commit: ArrayLike,
    *,
    tier: ArrayLike | None = None,
    floor: ArrayLike | None = None,
    cap: ArrayLike | None = None,
    unit_cost: ArrayLike | None = None,
    discount_rate: float = 0.0,
) -> OfftakeResult:
    """Evaluate a consortium offtake on given paths.

    ``market`` ``(P, Y)`` price; ``output`` ``(P, J, Y)`` tonnes; ``offered_share`` ``(J,)``
    share of output offered to the consortium; ``commit`` ``(B, J)`` t/yr; ``floor`` and
    ``cap`` broadcast to ``(P, B, J, Y)`` (scalar, per buyer and project ``(B, J, 1)``,
    per path and year ``(P, 1, 1, Y)``);
    ``unit_cost`` ``(J,)`` per tonne.
    """
    m = np.asarray(market, dtype=float)
    out = np.asarray(output, dtype=float)
    n_paths, n_proj, n_years = out.shape
    share = np.asarray(offered_share, dtype=float).reshape(1, n_proj, 1)
    if np.any((share < 0) | (share > 1)):
        raise ValueError("offered shares must be within 0..1")
    alloc = allocate(out * share, commit, tier)  # (P, B, J, Y)
    mk = m[:, None, None, :]  # (P, 1, 1, Y): broadcast over buyers and projects
    f = None if floor is None else np.broadcast_to(np.asarray(floor, float), alloc.shape)
    c = None if cap is None else np.broadcast_to(np.asarray(cap, float), alloc.shape)
    price = contract_price(mk, f, c)  # (P, B, J, Y)
    price_nf = contract_price(mk, None, c)
    d = discount_factors(n_years, discount_rate)
    buyer_cost = np.einsum("pbjy,pbjy,y->pb", alloc, price * np.ones_like(alloc), d)
    buyer_market = np.einsum("pbjy,py,y->pb", alloc, m, d)
    put = np.zeros_like(alloc) if f is None else np.maximum(f - mk, 0.0)
    call = np.zeros_like(alloc) if c is None else np.maximum(mk - c, 0.0)
    put_v = np.einsum("pbjy,pbjy,y->pb", alloc, put, d)
    call_v = np.einsum("pbjy,pbjy,y->pb", alloc, call, d)
    contracted = alloc.sum(axis=1)  # (P, J, Y)
    rest = out - contracted
    mk3 = m[:, None, :]
    rev = (alloc * price).sum(axis=1) + rest * mk3
    rev_nf = (alloc * price_nf).sum(axis=1) + rest * mk3
    rev_mkt = out * mk3
    uc = np.zeros(n_proj) if unit_cost is None else np.asarray(unit_cost, dtype=float)
    cost = out * uc[None, :, None]
    producing = out > 0
    return OfftakeResult(
        alloc=alloc, buyer_cost=buyer_cost, buyer_market_cost=buyer_market,
        producer_revenue=rev, producer_revenue_no_floor=rev_nf,
        producer_revenue_market=rev_mkt,
        loss_year=producing & (rev < cost), loss_year_no_floor=producing & (rev_nf < cost),
        producing=producing, put_value=put_v, call_value=call_v,
    )


def quantiles(x: ArrayLike, axis: int = 0) -> dict[str, float | list[float]]:
    """Mean, P10, P50, P90 along ``axis`` (floats for 1-D input, lists otherwise)."""
    a = np.asarray(x, dtype=float)
    q = np.percentile(a, (10, 50, 90), axis=axis)
    mean = a.mean(axis=axis)

    def conv(v: np.ndarray) -> float | list[float]:
        return float(v) if np.ndim(v) == 0 else [float(t) for t in np.ravel(v)]

    return {"mean": conv(mean), "p10": conv(q[0]), "p50": conv(q[1]), "p90": conv(q[2])}
