"""The recycling page: figures with their qualifier and source, the sources' statements,
targets and progress toward them (Plotly charts), filtered by mineral and country."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from critmin import i18n
from critmin.i18n import _
from critmin.services import recycling as service
from critmin.web.charts import PALETTE, Figure, _layout, wrap
from critmin.web.render import error_page, render, request_language

router = APIRouter(include_in_schema=False)
SHARE_UNIT = "percent"
QUALIFIER_COLOURS = {"none": PALETTE[0], "approximate": PALETTE[2], "upper_bound": PALETTE[1]}


def shares_figure(figures: list[dict[str, Any]]) -> Figure | None:
    """Horizontal bars of the percentage figures, one colour per qualifier (an upper bound
    drawn hatched: the true value may be lower)."""
    shown = [f for f in figures if f["unit"] == SHARE_UNIT and f["value"] is not None]
    if not shown:
        return None
    traces = []
    for qualifier, colour in QUALIFIER_COLOURS.items():
        part = [f for f in shown if f["qualifier"] == qualifier]
        if not part:
            continue
        traces.append({
            "type": "bar", "orientation": "h", "name": part[0]["qualifier_label"],
            "x": [f["value"] for f in part],
            "y": [wrap(f"{f['mineral_label']} ({f['country_label']}, {f['year_label']}): "
                       f"{f['kind_label']}", 60) for f in part],
            "marker": {"color": colour, "pattern": {"shape": "/" if qualifier == "upper_bound"
                                                              else ""}},
            "hovertemplate": "%{x}%<extra>" + part[0]["qualifier_label"] + "</extra>",
        })  # fmt: skip
    layout = _layout(_("Recycling figures stated as percentages"),
                     xaxis={"title": {"text": _("Percent")}, "range": [0, 100]},
                     yaxis={"automargin": True}, barmode="group",
                     height=140 + 56 * len(shown))  # fmt: skip
    return {"data": traces, "layout": layout}


def progress_figure(rows: list[dict[str, Any]]) -> Figure | None:
    """Each target as a bar (its rate) with the current rate beside it where one is known;
    targets without a current rate say so on the axis."""
    if not rows:
        return None
    names = [wrap(f"{r['target']['mineral_label']} ({r['target']['country_label']}): "
                  f"{r['target']['target_pct']:g}% {r['target']['target_year_label']}", 50)
             + ("" if r["current"] else "<br>" + _("current rate unknown"))
             for r in rows]  # fmt: skip
    traces = [
        {"type": "bar", "orientation": "h", "name": _("Target rate"), "y": names,
         "x": [r["target"]["target_pct"] for r in rows], "marker": {"color": PALETTE[8]},
         "hovertemplate": "%{x}%<extra>" + _("Target rate") + "</extra>"},
        {"type": "bar", "orientation": "h", "name": _("Current rate"), "y": names,
         "x": [r["current"]["value"] if r["current"] else None for r in rows],
         "marker": {"color": PALETTE[0]},
         "hovertemplate": "%{x}%<extra>" + _("Current rate") + "</extra>"},
    ]  # fmt: skip
    layout = _layout(_("Recycling targets and the current rate"),
                     xaxis={"title": {"text": _("Percent")}, "range": [0, 100]},
                     yaxis={"automargin": True}, barmode="overlay",
                     height=160 + 60 * len(rows))  # fmt: skip
    return {"data": traces, "layout": layout}


@router.get("/recycling", response_class=HTMLResponse)
def recycling_page(
    request: Request,
    mineral: str = Query("", max_length=40),
    country: str = Query("", max_length=60),
) -> HTMLResponse:
    form = {"mineral": mineral, "country": country}
    query = urlencode({k: v for k, v in form.items() if v.strip()})
    json_url = "/api/v1/recycling/rates?" + urlencode(
        {**{k: v for k, v in form.items() if v.strip()}, "statements": "true"}
    )
    with i18n.use_language(request_language(request)):
        try:
            data = {
                "figures": service.rates(mineral, country),
                "statements": service.statements(mineral),
                "progress": service.progress(mineral, country),
                "not_bundled": service.not_bundled(),
            }
        except service.RecyclingError as exc:
            return error_page(request, 422, _("Invalid recycling filter"), str(exc))
        charts = {
            "shares_fig": shares_figure(data["figures"]),
            "progress_fig": progress_figure(data["progress"]),
        }
    return render(
        request,
        "recycling.html",
        {**data, **charts, "form": form, "query": query},
        json_url=json_url,
    )
