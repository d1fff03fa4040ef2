"""Trade analytics on flow frames (pure, vectorised).

A flow frame has ``exporter, importer, hs6, period, value_kusd`` and, for
declarations, ``reporter`` and ``flow`` (``X`` export, ``M`` import); ``quantity_t`` is
optional. ``period`` is an integer (a year, or ``year * 12 + month - 1`` for monthly
data).

* :func:`mirror_gaps`: what A declares exporting to B against what B declares
  importing from A. Exports are usually valued FOB and imports CIF (freight and
  insurance included), so imports typically exceed the mirror exports by a few percent
  even when both declarations are right; timing, re-exports, confidentiality and
  misclassification widen the gap.
* :func:`circumvention`: after a measure restricts origin A -> target C from a period,
  third countries B whose imports from A and exports to C both grow beyond their own
  pre-measure variability (see ``docs/trade.md`` for the method and its limits).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

KEYS = ["exporter", "importer", "hs6", "period"]
MIN_SD = 0.25
"""Floor on the pre-measure residual standard deviation (log units, about 28 %): a quiet
or empty history does not turn a small change into a large z-score."""


def mirror_gaps(flows: pd.DataFrame) -> pd.DataFrame:
    """Per exporter, importer, HS6 and period: ``exports_kusd`` (as the exporter reports),
    ``imports_kusd`` (as the importer reports), ``gap_kusd`` = imports - exports,
    ``gap_pct`` = gap / exports * 100 (NaN when exports are 0 or missing) and the same
    for quantities in metric tons. A side the other did not report is NaN."""
    declared = flows[flows["reporter"].notna()]
    has_q = "quantity_t" in declared.columns
    cols = ["value_kusd", "quantity_t"] if has_q else ["value_kusd"]
    x = declared[(declared["flow"] == "X") & (declared["reporter"] == declared["exporter"])]
    m = declared[(declared["flow"] == "M") & (declared["reporter"] == declared["importer"])]
    xs = x.groupby(KEYS, as_index=False)[cols].sum(min_count=1)
    ms = m.groupby(KEYS, as_index=False)[cols].sum(min_count=1)
    out = xs.merge(ms, on=KEYS, how="outer", suffixes=("_x", "_m"))
    result = out[KEYS].copy()
    result["exports_kusd"] = out["value_kusd_x"]
    result["imports_kusd"] = out["value_kusd_m"]
    result["gap_kusd"] = result["imports_kusd"] - result["exports_kusd"]
    base = result["exports_kusd"].where(result["exports_kusd"] > 0)
    result["gap_pct"] = result["gap_kusd"] / base * 100
    if has_q:
        result["exports_t"] = out["quantity_t_x"]
        result["imports_t"] = out["quantity_t_m"]
        result["gap_t"] = result["imports_t"] - result["exports_t"]
    return result.sort_values(KEYS, ignore_index=True)


def _leg(flows: pd.DataFrame, mask: pd.Series, partner: str,
         periods: np.ndarray) -> pd.DataFrame:  # fmt: skip
    """Values by third country (rows) and period (columns), 0 where no flow is recorded."""
    table = flows[mask].pivot_table(index=partner, columns="period", values="value_kusd",
                                    aggfunc="sum", fill_value=0.0)  # fmt: skip
    return table.reindex(columns=periods, fill_value=0.0)


def _zscores(table: pd.DataFrame, pre: np.ndarray, post: np.ndarray, periods: np.ndarray,
             min_sd: float) -> pd.DataFrame:  # fmt: skip
    """How far the post-measure level departs from the pre-measure trend.

    On log(1 + value): a straight line fitted by least squares to the periods before; s
    its residual standard deviation (floored at ``min_sd``); z = mean(after - the line
    carried forward) / s. Dividing by s, not by s/sqrt(periods after), keeps the score
    conservative when shocks persist from one period to the next.
    """
    raw = table.to_numpy(dtype=float)
    logs = np.log1p(raw)
    t_pre, t_post = periods[pre].astype(float), periods[post].astype(float)
    centre = t_pre.mean()
    tc = t_pre - centre
    before = logs[:, pre]
    mean = before.mean(axis=1)
    slope = (before - mean[:, None]) @ tc / (tc @ tc)
    resid = before - mean[:, None] - slope[:, None] * tc[None, :]
    sd = np.sqrt((resid**2).sum(axis=1) / (len(t_pre) - 2))
    sd = np.maximum(sd, min_sd)
    forecast = mean[:, None] + slope[:, None] * (t_post - centre)[None, :]
    excess = (logs[:, post] - forecast).mean(axis=1)
    return pd.DataFrame({
        "pre_kusd": raw[:, pre][:, -1], "post_kusd": raw[:, post].mean(axis=1),
        "excess_log": excess, "z": excess / sd,
    }, index=table.index)  # fmt: skip


def circumvention(
    flows: pd.DataFrame,
    *,
    origin: str,
    target: str,
    hs_codes: Sequence[str],
    start: int,
    threshold: float = 3.0,
    min_pre: int = 4,
    min_post_kusd: float = 0.0,
    min_sd: float = MIN_SD,
) -> pd.DataFrame:
    """Third countries whose imports from ``origin`` and exports to ``target`` (of
    ``hs_codes``) both rose beyond their own history once the measure applied.

    Periods before ``start`` are the history (at least ``min_pre`` >= 3 of them);
    periods from ``start`` on are "after". For each leg, z is how far the level after
    stands above the history's own log-linear trend, in residual standard deviations
    (floored at ``min_sd``; see :func:`_zscores`). A country is ``flagged`` when both z
    >= ``threshold`` and both legs average at least ``min_post_kusd`` after. Rows: one
    per third country trading on either leg, sorted by the weaker z (``score``),
    descending. ValueError when the history is too short.
    """
    data = flows[flows["hs6"].isin(list(hs_codes))]
    periods = np.sort(data["period"].unique())
    pre = periods[periods < start]
    post = periods[periods >= start]
    if len(pre) < max(min_pre, 3) or len(post) == 0:
        raise ValueError(f"need at least {max(min_pre, 3)} periods before {start} and one from "
                         f"it on; "
                         f"the data have {len(pre)} before and {len(post)} after")
    ends = [origin, target]
    leg_in = _leg(data, (data["exporter"] == origin) & ~data["importer"].isin(ends),
                  "importer", periods)  # fmt: skip
    leg_out = _leg(data, (data["importer"] == target) & ~data["exporter"].isin(ends),
                   "exporter", periods)  # fmt: skip
    countries = leg_in.index.union(leg_out.index)
    leg_in = leg_in.reindex(countries, fill_value=0.0)
    leg_out = leg_out.reindex(countries, fill_value=0.0)
    pi, po = np.isin(periods, pre), np.isin(periods, post)
    a = _zscores(leg_in, pi, po, periods, min_sd).add_prefix("in_")
    b = _zscores(leg_out, pi, po, periods, min_sd).add_prefix("out_")
    out = a.join(b)
    out["score"] = np.minimum(out["in_z"], out["out_z"])
    big = (out["in_post_kusd"] >= min_post_kusd) & (out["out_post_kusd"] >= min_post_kusd)
    out["flagged"] = (out["score"] >= threshold) & big
    out.index.name = "country"
    return out.reset_index().sort_values(["score", "country"], ascending=[False, True],
                                         ignore_index=True)  # fmt: skip


def direct_change(flows: pd.DataFrame, *, origin: str, target: str, hs_codes: Sequence[str],
                  start: int) -> dict[str, float]:  # fmt: skip
    """Mean yearly (per-period) value origin -> target before and from ``start`` (kUSD)."""
    data = flows[flows["hs6"].isin(list(hs_codes)) & (flows["exporter"] == origin)
                 & (flows["importer"] == target)]  # fmt: skip
    per = data.groupby("period")["value_kusd"].sum()
    periods = np.sort(flows["period"].unique())
    per = per.reindex(periods, fill_value=0.0)
    before, after = per[per.index < start], per[per.index >= start]
    return {"before_kusd": float(before.mean()) if len(before) else float("nan"),
            "after_kusd": float(after.mean()) if len(after) else float("nan")}
