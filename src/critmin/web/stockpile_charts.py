"""The stockpile plan chart (inventory by age cohort, stacked, against the target line)
and the standalone adequacy report page."""

from __future__ import annotations

from typing import Any

from critmin import i18n
from critmin.i18n import N_, _, display
from critmin.web.charts import PALETTE, Figure, _layout

AGE_BANDS = ((0, 3, N_("0–3 months old")), (3, 6, N_("3–6 months old")),
             (6, 9, N_("6–9 months old")), (9, 10_000, N_("9+ months old")))  # fmt: skip


def plan_figure(plan: dict[str, Any]) -> Figure | None:
    """Stacked areas of inventory by age (quarter cohorts) and the target as a line."""
    by_age = plan.get("inventory_by_age") or []
    if not by_age:
        return None
    start_y, start_m = (int(v) for v in plan["start_month"].split("-"))
    x = [
        f"{start_y + (start_m - 1 + m) // 12}-{(start_m - 1 + m) % 12 + 1:02d}"
        for m in range(len(by_age))
    ]
    traces = []
    for i, (lo, hi, name) in enumerate(AGE_BANDS):
        if lo >= len(by_age[0]):
            break
        y = [sum(row[lo:hi]) for row in by_age]
        name = _(name)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "stackgroup": "age",
                "name": name,
                "x": x,
                "y": y,
                "line": {"width": 0.5, "color": PALETTE[i]},
                "hovertemplate": "%{x}: %{y:.2f} t<extra>" + name + "</extra>",
            }
        )
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": _("Target (t)"),
            "x": x,
            "y": plan["target_t"],
            "line": {"color": "#000000", "dash": "dash"},
            "hovertemplate": "%{x}: " + _("target") + " %{y:.2f} t<extra></extra>",
        }
    )
    layout = _layout(
        _("%(mineral)s stockpile by age of lot against the target (t)")
        % {"mineral": display.mineral(plan["mineral"])},
        xaxis={"title": {"text": _("Month")}},
        yaxis={"title": {"text": _("Inventory (t)")}, "rangemode": "tozero"},
    )
    return {"data": traces, "layout": layout}


def report_html(report: dict[str, Any]) -> str:
    """The adequacy report as one HTML page, rendered offline from the report dict."""
    from critmin.web.render import templates

    tpl = templates.env.get_template("stockpile_report.html")
    return tpl.render(
        report=report,
        chart_fig=plan_figure(report["plan"]),
        me=None,
        path="/stockpile/report",
        json_url=None,
        csrf_token=lambda: "",
        lang=i18n.current(),
        lang_tag=i18n.tag(),
    )
