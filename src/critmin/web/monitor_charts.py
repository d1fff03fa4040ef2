"""The monitor's two-market chart: both price levels in one currency and unit, the
spread and the ratio beneath on a shared time axis, and every dated measure marked at the
precision of its date (a line for a day, a band for a month or a year)."""

from __future__ import annotations

from typing import Any

from critmin.i18n import N_, _, display
from critmin.web.charts import PALETTE, Figure, _layout, _period, _spaced, date_axis, wrap

MEASURE_FIELDS = (("announced", N_("announced")), ("effective", N_("effective")),
                  ("expiry", N_("expires")))  # fmt: skip


def _precision(m: dict[str, Any], field: str) -> str:
    """A date's own precision where the record gives one, else the measure's."""
    return m.get(f"{field}_precision") or m.get("date_precision") or "day"


def measure_marks(measures: list[dict[str, Any]]) -> tuple[list[Figure], list[Figure]]:
    """Shapes spanning all panels and a hover trace: one mark per dated event of a
    measure; month- or year-precision dates are shaded over the whole period."""
    shapes: list[Figure] = []
    xs: list[str] = []
    texts: list[str] = []
    for i, m in enumerate(measures):
        colour = PALETTE[i % len(PALETTE)]
        for field, verb in MEASURE_FIELDS:
            if not m.get(field):
                continue
            precision = _precision(m, field)
            first, last = _period(m[field], precision)
            when = display.date(m.get(f"{field}_label") or m[field])
            derived = (
                _spaced(_("(derived)")) if field == "expiry" and m.get("expiry_derived") else ""
            )
            if precision == "day":
                shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": first,
                               "x1": first, "y0": 0, "y1": 1,
                               "line": {"color": colour, "width": 1.5, "dash": "dot"}})  # fmt: skip
            else:
                shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": first,
                               "x1": last, "y0": 0, "y1": 1, "line": {"width": 0},
                               "fillcolor": colour, "opacity": 0.12})  # fmt: skip
            xs.append(first)
            known = _("(known to the %(precision)s)") % {
                "precision": display.label(precision).lower()
            }
            texts.append(
                f"{wrap(m['title'])}<br>{_(verb)} {when}{derived}"
                + ("" if precision == "day" else _spaced(known))
            )
    hover = [{"type": "scatter", "mode": "markers", "name": _("export-control measures"),
              "x": xs, "y": [1.0] * len(xs), "yaxis": "y4", "text": texts,
              "marker": {"symbol": "triangle-down", "size": 10, "color": "#1b1f24"},
              "hovertemplate": "%{text}<extra></extra>"}] if xs else []  # fmt: skip
    return shapes, hover


def monitor_figure(data: dict[str, Any]) -> Figure | None:
    """Levels of both markets (top), spread (middle) and ratio (bottom), measures marked."""
    pair = data.get("pair")
    if not pair or not (pair["a"]["levels"] or pair["b"]["levels"]):
        return None
    unit = pair["unit"]
    traces: list[Figure] = []
    for colour, side in zip(PALETTE, ("a", "b"), strict=False):
        s = pair[side]
        traces.append({
            "type": "scatter", "mode": "lines+markers", "name": s["market"],
            "x": [p["date"] for p in s["levels"]], "y": [p["value"] for p in s["levels"]],
            "text": [display.date(p["date_label"]) for p in s["levels"]],
            "line": {"color": colour},
            "hovertemplate": f"%{{text}}: %{{y:,.2f}} {unit}<extra>%{{fullData.name}}</extra>",
        })  # fmt: skip
    rows = [r for r in pair["rows"] if r["spread"] is not None]
    names = f"{pair['a']['market']} − {pair['b']['market']}"
    traces.append({"type": "scatter", "mode": "lines+markers",
                   "name": _("spread (%(names)s)") % {"names": names},
                   "x": [r["date"] for r in rows], "y": [r["spread"] for r in rows],
                   "yaxis": "y2", "line": {"color": PALETTE[2]},
                   "hovertemplate": f"%{{x}}: %{{y:,.2f}} {unit}<extra>{_('spread')}</extra>",
                   })  # fmt: skip
    ratios = [r for r in pair["rows"] if r["ratio"] is not None]
    traces.append({"type": "scatter", "mode": "lines+markers",
                   "name": _("ratio (%(a)s ÷ %(b)s)") % {"a": pair["a"]["market"],
                                                          "b": pair["b"]["market"]},
                   "x": [r["date"] for r in ratios], "y": [r["ratio"] for r in ratios],
                   "yaxis": "y3", "line": {"color": PALETTE[3]},
                   "hovertemplate": "%{x}: %{y:.2f}×<extra>" + _("ratio") + "</extra>",
                   })  # fmt: skip
    shapes, hover = measure_marks([m for m in data.get("measures", []) if m.get("start")])
    grid = {"gridcolor": "#e5e8eb"}
    empty = [] if rows else [
        {"text": _("No aligned dates: %(b)s has no value on or up to %(days)s days before any "
                   "of %(a)s's dates") % {"a": pair["a"]["market"], "b": pair["b"]["market"],
                                          "days": pair["tolerance_days"]},
         "xref": "paper", "yref": f"y{axis} domain", "x": 0.5, "y": 0.5, "showarrow": False,
         "font": {"color": "#57606a"}}
        for axis in (2, 3)
    ]  # fmt: skip
    return {
        "data": traces + hover,
        "layout": _layout(
            _("%(a)s and %(b)s in %(unit)s")
            % {"a": pair["a"]["market"], "b": pair["b"]["market"], "unit": unit},
            xaxis={**date_axis(), "anchor": "y3", **grid},
            yaxis={"domain": [0.5, 0.97], "title": {"text": unit}, "rangemode": "tozero", **grid},
            yaxis2={"domain": [0.27, 0.46], "title": {"text": f"{_('spread')}<br>{unit}"}, **grid},
            yaxis3={"domain": [0.0, 0.23], "title": {"text": _("ratio") + " ×"}, **grid},
            yaxis4={
                "domain": [0.97, 1.0],
                "visible": False,
                "range": [0, 1.5],
                "fixedrange": True,
            },  # fmt: skip
            shapes=shapes,
            annotations=empty,
            height=620,
            hovermode="closest",
            legend={"orientation": "h", "y": -0.1, "traceorder": "normal"},
        ),
    }
