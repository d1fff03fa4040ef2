"""Stockpile endpoints: the least-cost procurement and rotation plan, the annual adequacy
report (JSON or HTML from the same call) and the inventory. Lots are read through the
caller's view, so another organisation's private lots never enter an answer. Bad input
is a 422 naming the field."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from critmin.api.deps import CallerDep, SessionDep
from critmin.api.reads import dumps
from critmin.api.replies import PRIVATE
from critmin.services import stockpile as service

router = APIRouter(prefix="/stockpile", tags=["stockpile"])

MineralField = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z][A-Za-z_-]*$",
                     description="Mineral, e.g. gallium.")
ISO3 = Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")]


MAX_SERVED_YEARS = 10
"""Longest horizon and shelf life a request may ask for: one plan's LP grows with months x
age cohorts, and the server answers in its own process."""


class PlanBody(BaseModel):
    """A stockpile target and the limits of the plan."""

    model_config = ConfigDict(extra="forbid", strict=True)

    mineral: str = MineralField
    target_t: float = Field(ge=0, le=1e9, allow_inf_nan=False, description="Target, t.")
    years: int = Field(5, ge=1, le=MAX_SERVED_YEARS,
                       description=f"Horizon, years (at most {MAX_SERVED_YEARS} over HTTP; "
                                   "the CLI plans longer).")
    shelf_life_years: float = Field(1.0, gt=0.08, le=MAX_SERVED_YEARS, allow_inf_nan=False)
    budget_usd: float | None = Field(None, ge=0, allow_inf_nan=False,
                                     description="Budget per year, USD (none: unlimited).")
    exclude_origins: list[ISO3] = Field(default_factory=list, max_length=20)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    paths: int = Field(50, ge=1, le=1000, description="Seeded price paths (paths x months "
                       "at most 3,000 over HTTP).")
    rotation_discount: float = Field(0.9, ge=0, lt=1, allow_inf_nan=False)
    ramp: Literal["step", "linear"] = "step"


def _bad(exc: Exception, field: str = "body") -> JSONResponse:
    return JSONResponse({"detail": str(exc), "errors": [{"field": field,
                                                         "problem": str(exc)}]},
                        status_code=422, headers=PRIVATE)


def _json(data: Any) -> Response:
    return Response(dumps(data), media_type="application/json", headers=PRIVATE)


@router.post("/plan", summary="Least-cost stockpile procurement and rotation plan")
def plan(body: PlanBody, session: SessionDep, caller: CallerDep) -> Response:
    """`feasible`, `why_infeasible`, `purchases` (`month`, `supplier`, `quantity_t`,
    `cost_usd`, ...), `rotations`, `disposals`, `cost_usd` (`deterministic`, `p10`, `p50`,
    `p90` over seeded price paths), `probability_meeting_target`, `coverage_months`,
    `inventory_by_age`, `disruption`, `suppliers` and `assumptions`."""
    try:
        out = service.make_plan(session, caller, mineral=body.mineral.lower(),
                                target_t=body.target_t, years=body.years,
                                shelf_life_years=body.shelf_life_years,
                                budget_usd=body.budget_usd,
                                exclude_origins=body.exclude_origins, seed=body.seed,
                                n_paths=body.paths, rotation_discount=body.rotation_discount,
                                ramp=body.ramp,
                                max_path_months=service.SERVED_PATH_MONTHS)
    except service.StockpileError as exc:
        return _bad(exc)
    return _json(out)


@router.get("/adequacy", summary="Annual stockpile-adequacy assessment (JSON or HTML)",
            responses={200: {"description": "The report: JSON, or HTML with format=html.",
                             "content": {"text/html": {"schema": {"type": "string"}}}}})
def adequacy(
    session: SessionDep, caller: CallerDep,
    mineral: Annotated[str, Query(max_length=40)] = "gallium",
    format: Annotated[Literal["json", "html"], Query()] = "json",  # noqa: A002
    target_t: Annotated[float, Query(ge=0, le=1e9)] = 50.0,
    years: Annotated[int, Query(ge=1, le=MAX_SERVED_YEARS)] = 5,
    shelf_life_years: Annotated[float, Query(gt=0.08, le=MAX_SERVED_YEARS)] = 1.0,
    budget_usd: Annotated[float | None, Query(ge=0)] = None,
    exclude_origin: Annotated[list[str] | None, Query(max_length=20)] = None,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = 0,
    paths: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    """Requirement (both rules with their inputs), inventory, coverage, expiring lots,
    next year's purchases, the plan and risks; `format=html` renders the same report."""
    try:
        rep = service.adequacy(session, caller, mineral=mineral.lower(), target_t=target_t,
                               years=years, shelf_life_years=shelf_life_years,
                               budget_usd=budget_usd, exclude_origins=exclude_origin,
                               seed=seed, n_paths=paths,
                               max_path_months=service.SERVED_PATH_MONTHS)
    except service.StockpileError as exc:
        return _bad(exc, "query")
    if format == "html":
        from critmin.web.render import SECURITY_HEADERS

        return HTMLResponse(service.render_html(rep), headers={**SECURITY_HEADERS, **PRIVATE})
    return _json(rep)


@router.get("/inventory", summary="Stockpile lots visible to the caller")
def inventory(
    session: SessionDep, caller: CallerDep,
    mineral: Annotated[str | None, Query(max_length=40)] = None,
    warn_days: Annotated[int, Query(ge=1, le=3650)] = 90,
) -> Response:
    """Lots (t) with expiry, the total held today and the lots expiring within
    `warn_days`."""
    try:
        return _json(service.inventory(session, caller, mineral and mineral.lower(),
                                       warn_days=warn_days))
    except service.StockpileError as exc:
        return _bad(exc, "query")
