"""Plotly figure specifications (plain dicts) built from the dashboard services' data.

The browser draws them with the locally served Plotly.js; the JSON twins carry the
data these figures are made from.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from critmin import i18n
from critmin.i18n import N_, _, display

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
           "#F0E442", "#999999", "#882255"]  # fmt: skip
STATUS_COLOURS = dict(
    zip(
        [
            "announced",
            "feasibility",
            "permitting",
            "financed",
            "construction",
            "commissioning",
            "operating",
            "stalled",
            "cancelled",
            "closed",
        ],  # fmt: skip
        [
            "#56B4E9",
            "#0072B2",
            "#CC79A7",
            "#E69F00",
            "#D55E00",
            "#F0E442",
            "#009E73",
            "#999999",
            "#882255",
            "#000000",
        ],  # fmt: skip
        strict=True,
    )
)
Figure = dict[str, Any]


TITLE_TOP = 34
"""Pixels between the top of a chart and its title: the Plotly toolbar (mode bar) sits in
that strip, at the top right, so it can never cover the title."""


def date_axis() -> dict[str, Any]:
    """A date axis; in Chinese its ticks read 2024年7月 (Plotly's own are English)."""
    return {"type": "date", **({"tickformat": "%Y年%-m月"} if i18n.current() == "zh" else {})}


def _spaced(text: str) -> str:
    """``text`` after a word: a space before it, none before a full-width bracket."""
    return text if text.startswith("（") else " " + text


def wrap(text: str, width: int = 44) -> str:
    """``text`` broken into lines of at most ``width`` characters with ``<br>`` (whole words;
    Plotly does not wrap labels or titles itself and would cut them)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    text = wrap(title, 70)
    lines = text.count("<br>") + 1
    layout: dict[str, Any] = {
        "title": {"text": text, "x": 0, "xanchor": "left", "xref": "container",
                  "y": 1, "yanchor": "top", "yref": "container",
                  "pad": {"t": TITLE_TOP, "l": 8}, "font": {"size": 15}},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "margin": {"l": 60, "r": 20, "t": TITLE_TOP + 20 * lines + 16, "b": 48},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "colorway": PALETTE,
        "hoverlabel": {"align": "left"},
        "legend": {"orientation": "h", "y": -0.18, "traceorder": "normal"},
        "height": 360,
    }  # fmt: skip
    margin = extra.pop("margin", None)
    layout.update(extra)
    if margin:
        layout["margin"] = {**layout["margin"], **{k: v for k, v in margin.items() if k != "t"}}
    return layout


def concentration_figure(conc: dict[str, Any], top: int = 10) -> Figure | None:
    """Horizontal bars: each country's share of world production (USGS), then "Other
    countries" and the unattributed rest; upper-bound shares say so."""
    rows = conc.get("rows") or []
    if not rows:
        return None
    countries = [r for r in rows if r["country"]]
    rest = [r for r in rows if not r["country"]]
    shown = countries[:top]
    extra = sum(r["share"] for r in countries[top:])
    bars = [(display.country(r["country"]), r["share"] * 100, r["value"], r["bound"],
             r["country"]) for r in shown]  # fmt: skip
    if extra > 0:
        more = _("%(n)s more countries") % {"n": len(countries) - top}
        bars.append((more, extra * 100, None, None, None))
    bars += [(display.text(r["name"].split(" (")[0]), r["share"] * 100, r["value"], r["bound"],
              r["name"]) for r in rest]  # fmt: skip
    mark = {"upper": "≤ ", "lower": "≥ ", "unknown": "≈ "}
    unit = conc.get("unit", "")
    bound = _(" — shares are upper bounds") if conc.get("world_lower_bound") else ""
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [b[0] for b in bars],
                "x": [round(b[1], 2) for b in bars],
                "text": [f"{mark.get(b[3] or '', '')}{b[1]:.1f} %" for b in bars],
                "textposition": "auto",
                "customdata": [b[2] for b in bars],
                "hovertemplate": "%{y}: %{text}<br>%{customdata:,.0f} " + unit + "<extra></extra>",
                "marker": {
                    "color": [
                        "#D55E00"
                        if b[4] == "CHN"
                        else "#999999"
                        if str(b[4]).startswith("Unattributed")
                        else "#0072B2"
                        for b in bars
                    ]
                },
            }
        ],  # fmt: skip
        "layout": _layout(
            _("Share of world %(measure)s, %(year)s (USGS)")
            % {"measure": _(conc["measure"]), "year": conc["year"]}
            + bound,
            xaxis={
                "title": {"text": _("share of world total (%)")},
                "rangemode": "tozero",
                "gridcolor": "#e5e8eb",
            },  # fmt: skip
            yaxis={"autorange": "reversed", "automargin": True},
            height=max(260, 90 + 26 * len(bars)),
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
                "name": s.get("label") or s["market"],
                "x": [o["date"] for o in s["points"]],
                "y": [o["value"] for o in s["points"]],
                "text": [display.date(o["label"]) for o in s["points"]],
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
                        _("Prices (%(unit)s)") % {"unit": unit},
                        xaxis={**date_axis(), "gridcolor": "#e5e8eb"},
                        yaxis={
                            "title": {"text": unit},
                            "rangemode": "tozero",
                            "gridcolor": "#e5e8eb",
                        },  # fmt: skip
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
        [_("no start year")] if any(r["year"] is None for r in pipe["by_year"]) else []
    )
    traces = []
    for status in [s["status"] for s in pipe["by_status"]]:
        values = {
            (str(r["year"]) if r["year"] is not None else _("no start year")): r[field]
            for r in pipe["by_year"]
            if r["status"] == status
        }
        traces.append(
            {
                "type": "bar",
                "name": display.label(status),
                "x": labels,
                "y": [values.get(label, 0) for label in labels],
                "marker": {"color": STATUS_COLOURS.get(status, "#999999")},
                "hovertemplate": f"{display.label(status)}, %{{x}}: %{{y:,.0f}}<extra></extra>",
            }
        )
    title = (
        _("Project pipeline: nameplate capacity (t/yr) by start year and status")
        if use_capacity
        else _("Project pipeline: projects by start year and status (no capacities given)")
    )
    return {
        "data": traces,
        "layout": _layout(
            title,
            barmode="stack",
            xaxis={"type": "category"},
            yaxis={
                "title": {"text": "t/yr" if use_capacity else _("projects")},
                "gridcolor": "#e5e8eb",
                "rangemode": "tozero",
            },  # fmt: skip
        ),
    }


def _band(x: list[int], low: list[Any], high: list[Any], name: str, colour: str) -> list[Figure]:
    return [
        {"type": "scatter", "x": x, "y": low, "mode": "lines", "line": {"width": 0},
         "showlegend": False, "hoverinfo": "skip", "name": _("%(name)s low") % {"name": name}},
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
            {
                "type": "scatter",
                "x": x,
                "y": col("p50"),
                "name": _("P50 (median)"),
                "mode": "lines+markers",
                "line": {"color": "#0072B2", "width": 2.5},
            },
            {
                "type": "scatter",
                "x": x,
                "y": col("expected"),
                "name": _("mean"),
                "mode": "lines+markers",
                "line": {"color": "#E69F00", "dash": "dash"},
                "marker": {
                    "size": [9 if y.get("mean_outside_band") else 0 for y in years],
                    "symbol": "star",
                },
                "text": [
                    _("mean outside P10–P90 (skewed: few lumpy projects)")
                    if y.get("mean_outside_band")
                    else ""
                    for y in years
                ],
            },
            {
                "type": "scatter",
                "x": x,
                "y": col("baseline_non_china"),
                "name": _("existing (USGS)"),
                "mode": "lines",
                "line": {"color": "#555555", "dash": "dot"},
            },
        ],  # fmt: skip
        "layout": _layout(
            _("Non-China capacity outlook (t/yr)"),
            xaxis={"dtick": 1, "gridcolor": "#e5e8eb"},
            yaxis={"title": {"text": "t/yr"}, "rangemode": "tozero", "gridcolor": "#e5e8eb"},
            hovermode="x unified",
        ),
    }
    share = {
        "data": [
            *_band(
                x,
                col("non_china_share_p10", 100),
                col("non_china_share_p90", 100),
                "P10–P90",
                "rgba(0,158,115,0.22)",
            ),  # fmt: skip
            {
                "type": "scatter",
                "x": x,
                "y": col("non_china_share", 100),
                "name": _("mean share"),
                "mode": "lines+markers",
                "line": {"color": "#009E73", "width": 2.5},
            },
        ],  # fmt: skip
        "layout": _layout(
            _("Non-China share of world capacity (%)"),
            xaxis={"dtick": 1, "gridcolor": "#e5e8eb"},
            yaxis={"title": {"text": "%"}, "rangemode": "tozero", "gridcolor": "#e5e8eb"},
            hovermode="x unified",
        ),
    }
    return capacity, share


def _period(value: str, precision: str) -> tuple[str, str]:
    """The first and last day (ISO) a date of this precision stands for."""
    day = dt.date.fromisoformat(value)
    if precision == "year":
        return f"{day.year}-01-01", f"{day.year}-12-31"
    if precision == "month":
        nxt = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return day.replace(day=1).isoformat(), (nxt - dt.timedelta(days=1)).isoformat()
    return value, value


STATUS_NOTE = {"expired": N_("expired"), "ending": N_("ending"), "upcoming": N_("not yet in force")}


def _precision_of(m: dict[str, Any], field: str) -> str:
    """The precision of one of a measure's dates (its own, else the record's)."""
    return m.get(f"{field}_precision") or m.get("date_precision") or "day"


def measures_figure(measures: list[dict[str, Any]], today: dt.date | None = None) -> Figure | None:
    """A timeline: each dated measure from its first date to expiry (or today if open).

    Labels are whole titles (wrapped, never cut), with the status where it is not "in
    force". Dates known to the day are markers; dates known only to the month or year
    are drawn as a band over that month or year. Undated measures cannot be placed:
    the page lists them under the chart.
    """
    dated = [m for m in measures if m["start"]]
    if not dated:
        return None
    today = today or dt.date.today()
    labels = []
    for m in dated:
        note = STATUS_NOTE.get(m.get("status", "")) or (
            N_("suspended") if m.get("state") == "suspended" else None
        )
        note = _(note) if note else None
        derived = _spaced(_("(derived expiry)")) if note and m.get("expiry_derived") else ""
        labels.append(wrap(m["title"]) + (f"<br><i>{note}{derived}</i>" if note else ""))
    segments: dict[str, dict[str, list[Any]]] = defaultdict(lambda: {"x": [], "y": [], "t": []})
    for m, lab in zip(dated, labels, strict=True):
        first = next(f for f in ("announced", "effective", "expiry") if m[f] == m["start"])
        start = _period(m["start"], _precision_of(m, first))[0]
        end = (_period(m["expiry"], _precision_of(m, "expiry"))[1] if m["expiry"]
               else max(today.isoformat(), start))  # fmt: skip
        seg = segments[display.label(m["measure_type"])]
        seg["x"] += [start, end, None]
        seg["y"] += [lab, lab, None]
        status = m.get("status_label", "") if i18n.current() == "en" else display.label(m["status"])
        seg["t"] += [f"{m['title']}<br>{status}"] * 2 + [None]
    traces: list[Figure] = [
        {"type": "scatter", "mode": "lines", "name": kind, "x": s["x"], "y": s["y"],
         "text": s["t"], "line": {"width": 9, "color": PALETTE[i % len(PALETTE)]},
         "hovertemplate": f"%{{text}}<br>{kind}<extra></extra>", "connectgaps": False}
        for i, (kind, s) in enumerate(sorted(segments.items()))
    ]  # fmt: skip
    for field, symbol, name in (("announced", "circle-open", _("announced")),
                                ("effective", "diamond", _("effective")),
                                ("expiry", "x", _("expiry"))):  # fmt: skip
        exact = [(m, lab) for m, lab in zip(dated, labels, strict=True)
                 if m[field] and _precision_of(m, field) == "day"]  # fmt: skip
        if exact:
            traces.append(
                {"type": "scatter", "mode": "markers", "name": name,
                 "x": [m[field] for m, _lab in exact], "y": [lab for _m, lab in exact],
                 "text": [display.date(m[f"{field}_label"]) for m, _lab in exact],
                 "marker": {"symbol": symbol, "size": 11, "color": "#1b1f24",
                            "line": {"width": 1.5, "color": "#1b1f24"}},
                 "hovertemplate": f"{name} %{{text}}<extra></extra>"}
            )  # fmt: skip
        vague = [(m, lab) for m, lab in zip(dated, labels, strict=True)
                 if m[field] and _precision_of(m, field) != "day"]  # fmt: skip
        if vague:
            xs: list[Any] = []
            ys: list[Any] = []
            texts: list[Any] = []
            for m, lab in vague:
                precision = _precision_of(m, field)
                first, last = _period(m[field], precision)
                derived = _spaced(_("(derived)")) if m.get(f"{field}_derived") else ""
                text = _("%(what)s %(date)s — known to the %(precision)s") % {
                    "what": name,
                    "date": display.date(m[f"{field}_label"]) + derived,
                    "precision": display.label(precision).lower(),
                }
                xs += [first, last, None]
                ys += [lab, lab, None]
                texts += [text, text, None]
            traces.append(
                {"type": "scatter", "mode": "lines",
                 "name": _("%(what)s (month or year only)") % {"what": name},
                 "x": xs, "y": ys, "text": texts, "connectgaps": False,
                 "line": {"width": 18, "color": "rgba(27,31,36,0.28)"},
                 "hovertemplate": "%{text}<extra></extra>"}
            )  # fmt: skip
    lines = sum(lab.count("<br>") + 1 for lab in labels)
    return {
        "data": traces,
        "layout": _layout(
            _("Export-control measures over time"),
            xaxis={**date_axis(), "gridcolor": "#e5e8eb"},
            yaxis={
                "type": "category",
                "autorange": "reversed",
                "automargin": True,
                "categoryorder": "array",
                "categoryarray": labels,
            },  # fmt: skip
            height=max(320, 150 + 18 * lines + 14 * len(dated)),
            legend={"orientation": "h", "y": -0.08, "yanchor": "top", "traceorder": "normal"},
            margin={"l": 20, "r": 20, "b": 40},
        ),
    }
