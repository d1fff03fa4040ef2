"""The stockpile page: the plan chart of inventory by age against the target, purchases,
the cost band and the adequacy summary, read through the caller's view."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from critmin.api.deps import CallerDep, SessionDep
from critmin.i18n import _
from critmin.services import stockpile as service
from critmin.web.render import error_page, render
from critmin.web.stockpile_charts import plan_figure

router = APIRouter(include_in_schema=False)
PAGE_PATHS = 50


def _num(name: str, text: str, low: float, high: float, whole: bool = False) -> float:
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and low <= v <= high) or (whole and v != int(v)):
        kind = "a whole number" if whole else "a number"
        raise service.StockpileError(f"{name} {text!r}: expected {kind} from {low:g} to {high:g}")
    return v


@router.get("/stockpile", response_class=HTMLResponse)
def stockpile_page(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    mineral: str = Query("gallium", max_length=40),
    target_t: str = Query("50", max_length=40),
    years: str = Query("5", max_length=40),
    shelf_life_years: str = Query("1", max_length=40),
    budget_usd: str = Query("", max_length=40),
    exclude_origin: str = Query("CHN", max_length=40),
    seed: str = Query("0", max_length=40),
) -> HTMLResponse:
    form = {
        "mineral": mineral,
        "target_t": target_t,
        "years": years,
        "shelf_life_years": shelf_life_years,
        "budget_usd": budget_usd,
        "exclude_origin": exclude_origin,
        "seed": seed,
    }
    query = urlencode({**{k: v for k, v in form.items() if v.strip()}, "paths": PAGE_PATHS})
    json_url = f"/api/v1/stockpile/adequacy?{query}"
    try:
        excl = exclude_origin.strip().upper()
        if excl and not (len(excl) == 3 and excl.isascii() and excl.isalpha()):
            raise service.StockpileError(
                f"excluded origin {exclude_origin!r}: expected a three-letter ISO code such as CHN"
            )
        rep = service.adequacy(
            session,
            caller,
            mineral=mineral.strip().lower(),
            target_t=_num("target", target_t, 0, 1e6),
            years=int(_num("years", years, 1, 30, whole=True)),
            shelf_life_years=_num("shelf life", shelf_life_years, 0.1, 50),
            budget_usd=_num("budget", budget_usd, 0, 1e13) if budget_usd.strip() else None,
            exclude_origins=[excl] if excl else [],
            seed=int(_num("seed", seed, 0, 2**32 - 1, whole=True)),
            n_paths=PAGE_PATHS,
            max_path_months=service.SERVED_PATH_MONTHS,
        )
    except service.StockpileError as exc:
        return error_page(request, 422, _("Invalid stockpile plan"), str(exc))
    return render(
        request,
        "stockpile.html",
        {"rep": rep, "form": form, "chart_fig": plan_figure(rep["plan"])},
        json_url=json_url,
    )
