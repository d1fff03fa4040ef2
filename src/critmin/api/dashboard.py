"""JSON twins of the dashboard pages: the same service calls, as JSON (under /api/v1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from critmin.api.deps import AsciiId, CallerDep, SessionDep
from critmin.services import controls, scenario
from critmin.services import dashboard as service
from critmin.services import mineral_monitor as monitor

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


def _call(fn: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    """Run a dashboard service; unknown things are 404, bad parameters 422."""
    try:
        return fn(**kwargs)
    except service.NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except service.BadRequest as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


@router.get("", summary="Landing page: the minerals and what is known about each")
def home(session: SessionDep, caller: CallerDep) -> dict[str, Any]:
    return _call(service.minerals_index, session=session, caller=caller)


CurationNotes = Query(False, description="Add the curators' notes (`curation_note`) to records.")


@router.get("/minerals/{mineral}", summary="One mineral: concentration, prices, pipeline, measures")
def mineral(
    session: SessionDep, caller: CallerDep, mineral: str, curation_notes: bool = CurationNotes
) -> dict[str, Any]:
    return _call(service.mineral_overview, session=session, caller=caller, mineral=mineral,
                 curation_notes=curation_notes)  # fmt: skip


@router.get("/minerals/{mineral}/monitor",
            summary="One mineral's market monitor: two markets, spread, ratio, measures")
def mineral_monitor(
    session: SessionDep,
    caller: CallerDep,
    mineral: str,
    a: str | None = Query(None, max_length=120, description="Key of the first series."),
    b: str | None = Query(None, max_length=120, description="Key of the second series."),
    currency: str = Query("USD", max_length=3, description="USD or CNY (per kg)."),
    country: str | None = Query(None, max_length=3,
                                description="ISO3 code for the balance (default: world)."),
) -> dict[str, Any]:
    return _call(monitor.mineral_monitor, session=session, caller=caller, mineral=mineral,
                 a=a, b=b, currency=currency, country=country)  # fmt: skip


@router.get("/projects", summary="The filterable project table, one page at a time")
def projects(
    session: SessionDep,
    caller: CallerDep,
    mineral: str | None = Query(None, max_length=40),
    stage: str | None = Query(None, max_length=20),
    status: str | None = Query(None, max_length=20),
    country: str | None = Query(None, max_length=80, description="ISO3 code or country name."),
    q: str | None = Query(None, max_length=100),
    sort: str = Query("name", max_length=20),
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(service.PER_PAGE, ge=1, le=200),
) -> dict[str, Any]:
    return _call(
        service.projects_list, session=session, caller=caller, mineral=mineral, stage=stage,
        status=status, country=country, q=q, sort=sort, page=page, per_page=per_page,
    )  # fmt: skip


@router.get("/projects/{project_id}", summary="One project as the caller may see it")
def project(
    session: SessionDep,
    caller: CallerDep,
    project_id: Annotated[AsciiId, Path()],
    curation_notes: bool = CurationNotes,
) -> dict[str, Any]:
    return _call(service.project_view, session=session, caller=caller, id=project_id,
                 curation_notes=curation_notes)  # fmt: skip


@router.get("/outlook", summary="P10/P50/P90 non-China capacity outlook (visible projects)")
def outlook(
    session: SessionDep,
    caller: CallerDep,
    mineral: str = Query("gallium", max_length=40),
    start: int | None = Query(None, alias="from", ge=1900, le=2200),
    end: int | None = Query(None, alias="to", ge=1900, le=2200),
    include_restarts: bool = Query(
        False, description="Also count projects that may restart capacity USGS already counts."
    ),
) -> dict[str, Any]:
    return _call(
        service.outlook, session=session, caller=caller, mineral=mineral, start=start, end=end,
        include_restarts=include_restarts,
    )  # fmt: skip


@router.get("/measures", summary="Export-control timeline and related-measure chains")
def measures(
    session: SessionDep, caller: CallerDep, mineral: str | None = Query(None, max_length=40),
    curation_notes: bool = CurationNotes,
) -> dict[str, Any]:
    return _call(controls.measures, session=session, caller=caller, mineral=mineral or None,
                 curation_notes=curation_notes)  # fmt: skip


@router.get("/sources", summary="Datasets and curated citations")
def sources(session: SessionDep, caller: CallerDep) -> dict[str, Any]:
    return _call(service.sources, session=session, caller=caller)


@router.get("/scenarios", summary="The scenario page's data: one restriction and its sweep")
def scenarios(
    mineral: str = Query("gallium", max_length=40, description="Mineral with bundled defaults."),
    country: str = Query("CHN", pattern=r"^[A-Za-z]{3}$", description="Restricting country."),
    level: float = Query(1.0, ge=0.0, le=1.0, allow_inf_nan=False,
                         description="Share of net exports withheld (0-1)."),
    draws: int = Query(2000, ge=1, le=20_000, description="Monte Carlo draws."),
    seed: int = Query(0, ge=0, le=2**32 - 1, description="Monte Carlo seed."),
    model: Literal["supply_constrained", "leontief"] = Query("supply_constrained"),
) -> dict[str, Any]:
    """`result` as `POST /api/v1/scenarios/ban` gives it, and `sweep`, one result per
    level 0, 0.25, 0.5, 0.75, 1 on the same draws. Public data only."""
    try:
        return scenario.dashboard(mineral, country, level, seed=seed, n_draws=draws,
                                  model=model)
    except scenario.ScenarioError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


@router.get("/exposure", summary="The exposure page's data: headline, chokepoints, paths")
def exposure(
    session: SessionDep, caller: CallerDep,
    network: str = Query("demo", max_length=40, pattern=r"^(demo|records|[0-9]{1,10})$",
                         description="`demo` (a synthetic example), `records` (the "
                                     "supply-network records you may see) or a stored "
                                     "network's id."),
    country: str = Query("CHN", min_length=2, max_length=80,
                         description="Country whose firms are the targets (ISO3 or name)."),
    end: str | None = Query(None, min_length=1, max_length=200,
                            description="End product whose paths are drawn (default: the "
                                        "most exposed)."),
) -> Any:  # fmt: skip
    """`choices` (networks the caller may pick), `headline` (end products, exposed,
    share, weighted_mean), `chokepoints` and `paths` (nodes and edges), as
    `GET /api/v1/exposure/networks/{id}/dashboard` gives them; synthetic networks say so."""
    from fastapi.responses import JSONResponse

    from critmin.services import exposure as exposure_service
    from critmin.services.entities import NotFound
    from critmin.services.tracker import InvalidRecord

    try:
        return exposure_service.page(session=session, caller=caller, network=network,
                                     country_code=country, end=end)  # fmt: skip
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except InvalidRecord as exc:
        return JSONResponse({"detail": "invalid request", "errors": [
            {**e, "field": f"query.{e['field']}"} for e in exc.errors]}, status_code=422)
