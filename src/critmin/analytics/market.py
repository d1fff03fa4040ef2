"""Market analytics on price series: pure, vectorised, no database.

A series is a ``pandas.Series`` of prices indexed by date (``DatetimeIndex``, sorted,
one value a date), in one currency and unit. Every lookup "as of" a date takes the last
observation on or before it, and only if it is at most ``tolerance_days`` older: a
value is never carried further than that, so sparse series give gaps (NaN), not stale
numbers.

- :func:`align` pairs two series on the first one's dates (the **alignment rule**: the
  second series' value on the same date, or its last observation carried forward at most
  ``tolerance_days``; 0 = same date only);
- :func:`spread_ratio`: ``a - b`` and ``a / b`` on aligned dates;
- :func:`returns`: simple returns over a number of observations or of calendar days;
- :func:`rolling_volatility`: the standard deviation of log returns over a rolling
  window of observations (optionally annualised);
- :func:`drawdowns` and :func:`max_drawdown`: the fall from the running peak;
- :func:`event_study`: the change before and after each dated event, over chosen
  windows; an event known only to the month (or year) spans that whole period.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

DAY = np.timedelta64(1, "D")


def _clean(s: pd.Series) -> pd.Series:
    """``s`` with a sorted DatetimeIndex and without NaN; ValueError for repeated dates."""
    out = s.dropna().astype(float)
    out.index = pd.DatetimeIndex(out.index)
    out = out.sort_index()
    if out.index.has_duplicates:
        raise ValueError("a series has one value per date; found a date twice")
    return out


def asof(
    s: pd.Series, targets: Any, tolerance_days: float, after: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """For each target date, the date and value of the last observation on or before it,
    no older than ``tolerance_days`` (and strictly later than ``after``, where given):
    ``(dates, values)`` with NaT/NaN where there is none."""
    s = _clean(s)
    t = np.asarray(pd.DatetimeIndex(np.atleast_1d(targets)), dtype="datetime64[ns]")
    dates = s.index.to_numpy(dtype="datetime64[ns]")
    values = s.to_numpy()
    pos = np.searchsorted(dates, t, side="right") - 1
    ok = pos >= 0
    safe = np.where(ok, pos, 0)
    found = dates[safe] if len(dates) else np.full(t.shape, np.datetime64("NaT"), "datetime64[ns]")
    ok &= (t - found) <= np.timedelta64(int(tolerance_days * 86_400), "s")
    if after is not None:
        limit = np.asarray(pd.DatetimeIndex(np.atleast_1d(after)), dtype="datetime64[ns]")
        ok &= found > limit
    out_dates = np.where(ok, found, np.datetime64("NaT"))
    out_values = np.where(ok, values[safe] if len(values) else np.nan, np.nan)
    return out_dates, out_values


def align(a: pd.Series, b: pd.Series, tolerance_days: float = 0) -> pd.DataFrame:
    """``a`` and ``b`` on ``a``'s dates: columns ``a``, ``b`` and ``b_date`` (the date of
    the ``b`` observation used). Dates where ``b`` has no value within the tolerance are
    left out."""
    a = _clean(a)
    b_dates, b_values = asof(b, a.index, tolerance_days)
    frame = pd.DataFrame({"a": a.to_numpy(), "b": b_values, "b_date": b_dates}, index=a.index)
    return frame[~np.isnan(b_values)]


def spread_ratio(a: pd.Series, b: pd.Series, tolerance_days: float = 0) -> pd.DataFrame:
    """:func:`align` plus ``spread`` (a − b) and ``ratio`` (a / b; NaN where b is 0)."""
    frame = align(a, b, tolerance_days)
    frame["spread"] = frame["a"] - frame["b"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["ratio"] = np.where(frame["b"] != 0, frame["a"] / frame["b"], np.nan)
    return frame


def returns(s: pd.Series, window: int = 1, *, days: float | None = None,
            tolerance_days: float = 0) -> pd.Series:  # fmt: skip
    """Simple returns: over ``window`` observations, or, with ``days``, from the value as
    of ``days`` calendar days earlier (within ``tolerance_days``) to each date."""
    s = _clean(s)
    if days is None:
        if window < 1:
            raise ValueError("window must be at least 1 observation")
        return s / s.shift(window) - 1
    _, base = asof(s, s.index - pd.Timedelta(days=days), tolerance_days)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(base != 0, s.to_numpy() / base - 1, np.nan), index=s.index)


def rolling_volatility(
    s: pd.Series, window: int, periods_per_year: float | None = None
) -> pd.Series:
    """The sample standard deviation (ddof 1) of log returns between consecutive
    observations over the last ``window`` returns; times √``periods_per_year`` if given."""
    if window < 2:
        raise ValueError("window must be at least 2 returns")
    s = _clean(s)
    with np.errstate(divide="ignore", invalid="ignore"):
        logret = np.log(s / s.shift(1))
    vol = logret.rolling(window, min_periods=window).std(ddof=1)
    return vol * np.sqrt(periods_per_year) if periods_per_year else vol


def drawdowns(s: pd.Series) -> pd.DataFrame:
    """Columns ``value``, ``peak`` (the running maximum) and ``drawdown`` (value / peak − 1,
    0 at a new peak, −0.25 a quarter below it)."""
    s = _clean(s)
    peak = s.cummax()
    return pd.DataFrame({"value": s, "peak": peak, "drawdown": s / peak - 1})


def max_drawdown(s: pd.Series) -> dict[str, Any]:
    """The deepest drawdown: its size, the peak it fell from, the trough, and the first
    date the series regained the peak (None if it has not)."""
    frame = drawdowns(s)
    if frame.empty:
        return {"drawdown": None, "peak_date": None, "trough_date": None, "recovery_date": None}
    trough = frame["drawdown"].idxmin()
    peak_value = frame.at[trough, "peak"]
    before = frame.loc[:trough]
    peak_date = before.index[before["value"].to_numpy() == peak_value][-1]
    later = frame.loc[trough:]
    recovered = later.index[later["value"].to_numpy() >= peak_value]
    return {
        "drawdown": float(frame.at[trough, "drawdown"]),
        "peak_date": peak_date.date(),
        "trough_date": trough.date(),
        "recovery_date": recovered[0].date() if len(recovered) else None,
    }


def event_windows(dates: Sequence[Any], precisions: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The first and last day each event may stand for: the day itself, its whole month or
    its whole year, by its date's precision."""
    d = pd.DatetimeIndex(dates)
    p = np.asarray(precisions)
    month_start = d.to_period("M").start_time
    month_end = d.to_period("M").end_time.normalize()
    year_start = d.to_period("Y").start_time
    year_end = d.to_period("Y").end_time.normalize()
    start = np.where(p == "year", year_start, np.where(p == "month", month_start, d))
    end = np.where(p == "year", year_end, np.where(p == "month", month_end, d))
    return start.astype("datetime64[ns]"), end.astype("datetime64[ns]")


def event_study(
    s: pd.Series,
    dates: Sequence[Any],
    precisions: Sequence[str],
    windows: Sequence[int] = (30, 90),
    tolerance_days: float = 7,
) -> pd.DataFrame:
    """The change in ``s`` around each event, for each window of ``windows`` days.

    An event's window runs from ``start`` to ``end``: the day itself, or the whole month
    or year when its date is known only that precisely. The **base** is the value as of
    the day before ``start``; ``change_before`` runs from the value as of ``w`` days
    before that to the base (the trend going in); ``change_after`` from the base to the
    value as of ``w`` days after ``end``, taken only from an observation later than
    ``end`` (so nothing inside the event's own period counts as "after"). Every lookup
    is as of its date within ``tolerance_days``; NaN where there is no such value.
    One row per event and window, in the order given.
    """
    n, k = len(dates), len(windows)
    start, end = event_windows(dates, precisions)
    w = np.tile(np.asarray(windows, dtype="int64"), n) * DAY
    start_r, end_r = np.repeat(start, k), np.repeat(end, k)
    base_day = start_r - DAY
    base_date, base = asof(s, base_day, tolerance_days)
    pre_date, pre = asof(s, base_day - w, tolerance_days)
    post_date, post = asof(s, end_r + w, tolerance_days, after=end_r)
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.where(pre != 0, base / pre - 1, np.nan)
        after = np.where(base != 0, post / base - 1, np.nan)
    return pd.DataFrame({
        "event": np.repeat(np.arange(n), k),
        "window_days": np.tile(np.asarray(windows, dtype="int64"), n),
        "start": start_r, "end": end_r,
        "base_date": base_date, "base": base,
        "before_date": pre_date, "before": pre, "change_before": before,
        "after_date": post_date, "after": post, "change_after": after,
    })  # fmt: skip
