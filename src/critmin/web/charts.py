"""Plotly figure specifications (plain dicts) built from the dashboard services' data.

The browser draws them with the locally served Plotly.js; the JSON twins carry the
data these figures are made from.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
           "#F0E442", "#999999", "#882255"]  # fmt: skip
STATUS_COLOURS = dict(
    zip(
        ["announced", "feasibility", "permitting", "financed", "construction", "commissioning",
         "operating", "stalled", "cancelled", "closed"],  # fmt: skip
        ["#56B4E9", "#0072B2", "#CC79A7", "#E69F00", "#D55E00", "#F0E442", "#009E73",
         "#999999", "#882255", "#000000"],  # fmt: skip
        strict=True,
    )
)
Figure = dict[str, Any]


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "margin": {"l": 60, "r": 20, "t": 48, "b": 48},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "colorway": PALETTE,
        "hoverlabel": {"align": "left"},
        "legend": {"orientation": "h", "y": -0.18, "traceorder": "normal"},
        "height": 360,
    }
    layout.update(extra)
    return layout


def concentration_figure(conc: dict[str, Any], top: int = 10) -> Figure | None:
    """Horizontal bars: each country's share of world production (USGS)."""
    shares = conc.get("shares") or []
    if not shares:
        return None
    rows = [(s["name"], s["share"] * 100, s["value"]) for s in shares[:top]]
    rest = sum(s["share"] for s in shares[top:]) + (conc.get("other_share") or 0.0)
    if rest > 0:
        rows.append(("Other countries", rest * 100, None))
    unit = conc.get("unit", "")
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [r[0] for r in rows],
                "x": [round(r[1], 2) for r in rows],
                "text": [f"{r[1]:.1f} %" for r in rows],
                "textposition": "auto",
                "customdata": [r[2] for r in rows],
                "hovertemplate": "%{y}: %{x:.1f} %<br>%{customdata:,.0f} " + unit
                + "<extra></extra>",
                "marker": {"color": ["#D55E00" if r[0] == "China" else "#0072B2" for r in rows]},
            }
        ],
        "layout": _layout(
            f"Share of world {conc['measure']}, {conc['year']} (USGS)",
            xaxis={"title": {"text": "share of world total (%)"}, "rangemode": "tozero",
                   "gridcolor": "#e5e8eb"},  # fmt: skip
            yaxis={"autorange": "reversed", "automargin": True},
            height=max(260, 70 + 26 * len(rows)),
            showlegend=False,
        ),
    }


def price_figures(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line chart per unit of the price levels (changes and ratios go in a table)."""
    by_unit: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in series:
        points = [o for o in s["observations"] if o["kind"] == "level"]
        if points:
            by_unit[points[0]["unit"]].append({**s, "points": points})
    out = []
    for unit, items in by_unit.items():
        traces = [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{s['market']}" + (f" ({s['form']})" if s.get("form") else ""),
                "x": [o["date"] for o in s["points"]],
                "y": [o["value"] for o in s["points"]],
                "text": [o["label"] for o in s["points"]],
                "hovertemplate": f"%{{text}}: %{{y:,.2f}} {unit}<extra>%{{fullData.name}}</extra>",
            }
            for s in items
        ]
        out.append(
            {
                "unit": unit,
                "figure": {
                    "data": traces,
                    "layout": _layout(
                        f"Prices ({unit})",
                        xaxis={"type": "date", "gridcolor": "#e5e8eb"},
                        yaxis={"title": {"text": unit}, "rangemode": "tozero",
                               "gridcolor": "#e5e8eb"},  # fmt: skip
                        legend={"orientation": "h", "y": -0.25, "traceorder": "normal"},
                        height=380,
                    ),
                },
            }
        )
    return out


def pipeline_figure(pipe: dict[str, Any]) -> Figure | None:
    """Stacked bars of nameplate capacity by start year and status (counts if no capacity)."""
    if not pipe["by_year"]:
        return None
    use_capacity = any(r["capacity_tpa"] for r in pipe["by_year"])
    field = "capacity_tpa" if use_capacity else "projects"
    years = sorted({r["year"] for r in pipe["by_year"] if r["year"] is not None})
    labels = [str(y) for y in years] + (
        ["no start year"] if any(r["year"] is None for r in pipe["by_year"]) else []
    )
    traces = []
    for status in [s["status"] for s in pipe["by_status"]]:
        values = {
            (str(r["year"]) if r["year"] is not None else "no start year"): r[field]
            for r in pipe["by_year"]
            if r["status"] == status
        }
        traces.append(
            {
                "type": "bar",
                "name": status,
                "x": labels,
                "y": [values.get(label, 0) for label in labels],
                "marker": {"color": STATUS_COLOURS.get(status, "#999999")},
                "hovertemplate": f"{status}, %{{x}}: %{{y:,.0f}}<extra></extra>",
            }
        )
    title = (
        "Project pipeline: nameplate capacity (t/yr) by start year and status"
        if use_capacity
        else "Project pipeline: projects by start year and status (no capacities given)"
    )
    return {
        "data": traces,
        "layout": _layout(
            title,
            barmode="stack",
            xaxis={"type": "category"},
            yaxis={"title": {"text": "t/yr" if use_capacity else "projects"},
                   "gridcolor": "#e5e8eb", "rangemode": "tozero"},  # fmt: skip
        ),
    }


def _band(x: list[int], low: list[Any], high: list[Any], name: str, colour: str) -> list[Figure]:
    return [
        {"type": "scatter", "x": x, "y": low, "mode": "lines", "line": {"width": 0},
         "showlegend": False, "hoverinfo": "skip", "name": f"{name} low"},
        {"type": "scatter", "x": x, "y": high, "mode": "lines", "line": {"width": 0},
         "fill": "tonexty", "fillcolor": colour, "name": name, "hoverinfo": "skip"},
    ]  # fmt: skip


def outlook_figures(report: dict[str, Any]) -> tuple[Figure, Figure] | None:
    """The non-China capacity band (P10-P90 with P50 and mean) and the non-China share."""
    years = report.get("years") or []
    if not years:
        return None
    x = [y["year"] for y in years]

    def col(name: str, scale: float = 1.0) -> list[Any]:
        return [None if y[name] is None else y[name] * scale for y in years]

    capacity = {
        "data": [
            *_band(x, col("p10"), col("p90"), "P10–P90", "rgba(0,114,178,0.22)"),
            {"type": "scatter", "x": x, "y": col("p50"), "name": "P50 (median)",
             "mode": "lines+markers", "line": {"color": "#0072B2", "width": 2.5}},
            {"type": "scatter", "x": x, "y": col("expected"), "name": "mean",
             "mode": "lines", "line": {"color": "#E69F00", "dash": "dash"}},
            {"type": "scatter", "x": x, "y": col("baseline_non_china"), "name": "existing (USGS)",
             "mode": "lines", "line": {"color": "#555555", "dash": "dot"}},
        ],  # fmt: skip
        "layout": _layout(
            "Non-China capacity outlook (t/yr)",
            xaxis={"dtick": 1, "gridcolor": "#e5e8eb"},
            yaxis={"title": {"text": "t/yr"}, "rangemode": "tozero", "gridcolor": "#e5e8eb"},
            hovermode="x unified",
        ),
    }
    share = {
        "data": [
            *_band(x, col("non_china_share_p10", 100), col("non_china_share_p90", 100),
                   "P10–P90", "rgba(0,158,115,0.22)"),  # fmt: skip
            {"type": "scatter", "x": x, "y": col("non_china_share", 100), "name": "mean share",
             "mode": "lines+markers", "line": {"color": "#009E73", "width": 2.5}},
        ],  # fmt: skip
        "layout": _layout(
            "Non-China share of world capacity (%)",
            xaxis={"dtick": 1, "gridcolor": "#e5e8eb"},
            yaxis={"title": {"text": "%"}, "rangemode": "tozero", "gridcolor": "#e5e8eb"},
            hovermode="x unified",
        ),
    }
    return capacity, share


def measures_figure(measures: list[dict[str, Any]], today: dt.date | None = None) -> Figure | None:
    """A timeline: each dated measure from its first date to expiry (or today if open)."""
    dated = [m for m in measures if m["start"]]
    if not dated:
        return None
    today = today or dt.date.today()
    labels = [m["title"] if len(m["title"]) <= 48 else m["title"][:46] + "…" for m in dated]
    segments: dict[str, dict[str, list[Any]]] = defaultdict(lambda: {"x": [], "y": [], "t": []})
    for m, label in zip(dated, labels, strict=True):
        end = m["expiry"] or max(today.isoformat(), m["start"])
        seg = segments[m["measure_type"]]
        seg["x"] += [m["start"], end, None]
        seg["y"] += [label, label, None]
        seg["t"] += [m["title"]] * 2 + [None]
    traces: list[Figure] = [
        {"type": "scatter", "mode": "lines", "name": kind, "x": s["x"], "y": s["y"],
         "text": s["t"], "line": {"width": 9, "color": PALETTE[i % len(PALETTE)]},
         "hovertemplate": f"%{{text}}<br>{kind}<extra></extra>", "connectgaps": False}
        for i, (kind, s) in enumerate(sorted(segments.items()))
    ]  # fmt: skip
    for field, symbol, name in (("announced", "circle-open", "announced"),
                                ("effective", "diamond", "effective"),
                                ("expiry", "x", "expiry")):  # fmt: skip
        pts = [(m[field], label, m[f"{field}_label"]) for m, label in zip(dated, labels,
               strict=True) if m[field]]  # fmt: skip
        if pts:
            traces.append(
                {"type": "scatter", "mode": "markers", "name": name,
                 "x": [p[0] for p in pts], "y": [p[1] for p in pts], "text": [p[2] for p in pts],
                 "marker": {"symbol": symbol, "size": 11, "color": "#1b1f24",
                            "line": {"width": 1.5, "color": "#1b1f24"}},
                 "hovertemplate": f"{name} %{{text}}<extra>%{{y}}</extra>"}
            )  # fmt: skip
    return {
        "data": traces,
        "layout": _layout(
            "Export-control measures over time",
            xaxis={"type": "date", "gridcolor": "#e5e8eb"},
            yaxis={"type": "category", "autorange": "reversed", "automargin": True,
                   "categoryorder": "array", "categoryarray": labels},  # fmt: skip
            height=max(300, 110 + 30 * len(dated)),
            legend={"orientation": "h", "y": -0.12, "traceorder": "normal"},
            margin={"l": 20, "r": 20, "t": 48, "b": 40},
        ),
    }
