"""The scenario page's charts: GDP loss by industry as bars with the P5-P95 band as
error bars, and the restriction-level sweep as a curve with its band. Losses are in
billion USD (2017 economy); the hover text gives the exact dollar figures."""

from __future__ import annotations

from typing import Any

from critmin.i18n import _
from critmin.web.charts import PALETTE, Figure, _band, _layout, wrap

BILLION = 1.0e9


def _usd(value: float) -> str:
    """USD with a magnitude word: 1.23 billion USD, 45.6 million USD."""
    if abs(value) >= BILLION:
        return _("%(n)s billion USD") % {"n": f"{value / BILLION:,.2f}"}
    return _("%(n)s million USD") % {"n": f"{value / 1e6:,.1f}"}


def industry_figure(result: dict[str, Any]) -> Figure | None:
    """One bar per industry with a GDP loss: central (median) height, error bars from
    the P5 to the P95 loss; None when no industry loses anything."""
    rows = result["by_industry"]
    if not rows:
        return None
    central = [r["gdp_loss_usd"] / BILLION for r in rows]
    low = [r["gdp_loss_low_usd"] / BILLION for r in rows]
    high = [r["gdp_loss_high_usd"] / BILLION for r in rows]
    text = [f"{_('median')} {_usd(r['gdp_loss_usd'])}<br>P5–P95 {_usd(r['gdp_loss_low_usd'])} – "
            f"{_usd(r['gdp_loss_high_usd'])}" for r in rows]  # fmt: skip
    trace = {"type": "bar", "name": _("GDP loss (median, P5–P95)"),
             "x": [wrap(r["industry"], 28) for r in rows], "y": central,
             "customdata": [r["industry"] for r in rows], "text": text,
             "textposition": "none", "marker": {"color": PALETTE[3]},
             "error_y": {"type": "data", "symmetric": False,
                         "array": [h - c for h, c in zip(high, central, strict=True)],
                         "arrayminus": [c - lo for c, lo in zip(central, low, strict=True)],
                         "color": "#1b1f24", "thickness": 1.5, "width": 8},
             "hovertemplate": "%{customdata}<br>%{text}<extra></extra>"}  # fmt: skip
    return {
        "data": [trace],
        "layout": _layout(
            _("US GDP loss by industry at restriction level %(level)s (median; error bars P5–P95)")
            % {"level": f"{result['level']:g}"},
            showlegend=False,
            margin={"b": 90},
            yaxis={"title": {"text": _("GDP loss, billion USD (2017)")}, "rangemode": "tozero"},
        ),
    }


def sweep_figure(results: list[dict[str, Any]]) -> Figure:
    """GDP loss against the restriction level: the P5-P95 band and the median line."""
    levels = [r["level"] for r in results]
    loss = {k: [r["gdp_loss_usd"][k] / BILLION for r in results]
            for k in ("central", "low", "high")}  # fmt: skip
    band = _band(levels, loss["low"], loss["high"], "P5–P95", "rgba(213, 94, 0, 0.18)")
    line = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": _("median"),
        "x": levels,
        "y": loss["central"],
        "line": {"color": PALETTE[3]},
        "hovertemplate": _("level %(x)s: %(y)s billion USD") % {"x": "%{x:.2f}", "y": "%{y:,.2f}"}
        + "<extra>"
        + _("median")
        + "</extra>",
    }
    return {
        "data": [*band, line],
        "layout": _layout(
            _("US GDP loss against the restriction level (median and P5–P95)"),
            xaxis={
                "title": {"text": _("Restriction level (share of net exports withheld)")},
                "range": [-0.02, 1.02],
                "dtick": 0.25,
            },
            yaxis={"title": {"text": _("GDP loss, billion USD (2017)")}, "rangemode": "tozero"},
        ),
    }
