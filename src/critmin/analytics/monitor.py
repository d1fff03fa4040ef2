"""Alert conditions of the market monitor: pure, vectorised, no database.

Dates are periods: an observation dated to a month (or year) may stand for any day of
it, so each row carries ``first`` and ``last``, the first and last day it may stand for
(``datetime64[D]``). Qualifiers say what a value proves:

- a rise from ``b`` to ``e`` is proved by an end value that is not an upper bound and a
  base value that is not a lower bound (``≥ e`` over ``≤ b`` is at least ``e / b - 1``);
  a fall the other way round; ``approximate`` values count, and the alert says so;
- a stated change ("> 43 %" over a month) counts as at least its value when it is a lower
  bound; an upper-bound change proves no rise.

Each condition fires on the observation where it **becomes** true (an episode's first
date), not on every later date while it stays true.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

NOMINAL_DAYS = {"Y": 365, "M": 30, "W": 7, "D": 1}
"""A stated window counts as its nominal length: a month 30 days, a year 365."""
_DURATION = re.compile(r"(\d+)([YMWD])")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def _as_days(values: object) -> np.ndarray:
    return np.asarray(pd.to_datetime(pd.Series(values)), dtype="datetime64[D]").astype(np.int64)


def window_days(windows: pd.Series) -> pd.Series:
    """The length in days of ISO 8601 windows (``P1M`` 30, ``2023-07/P1M`` 30,
    ``2023-07/2025-05`` from the first day of July 2023 to the last of May 2025); NaN
    where there is none."""
    text = windows.astype(object).where(windows.notna(), "").astype(str).str.upper()
    duration = text.str.extractall(_DURATION)
    if len(duration):
        n = duration[0].astype(int) * duration[1].map(NOMINAL_DAYS)
        nominal = n.groupby(level=0).sum().reindex(text.index)
    else:
        nominal = pd.Series(np.nan, index=text.index)
    parts = text.str.split("/", n=1, expand=True).reindex(columns=[0, 1]).astype(object)
    parts = parts.where(parts.notna(), "").astype(str)
    both = parts[0].str.match(_DATE) & parts[1].str.match(_DATE)
    start = pd.to_datetime(parts[0].where(both), errors="coerce", format="mixed")
    end_text = parts[1].where(both)
    end_first = pd.to_datetime(end_text, errors="coerce", format="mixed")
    precision = end_text.str.count("-")
    end_last = end_first + pd.to_timedelta(np.where(precision == 0, 365, np.where(
        precision == 1, end_first.dt.days_in_month.fillna(1) - 1, 0)), unit="D")  # fmt: skip
    interval = (end_last - start).dt.days
    return nominal.where(nominal.notna(), interval).astype(float)


def periods(dates: pd.Series, precisions: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The first and last day each date may stand for at its precision (``day``,
    ``month``, ``year``): a month's or year's first and last day."""
    d = pd.Series(pd.to_datetime(dates).to_numpy(), index=dates.index)
    year, month = precisions.eq("year").to_numpy(), precisions.eq("month").to_numpy()
    y0 = d.dt.to_period("Y").dt.start_time
    m0 = d.dt.to_period("M").dt.start_time
    first = d.where(~year, y0).where(~month, m0)
    last = d.where(~year, y0 + pd.offsets.YearEnd(0)).where(~month, m0 + pd.offsets.MonthEnd(0))
    return first.dt.normalize(), last.dt.normalize()


def _episode_starts(group: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """``hit`` where the previous row of the same group did not hit (rows in order)."""
    prev = np.r_[False, hit[:-1]] & np.r_[False, group[1:] == group[:-1]]
    return hit & ~prev


def level_moves(levels: pd.DataFrame, threshold_pct: float, window: int,
                direction: str = "up") -> pd.DataFrame:  # fmt: skip
    """Where a series moved more than ``threshold_pct`` % within ``window`` days.

    ``levels``: columns ``series``, ``first``, ``last``, ``value`` (> 0), ``qualifier``,
    any order. For each observation ``e`` the base is the lowest (``up``; highest for
    ``down``) earlier level ``b`` of the same series such that the move certainly
    happened within ``window`` days at the precision of both dates:
    ``last(e) - first(b) <= window`` and ``first(b) < first(e)`` (two monthly averages a
    month apart span up to 61 days, so they do not prove a move "within 30 days").
    Returns one row per episode start: the end and base row labels (``end``, ``base``)
    and ``change_pct`` = (e / b - 1) * 100.
    """
    empty = pd.DataFrame({"end": [], "base": [], "change_pct": []})
    if levels.empty:
        return empty
    frame = levels.assign(_f=_as_days(levels["first"]), _l=_as_days(levels["last"]))
    frame = frame.sort_values(["series", "_f", "_l"], kind="stable")
    group = frame["series"].to_numpy()
    first, last = frame["_f"].to_numpy(), frame["_l"].to_numpy()
    value = frame["value"].to_numpy(dtype=float)
    qual = frame["qualifier"].to_numpy()
    up = direction == "up"
    end_ok = qual != ("upper_bound" if up else "lower_bound")
    base_ok = qual != ("lower_bound" if up else "upper_bound")
    # candidate bases lie in a band of the sorted rows: same series, first day at least
    # last(e) - window and before first(e)
    code = pd.factorize(group)[0].astype(np.int64) * 10**8 + 10**7  # sorted like group
    composite = code + first
    lo = np.searchsorted(composite, code + last - window, side="left")
    hi = np.searchsorted(composite, composite, side="left")  # first(b) < first(e)
    width = np.maximum(hi - lo, 0)
    ends = np.repeat(np.arange(len(frame)), width)
    bases = np.repeat(lo, width) + (np.arange(width.sum()) - np.repeat(np.cumsum(width) - width,
                                                                        width))  # fmt: skip
    # the best base of each end: its candidates are one contiguous run of pairs
    sign = 1.0 if up else -1.0  # minimise sign * value
    cand = np.where(base_ok[bases], sign * value[bases], np.inf)
    has = np.flatnonzero(width > 0)
    seg_start = (np.cumsum(width) - width)[has]
    best_val = np.full(len(frame), np.inf)
    if len(has):
        best_val[has] = np.minimum.reduceat(cand, seg_start)
    is_best = cand == best_val[ends]
    first_best = np.unique(ends[is_best], return_index=True)
    best_base = np.full(len(frame), -1)
    best_base[first_best[0]] = bases[is_best][first_best[1]]
    valid = end_ok & np.isfinite(best_val)
    change_all = np.full(len(frame), np.nan)
    change_all[valid] = (value[valid] / (sign * best_val[valid]) - 1.0) * 100.0
    hit = (change_all > threshold_pct) if up else (change_all < -threshold_pct)
    starts = np.flatnonzero(_episode_starts(group, np.nan_to_num(hit, nan=0).astype(bool)))
    if not len(starts):
        return empty
    labels = frame.index.to_numpy()
    return pd.DataFrame({
        "end": labels[starts], "base": labels[best_base[starts]],
        "change_pct": change_all[starts],
    })  # fmt: skip


def stated_moves(changes: pd.DataFrame, threshold_pct: float, window: int | None,
                 direction: str = "up") -> pd.Series:  # fmt: skip
    """Which stated changes (columns ``value`` in %, ``qualifier``, ``window``) prove a
    move beyond ``threshold_pct`` within ``window`` days: a boolean Series.

    A lower bound ``> v`` proves at least ``v`` (so ``v >= threshold`` fires, as the
    source says more than ``v``); an exact or approximate ``v`` fires when it is beyond
    the threshold; an upper bound proves no rise (a lower bound no fall). A change
    without a window (one "against" a reference) never fires, unless ``window`` is None
    (no window asked for: stated ratios).
    """
    if changes.empty:
        return pd.Series(dtype=bool)
    value = changes["value"].astype(float)
    qual = changes["qualifier"]
    if direction == "up":
        beyond = (value > threshold_pct) | ((qual == "lower_bound") & (value >= threshold_pct))
        proves = qual != "upper_bound"
    else:
        beyond = (value < -threshold_pct) | ((qual == "upper_bound") & (value <= -threshold_pct))
        proves = qual != "lower_bound"
    if window is None:
        return beyond & proves
    return beyond & proves & (window_days(changes["window"]) <= window)


def crossings(group: pd.Series, values: pd.Series, threshold: float, above: bool) -> pd.Series:
    """Rows (in the given order) where ``values`` first goes above (below) ``threshold``
    after not being so in the previous row of the same group: a boolean Series."""
    hit = (values > threshold) if above else (values < threshold)
    return pd.Series(_episode_starts(group.to_numpy(), hit.fillna(False).to_numpy(dtype=bool)),
                     index=values.index)  # fmt: skip


def trade_drops(flows: pd.DataFrame, threshold_pct: float, years: tuple[int, int]
                ) -> pd.DataFrame:  # fmt: skip
    """Year-on-year falls of each reporter's exports beyond ``threshold_pct`` %.

    ``flows``: ``reporter``, ``year``, ``value``. Every reporter is counted in every year
    of ``years`` (first, last): a year without a flow is 0. Returns ``reporter``,
    ``year``, ``previous``, ``value``, ``change_pct`` of each drop (previous year > 0).
    """
    cols = ["reporter", "year", "previous", "value", "change_pct"]
    if flows.empty:
        return pd.DataFrame(columns=cols)
    total = flows.groupby(["reporter", "year"])["value"].sum()
    grid = pd.MultiIndex.from_product([total.index.levels[0], range(years[0], years[1] + 1)],
                                      names=["reporter", "year"])  # fmt: skip
    total = total.reindex(grid, fill_value=0.0)
    previous = total.groupby(level="reporter").shift(1)
    change = (total / previous - 1.0) * 100.0
    out = pd.DataFrame({"previous": previous, "value": total, "change_pct": change})
    out = out[(previous > 0) & (change < -threshold_pct)].reset_index()
    return out[cols]


def expiring(expiry_first: pd.Series, expiry_last: pd.Series, as_of: object,
             days: int) -> pd.Series:  # fmt: skip
    """Which expiry periods meet ``[as_of, as_of + days]`` (a boolean Series): an expiry
    known only to the month is "about to expire" as soon as the month may be the one."""
    start = pd.Timestamp(as_of)
    end = start + pd.Timedelta(days=days)
    first, last = pd.to_datetime(expiry_first), pd.to_datetime(expiry_last)
    return first.notna() & (first <= end) & (last >= start)
