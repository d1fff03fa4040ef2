"""The criticality page (``/criticality``): the indicators per mineral for a region as a
table with labels and units, and the EU supply-risk vs economic-importance scatter with
the criticality thresholds drawn. Its JSON twin is ``/api/v1/criticality``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from critmin.analytics.criticality import EU_EI_THRESHOLD, EU_SR_THRESHOLD
from critmin.api.deps import CallerDep, SessionDep
from critmin.i18n import N_, _, display
from critmin.services import criticality as service
from critmin.services.tracker import InvalidRecord
from critmin.web.charts import PALETTE, Figure, _layout
from critmin.web.render import error_page, render

router = APIRouter(include_in_schema=False)
# The indicators' names and units (services.criticality.LABELS), translated when shown.
INDICATOR_WORDS = (
    N_("Production concentration (HHI)"), N_("0-1"), N_("Net import reliance"),
    N_("fraction of apparent consumption"), N_("Governance-weighted concentration"),
    N_("EU supply risk"), N_("index (critical at >= 1.0)"), N_("EU economic importance"),
    N_("index 0-10 (critical at >= 2.8)"), N_("USGS-style supply risk"), N_("GeoPolRisk score"),
)  # fmt: skip
COLUMNS = ("hhi", "import_reliance", "governance_weighted_hhi", "eu_supply_risk",
           "eu_economic_importance", "usgs_supply_risk", "geopolrisk")  # fmt: skip


def criticality_figure(rows: list[dict[str, Any]]) -> Figure | None:
    """EU supply risk (y) against economic importance (x), one point per mineral with both,
    the thresholds EI 2.8 and SR 1.0 drawn as dashed lines; None when no mineral has both."""
    points = [
        r
        for r in rows
        if r["eu_supply_risk"] is not None and r["eu_economic_importance"] is not None
    ]
    if not points:
        return None
    x = [r["eu_economic_importance"] for r in points]
    y = [r["eu_supply_risk"] for r in points]
    top_x, top_y = max(max(x) * 1.1, EU_EI_THRESHOLD * 1.3), max(max(y) * 1.1, 1.5)
    critical = [bool(r["eu_critical"]) for r in points]
    trace = {"type": "scatter", "mode": "markers+text", "name": _("minerals"),
             "x": x, "y": y, "text": [display.text(r["mineral_label"]) for r in points],
             "textposition": "top center",
             "marker": {"size": 11, "color": [PALETTE[3] if c else PALETTE[0] for c in critical],
                        "symbol": ["diamond" if c else "circle" for c in critical]},
             "hovertemplate": "%{text}<br>" + _("economic importance") + " %{x:.2f}<br>"
                              + _("supply risk") + " %{y:.2f}<extra></extra>"}  # fmt: skip
    line = {"color": "#444", "width": 1.5, "dash": "dash"}
    shapes = [
        {"type": "line", "x0": EU_EI_THRESHOLD, "x1": EU_EI_THRESHOLD, "y0": 0, "y1": top_y,
         "line": line},
        {"type": "line", "x0": 0, "x1": top_x, "y0": EU_SR_THRESHOLD, "y1": EU_SR_THRESHOLD,
         "line": line},
        {"type": "rect", "x0": EU_EI_THRESHOLD, "x1": top_x, "y0": EU_SR_THRESHOLD, "y1": top_y,
         "line": {"width": 0}, "fillcolor": PALETTE[3], "opacity": 0.07},
    ]  # fmt: skip
    notes = [{"x": EU_EI_THRESHOLD, "y": top_y, "text": "EI = 2.8", "showarrow": False,
              "xanchor": "left", "yanchor": "top"},
             {"x": top_x, "y": EU_SR_THRESHOLD, "text": "SR = 1.0", "showarrow": False,
              "xanchor": "right", "yanchor": "bottom"}]  # fmt: skip
    return {
        "data": [trace],
        "layout": _layout(
            _("EU supply risk against economic importance (critical: EI ≥ 2.8 and SR ≥ 1.0)"),
            shapes=shapes,
            annotations=notes,
            showlegend=False,
            xaxis={"title": {"text": _("Economic importance (index, 0–10)")}, "range": [0, top_x]},
            yaxis={"title": {"text": _("Supply risk (index)")}, "range": [0, top_y]},
        ),
    }


@router.get("/criticality", response_class=HTMLResponse)
def criticality_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    region: str = Query("USA", max_length=3),
    year: int = Query(2024, ge=1990, le=2100),
) -> HTMLResponse:
    json_url = f"/api/v1/criticality?{urlencode({'region': region, 'year': year})}"
    try:
        rows = service.assess(session=session, caller=caller, region=region, year=year)
    except InvalidRecord as exc:
        return error_page(
            request,
            422,
            _("Invalid request"),
            "; ".join(f"{e['field']}: {e['problem']}" for e in exc.errors),
        )
    labels = {key: service.LABELS[key] for key in COLUMNS}
    context = {"data": rows, "region": region.upper(), "year": year, "labels": labels,
               "columns": COLUMNS, "figure": criticality_figure(rows),
               "region_label": rows[0]["region_label"] if rows else region}  # fmt: skip
    return render(request, "criticality.html", context, json_url=json_url)
