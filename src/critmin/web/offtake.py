"""The offtake page (``/offtake``): the bundled worked examples — each consortium buyer's
cost against buying the same tonnes at market (mean with a P10–P90 bar), the producer's
P10 annual revenue with and without the floor, and the retrofit ranking. The JSON twins
are ``POST /api/v1/offtake/simulate`` and ``/retrofit`` with the same spec files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from critmin.api.deps import CallerDep, SessionDep
from critmin.i18n import _
from critmin.services import offtake as service
from critmin.web.charts import PALETTE, Figure, _layout
from critmin.web.render import render

router = APIRouter(include_in_schema=False)
EXAMPLES = Path(service.__file__).parents[1] / "data" / "reference" / "offtake"
SEED = 7


def _bar(name: str, rows: list[dict[str, Any]], key: str, colour: str) -> Figure:
    mean = [r[key]["mean"] / 1e6 for r in rows]
    return {
        "type": "bar",
        "name": name,
        "x": [r["name"] for r in rows],
        "y": mean,
        "marker": {"color": colour},
        "error_y": {
            "type": "data",
            "symmetric": False,
            "array": [r[key]["p90"] / 1e6 - m for r, m in zip(rows, mean, strict=True)],
            "arrayminus": [m - r[key]["p10"] / 1e6 for r, m in zip(rows, mean, strict=True)],
        },
        "hovertemplate": "%{x}<br>" + _("mean") + " %{y:,.2f} M USD<extra>" + name + "</extra>",
    }


def buyer_figure(result: dict[str, Any]) -> Figure:
    """Per buyer: mean contract cost and mean cost at market, bars P10–P90 (M USD)."""
    rows = result["buyers"]
    return {
        "data": [
            _bar(_("under the offtake"), rows, "cost_usd", PALETTE[0]),
            _bar(_("same tonnes at market"), rows, "market_cost_usd", PALETTE[1]),
        ],
        "layout": _layout(
            _("Buyer cost over the contract, mean with P10–P90 (M USD, discounted)"),
            barmode="group",
            yaxis={"title": {"text": "M USD"}},
        ),
    }


def producer_figure(result: dict[str, Any]) -> Figure:
    """P10 annual revenue with and without the floor, per year (M USD)."""
    p = result["producers"][0]
    years = result["years"]
    lines = [
        (_("with the floor"), "annual_revenue_p10_usd", PALETTE[2]),
        (_("without the floor"), "annual_revenue_no_floor_p10_usd", PALETTE[3]),
    ]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": years,
            "y": [v / 1e6 for v in p[key]],
            "line": {"color": colour},
        }
        for name, key, colour in lines
    ]
    return {
        "data": data,
        "layout": _layout(
            _("%(name)s: P10 annual revenue (M USD)") % {"name": p["name"]},
            yaxis={"title": {"text": "M USD"}},
            xaxis={"title": {"text": _("Year")}, "dtick": 1},
        ),
    }


@router.get("/offtake", response_class=HTMLResponse)
def offtake_page(request: Request, session: SessionDep, caller: CallerDep) -> HTMLResponse:
    sim = service.simulate(
        EXAMPLES / "gallium_consortium.yaml", seed=SEED, session=session, caller=caller
    )
    ret = service.retrofit(EXAMPLES / "retrofits.yaml", seed=SEED, session=session, caller=caller)
    context = {
        "sim": sim,
        "ret": ret,
        "seed": SEED,
        "buyer_fig": buyer_figure(sim),
        "producer_fig": producer_figure(sim),
    }
    return render(request, "offtake.html", context)
