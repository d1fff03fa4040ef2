"""Progress toward recycling targets: pure, vectorised over targets (numpy).

For each target ``i`` with the latest known rate ``r`` (percent) in year ``y``, a target
rate ``T`` (percent) for year ``Y`` and, optionally, a consumption base ``C`` (t/yr):

- ``gap_pp = T - r``: percentage points still to gain (negative: already above);
- ``years_left = Y - y``;
- ``needed_pp_per_year = gap_pp / years_left``: the constant yearly gain that reaches
  the target on time (only where the gap is open and time is left);
- ``share_of_target = r / T``;
- ``extra_supply_t = C * gap_pp / 100``: the extra secondary supply per year that
  closing the gap implies on that consumption base (t/yr; only where the gap is open).

Missing inputs are NaN and stay NaN in what depends on them: with no current rate nothing
is computed, and ``state`` says ``no_current_rate``. ``state`` is one of ``met``,
``open`` (gap open, time left), ``past_due`` (gap open, target year reached or passed),
``no_timeline`` (gap open, but the target has no year or the rate no year) and
``no_current_rate``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

STATES = ("met", "open", "past_due", "no_timeline", "no_current_rate")


def _arr(values: Any, n: int | None = None) -> np.ndarray:
    a = np.asarray(values if values is not None else np.nan, dtype=float)
    if n is not None and a.ndim == 0:
        a = np.full(n, float(a))
    return np.atleast_1d(a)


def progress(
    current_pct: Any,
    current_year: Any,
    target_pct: Any,
    target_year: Any,
    consumption_t: Any = None,
) -> dict[str, np.ndarray]:
    """Progress of each target (arrays of equal length; scalars broadcast; NaN = unknown)."""
    target = _arr(target_pct)
    n = target.size
    r, y = _arr(current_pct, n), _arr(current_year, n)
    ty, c = _arr(target_year, n), _arr(consumption_t, n)
    if not (r.size == y.size == ty.size == c.size == n):
        raise ValueError("every input has one value per target (or is a single value)")
    if np.any((target <= 0) | (target > 100)):
        raise ValueError("target rates are percentages above 0 and at most 100")
    if np.any((r < 0) | (r > 100)):
        raise ValueError("current rates are percentages from 0 to 100")
    if np.any(c < 0):
        raise ValueError("consumption bases are non-negative tonnages")
    known = ~np.isnan(r)
    gap = target - r
    years_left = ty - y
    is_open = known & (gap > 0)
    has_time = is_open & (years_left > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        needed = np.where(has_time, gap / np.where(has_time, years_left, 1.0), np.nan)
    extra = np.where(is_open, c * gap / 100.0, np.where(known & (gap <= 0), 0.0, np.nan))
    extra = np.where(np.isnan(c), np.nan, extra)  # no consumption base, no tonnage
    state = np.select(
        [~known, gap <= 0, np.isnan(years_left), has_time],
        ["no_current_rate", "met", "no_timeline", "open"],
        default="past_due",
    )
    return {
        "gap_pp": np.where(known, gap, np.nan),
        "years_left": np.where(np.isnan(ty) | np.isnan(y), np.nan, years_left),
        "needed_pp_per_year": needed,
        "share_of_target": np.where(known, r / target, np.nan),
        "extra_supply_t": extra,
        "state": state.astype(object),
    }
