"""Analysis endpoints: country shares (public reference data) and the capacity outlook.

The outlook aggregates projects, so only projects the caller may see enter it, and
only with the financing and milestones the caller may see.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from critmin.api.deps import CallerDep, SessionDep
from critmin.api.reads import json_response, read
from critmin.domain.vocab import resolve_mineral
from critmin.services import outlook as outlook_service
from critmin.services import stats as stats_service
from critmin.services.auth import Caller

router = APIRouter(tags=["analysis"])

MineralCode = Annotated[
    str,
    Query(min_length=1, max_length=40, pattern=r"^[^\x00]*$",
          description="Mineral code or name, e.g. gallium."),
]  # fmt: skip


@router.get(
    "/stats/share",
    summary="Country shares of world production and the HHI",
    response_model=dict[str, Any],
)
async def stats_share(
    request: Request,
    mineral: MineralCode,
    year: Annotated[int | None, Query(ge=1900, le=2100, description="Default: latest.")] = None,
    measure: Annotated[
        str, Query(pattern=r"^[a-z_]{1,60}$", description="production, capacity or reserves.")
    ] = "production",
) -> Response:
    """404 names the years that have data when the year has none; an unknown mineral or
    measure is a 422 naming the known ones. ``world_lower_bound`` marks shares that are
    upper bounds; ``residual_share`` is the part of the world total no row accounts for."""

    def work(session: Session, _caller: Caller) -> dict[str, Any]:
        return stats_service.production_shares(
            session=session, mineral=resolve_mineral(mineral), year=year, measure=measure
        )

    return json_response(await read(request, work))


@router.get("/outlook", summary="Non-China capacity outlook over the visible project pipeline")
def outlook(
    session: SessionDep,
    caller: CallerDep,
    mineral: MineralCode,
    start: Annotated[int, Query(alias="from", ge=1900, le=2100)],
    end: Annotated[int, Query(alias="to", ge=1900, le=2100)],
    seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = 0,
    draws: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
    include_restarts: Annotated[
        bool, Query(description="Also count projects that may restart capacity USGS counts.")
    ] = False,
) -> dict[str, Any]:
    """Per year expected/p10/p50/p90 (t/yr) and the non-China share; ``meta`` says what
    went in (``meta.no_outlook`` why there is none). Possible restarts of capacity USGS
    already counts are left out unless ``include_restarts``. Reproducible: the same seed,
    data and caller give the same numbers."""
    return outlook_service.capacity_outlook_report(
        session=session,
        mineral=resolve_mineral(mineral),
        start=start,
        end=end,
        seed=seed,
        draws=draws,
        caller=caller,
        include_restarts=include_restarts,
    )
