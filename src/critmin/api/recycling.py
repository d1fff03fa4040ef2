"""Recycling endpoints: figures (with the sources' statements), targets and progress.

Only public reference data is read and nothing is written, so any caller may use them.
Query parameters are strict: an unknown parameter, an unknown mineral or country, or a
value out of bounds is a 422 naming the parameter.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from critmin.api.replies import private_error, private_json
from critmin.services import recycling as service

router = APIRouter(prefix="/recycling", tags=["recycling"])

_MINERAL = Field(None, min_length=1, max_length=40, description="Mineral code or name, e.g. "
                 "tungsten.")  # fmt: skip
_COUNTRY = Field(None, min_length=2, max_length=60, description="ISO3 code or country name.")


class RatesQuery(BaseModel):
    """Filters of the figures."""

    model_config = ConfigDict(extra="forbid")

    mineral: str | None = _MINERAL
    country: str | None = _COUNTRY
    statements: bool = Field(False, description="Also list the sources' statements verbatim.")


class TargetsQuery(BaseModel):
    """Filters of the targets."""

    model_config = ConfigDict(extra="forbid")

    mineral: str | None = _MINERAL
    country: str | None = _COUNTRY


class ProgressQuery(TargetsQuery):
    """Filters of the targets and, optionally, a rate and a consumption base to use."""

    target: str | None = Field(None, min_length=1, max_length=120,
                               pattern=r"^[a-z0-9][a-z0-9-]*$", description="Target key.")
    current_pct: float | None = Field(None, ge=0, le=100, allow_inf_nan=False,
                                      description="A current rate to use (percent); needs "
                                      "the selection narrowed to one target.")
    current_year: int | None = Field(None, ge=1900, le=2100,
                                     description="The year of that rate.")
    consumption_t: float | None = Field(None, ge=0, le=1e10, allow_inf_nan=False,
                                        description="Consumption base (t/yr) for the extra "
                                        "supply implied.")


def _bad(exc: service.RecyclingError) -> Response:
    return private_error(422, str(exc), [{"field": f"query.{exc.field}", "problem": str(exc)}])


@router.get("/rates", summary="Recycling figures per mineral and country, with sources")
def rates(q: Annotated[RatesQuery, Query()]) -> Response:
    """`figures`: each with `mineral`, `country`, `year`, `kind` (and its label), `value`,
    `unit`, `qualifier` (none, approximate, upper_bound, withheld), `quote` and `source`;
    with `statements=true` also `statements` (the sources' paragraphs verbatim)."""
    try:
        out: dict[str, Any] = {"figures": service.rates(q.mineral, q.country)}
        if q.statements:
            out["statements"] = service.statements(q.mineral)
    except service.RecyclingError as exc:
        return _bad(exc)
    return private_json({**out, "not_bundled": service.not_bundled()})


@router.get("/targets", summary="Recycling targets: who set or proposed them, and sources")
def targets(q: Annotated[TargetsQuery, Query()]) -> Response:
    """`targets`: `target_pct`, `target_year`, `status` (adopted, proposal, reported),
    `set_by`, `description`, `expected_extra_supply_t_per_year` and `sources`."""
    try:
        return private_json({"targets": service.targets(q.mineral, q.country)})
    except service.RecyclingError as exc:
        return _bad(exc)


@router.get("/progress", summary="Progress toward recycling targets")
def progress(q: Annotated[ProgressQuery, Query()]) -> Response:
    """`progress`: per target the `current` rate (a bundled figure with its source, a rate
    the caller gave, or null), `gap_pp`, `years_left`, `needed_pp_per_year`,
    `share_of_target`, `extra_supply_t` (with `consumption_t`), `state` and a `note` where
    nothing could be computed."""
    try:
        rows = service.progress(q.mineral, q.country, target=q.target,
                                current_pct=q.current_pct, current_year=q.current_year,
                                consumption_t=q.consumption_t)  # fmt: skip
    except service.RecyclingError as exc:
        return _bad(exc)
    return private_json({"progress": rows})
