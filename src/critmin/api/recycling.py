"""Recycling endpoints: figures (with the sources' statements), targets and progress.

Only public reference data is read and nothing is written, so any caller may use them
(a bad token is still a 401, as everywhere).
Query parameters are strict: an unknown parameter, an unknown mineral or country, or a
value out of bounds is a 422 naming the parameter. Labels follow ``lang`` (``en``, ``zh``)
or, without it, ``Accept-Language``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from critmin import i18n
from critmin.api.deps import CallerDep
from critmin.api.replies import private_error, private_json
from critmin.services import recycling as service

router = APIRouter(prefix="/recycling", tags=["recycling"])

_MINERAL = Field(None, min_length=1, max_length=40, description="Mineral code or name, e.g. "
                 "tungsten.")  # fmt: skip
_COUNTRY = Field(None, min_length=2, max_length=60, description="ISO3 code or country name.")


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: Literal["en", "zh"] | None = Field(
        None, description="Language of the labels (default: Accept-Language, else English)."
    )


class RatesQuery(_Query):
    """Filters of the figures."""

    mineral: str | None = _MINERAL
    country: str | None = _COUNTRY
    statements: bool = Field(False, description="Also list the sources' statements verbatim.")


class TargetsQuery(_Query):
    """Filters of the targets."""

    mineral: str | None = _MINERAL
    country: str | None = _COUNTRY


class ProgressQuery(TargetsQuery):
    """Filters of the targets and, optionally, a rate and a consumption base to use."""

    target: str | None = Field(
        None,
        min_length=1,
        max_length=120,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="Target key.",
    )
    current_pct: float | None = Field(
        None,
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="A current rate to use (percent); needs the selection narrowed to one target.",
    )
    current_year: int | None = Field(None, ge=1900, le=2100, description="The year of that rate.")
    consumption_t: float | None = Field(
        None,
        ge=0,
        le=1e10,
        allow_inf_nan=False,
        description="Consumption base (t/yr) for the extra supply implied.",
    )


def _bad(exc: service.RecyclingError) -> Response:
    return private_error(422, str(exc), [{"field": f"query.{exc.field}", "problem": str(exc)}])


def _reply(request: Request, lang: str | None, work: Callable[[], Any]) -> Response:
    """``work()`` as JSON in the caller's language; a bad filter as a 422."""
    chosen = lang or i18n.negotiate(request.headers.get("accept-language"))
    with i18n.use_language(chosen):
        try:
            reply = private_json(work())
        except service.RecyclingError as exc:
            return _bad(exc)
    reply.headers["Content-Language"] = i18n.tag(chosen)
    return reply


@router.get("/rates", summary="Recycling figures per mineral and country, with sources")
def rates(request: Request, caller: CallerDep, q: Annotated[RatesQuery, Query()]) -> Response:
    """`figures`: each with `mineral`, `country`, `year`, `kind` (and its label), `value`,
    `unit`, `qualifier` (none, approximate, upper_bound, withheld), `shown`, `quote` and
    `source`; with `statements=true` also `statements` (the sources' paragraphs verbatim);
    `not_bundled` says what is not bundled (the EU's EOL-RIR)."""

    def work() -> dict[str, Any]:
        out: dict[str, Any] = {"figures": service.rates(q.mineral, q.country)}
        if q.statements:
            out["statements"] = service.statements(q.mineral)
        return {**out, "not_bundled": service.not_bundled()}

    return _reply(request, q.lang, work)


@router.get("/targets", summary="Recycling targets: who set or proposed them, and sources")
def targets(request: Request, caller: CallerDep, q: Annotated[TargetsQuery, Query()]) -> Response:
    """`targets`: `target_pct`, `target_year`, `status` (adopted, proposal, reported),
    `set_by`, `description`, `expected_extra_supply_t_per_year` and `sources`."""
    return _reply(request, q.lang,
                  lambda: {"targets": service.targets(q.mineral, q.country)})  # fmt: skip


@router.get("/progress", summary="Progress toward recycling targets")
def progress(request: Request, caller: CallerDep, q: Annotated[ProgressQuery, Query()]) -> Response:
    """`progress`: per target the `current` rate (a bundled figure with its source, a rate
    the caller gave, or null), `gap_pp`, `years_left`, `needed_pp_per_year`,
    `share_of_target`, `extra_supply_t` (with `consumption_t`), `state` and a `note` where
    nothing could be computed."""
    return _reply(request, q.lang, lambda: {"progress": service.progress(
        q.mineral, q.country, target=q.target, current_pct=q.current_pct,
        current_year=q.current_year, consumption_t=q.consumption_t)})  # fmt: skip
