"""Disruption-scenario endpoints: one export restriction (``ban``) or several levels
(``sweep``) carried from market prices to US GDP loss by industry.

Only bundled public data is read (scenario defaults, end-use shares, BEA tables) and
nothing is written, so any caller may use them. Bad input is a 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from critmin.api.reads import dumps
from critmin.services import scenario as service

router = APIRouter(prefix="/scenarios", tags=["scenarios"])

PRIVATE = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class BanBody(BaseModel):
    """A restriction of a country's net exports of a mineral to every destination."""

    model_config = ConfigDict(extra="forbid")

    mineral: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z][A-Za-z _-]*$",
                         description="Mineral with bundled defaults, e.g. gallium.")
    country: str = Field(pattern=r"^[A-Za-z]{3}$", description="Restricting country, ISO3.")
    region: str = Field("USA", pattern=r"^[A-Za-z]{3}$",
                        description="Economy whose GDP loss is measured (USA).")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Monte Carlo seed.")
    draws: int = Field(2000, ge=1, le=20_000, description="Monte Carlo draws.")
    model: Literal["supply_constrained", "leontief"] = "supply_constrained"
    dependent_share: float | None = Field(
        None, gt=0.0, le=1.0, allow_inf_nan=False,
        description="Share of each using industry's output that needs the mineral "
                    "(default: the documented value).")
    duration: int = Field(1, ge=1, le=10, description="Restricted years.")
    level: Share = Field(1.0, description="Share of net exports withheld (0-1).")


class SweepBody(BanBody):
    """The same restriction at several levels, on the same draws."""

    levels: list[Share] = Field(default=[0.0, 0.25, 0.5, 0.75, 1.0], min_length=1,
                                max_length=21, description="Restriction levels (0-1).")


def _answer(fn: Any, body: BanBody, first: Any) -> Response:
    try:
        result = fn(body.mineral, body.country, first, region=body.region, seed=body.seed,
                    n_draws=body.draws, model=body.model,
                    dependent_share=body.dependent_share, duration=body.duration)
    except service.ScenarioError as exc:
        field = next((f for f in ("mineral", "country", "region", "level", "model",
                                  "dependent_share") if f.replace("_", " ") in str(exc)),
                     "body")  # fmt: skip
        return JSONResponse({"detail": str(exc), "errors": [
            {"field": f"body.{field}" if field != "body" else field, "problem": str(exc)}]},
            status_code=422, headers=PRIVATE)  # fmt: skip
    return Response(dumps(result), media_type="application/json", headers=PRIVATE)


@router.post("/ban", summary="Price, shortfall and GDP loss of one export restriction")
def ban(body: BanBody) -> Response:
    """`price_ratio`, `shortfall_share`, `shortfall_t` and `gdp_loss_usd` (USD, 2017
    economy), each `{central, low, high}` = median, P5, P95 of the draws (estimates);
    `by_industry` (BEA industry label, code, loss); `assumptions` (name, value, unit,
    source, assumption)."""
    return _answer(service.ban, body, body.level)


@router.post("/sweep", summary="The same restriction at several levels")
def sweep(body: SweepBody) -> Response:
    """A list with one `ban` result per level (same draws: losses non-decreasing)."""
    return _answer(service.sweep, body, body.levels)
