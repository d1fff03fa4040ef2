"""Market concentration in the field's notation: shares, HHI, CR_k, effective number.

All functions take array-likes and work along the last axis, so a 2-D array
(rows = years or scenarios, columns = countries or firms) gives one result per row.
Shares are fractions (0..1), not percentages; ``hhi`` is on the 0..1 scale and
``hhi_points`` on the 0..10,000 scale used by competition authorities.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def _as_nonnegative(values: ArrayLike, name: str) -> FloatArray:
    a = np.asarray(values, dtype=float)
    if np.any(a < 0):  # NaN compares False, so missing values pass
        raise ValueError(f"{name} must be non-negative; got {a[a < 0][:5].tolist()}")
    return a


def _scalar_or_array(a: FloatArray) -> float | FloatArray:
    return float(a) if a.ndim == 0 else a


def market_shares(values: ArrayLike, total: ArrayLike | None = None) -> FloatArray:
    """Each value as a fraction of ``total`` (default: the sum of the values along the last axis).

    NaN values (withheld, not available) count as 0 and keep a share of 0. Give ``total``
    (a scalar, or one per row) to measure shares against a published total such as a
    USGS world row; then shares need not sum to 1. A row whose total is 0 gives NaN shares.
    Raises ValueError on negative values or totals.
    """
    a = np.nan_to_num(_as_nonnegative(values, "values"), nan=0.0)
    if total is None:
        denom = a.sum(axis=-1, keepdims=True)
    else:
        denom = _as_nonnegative(total, "total")
        denom = denom[..., np.newaxis] if denom.ndim and a.ndim > 1 else denom
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, a / np.where(denom > 0, denom, 1.0), np.nan)


def hhi(shares: ArrayLike) -> float | FloatArray:
    """Herfindahl-Hirschman index: the sum of squared fractional shares (0..1).

    NaN shares are ignored; a row with no finite share gives NaN. 1-D input gives a
    float, 2-D input one value per row. Raises ValueError on negative shares.
    """
    s = np.atleast_1d(_as_nonnegative(shares, "shares"))
    out = np.nansum(s * s, axis=-1)
    if s.shape[-1]:
        out = np.where(np.isnan(s).all(axis=-1), np.nan, out)
    return _scalar_or_array(np.asarray(out, dtype=float))


def hhi_points(shares: ArrayLike) -> float | FloatArray:
    """HHI on the 0..10,000 scale (shares in percent, squared and summed)."""
    return _scalar_or_array(np.asarray(hhi(shares), dtype=float) * 10_000.0)


def hhi_from_values(values: ArrayLike, total: ArrayLike | None = None) -> float | FloatArray:
    """HHI of raw quantities (production, capacity), shares taken against ``total``."""
    return hhi(market_shares(values, total))


def concentration_ratio(shares: ArrayLike, k: int) -> float | FloatArray:
    """CR_k: the combined share of the ``k`` largest shares (NaN counted as 0)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    s = np.nan_to_num(_as_nonnegative(shares, "shares"), nan=0.0)
    top = -np.sort(-s, axis=-1)[..., :k]
    return _scalar_or_array(np.asarray(top.sum(axis=-1), dtype=float))


def effective_number(hhi_value: ArrayLike) -> float | FloatArray:
    """The equivalent number of equal-sized suppliers, 1 / HHI (inf for HHI 0)."""
    h = _as_nonnegative(hhi_value, "hhi")
    with np.errstate(divide="ignore"):
        return _scalar_or_array(np.asarray(1.0 / h, dtype=float))
