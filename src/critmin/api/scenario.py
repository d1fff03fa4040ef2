"""Disruption-scenario endpoints: one export restriction (``ban``) or several levels
(``sweep``) carried from market prices to US GDP loss by industry.

Only bundled public data is read (scenario defaults, end-use shares, BEA tables), so any
caller may run them; ``?save=true`` stores the run for the caller's organisation (owner
only unless ``sharing`` says otherwise) and needs a token. Saved runs are read through
the caller's view: one the caller may not see is a 404 like a missing one. Bad input is a
422 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from critmin.api.deps import CallerDep, SessionDep
from critmin.api.reads import dumps
from critmin.api.replies import PRIVATE
from critmin.services import scenario as service
from critmin.services import scenario_runs as runs
from critmin.services.auth import Caller
from critmin.services.entities import NotFound

router = APIRouter(prefix="/scenarios", tags=["scenarios"])

Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class BanBody(BaseModel):
    """A restriction of a country's net exports of a mineral to every destination."""

    model_config = ConfigDict(extra="forbid", strict=True)

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


SaveQ = Annotated[bool, Query(description="Store the run for the caller's organisation "
                                          "(needs a token); the answer gains `run_id`.")]
SharingQ = Annotated[Literal["owner", "partners", "public"], Query(
    description="Who may see the saved run: owner (default), partners or public.")]


def _answer(fn: Any, body: BanBody, first: Any, save: bool = False, sharing: str = "owner",
            session: Any = None, caller: Caller | None = None, kind: str = "ban") -> Response:
    if save and (caller is None or caller.anonymous):
        raise HTTPException(status_code=401, detail="saving a run needs an API token: "
                            "'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
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
    if save:
        saved = runs.save(session=session, caller=caller, kind=kind, spec=body.model_dump(),
                          results=result, sharing=sharing)  # fmt: skip
        headers = {**PRIVATE, "X-Scenario-Run": str(saved["id"])}
        return Response(dumps({"run_id": saved["id"], "result": result}),
                        media_type="application/json", status_code=201, headers=headers)
    return Response(dumps(result), media_type="application/json", headers=PRIVATE)


@router.post("/ban", summary="Price, shortfall and GDP loss of one export restriction")
def ban(body: BanBody, session: SessionDep, caller: CallerDep, save: SaveQ = False,
        sharing: SharingQ = "owner") -> Response:
    """`price_ratio`, `shortfall_share`, `shortfall_t` and `gdp_loss_usd` (USD, 2017
    economy), each `{central, low, high}` = median, P5, P95 of the draws (estimates);
    `by_industry` (BEA industry label, code, loss); `assumptions` (name, value, unit,
    source, assumption). With `?save=true`: 201, `{run_id, result}`."""
    return _answer(service.ban, body, body.level, save, sharing, session, caller, "ban")


@router.post("/sweep", summary="The same restriction at several levels")
def sweep(body: SweepBody, session: SessionDep, caller: CallerDep, save: SaveQ = False,
          sharing: SharingQ = "owner") -> Response:
    """A list with one `ban` result per level (same draws: losses non-decreasing). With
    `?save=true`: 201, `{run_id, result}`."""
    return _answer(service.sweep, body, body.levels, save, sharing, session, caller, "sweep")


class SpecItem(BaseModel):
    """One scenario of a spec: a mineral, a restricting country and its options."""

    model_config = ConfigDict(extra="forbid", strict=True)

    mineral: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z][A-Za-z _-]*$")
    country: str = Field(pattern=r"^[A-Za-z]{3}$")
    name: str | None = Field(None, max_length=120)
    levels: list[Share] = Field(default=[1.0], min_length=1, max_length=21)
    region: str = Field("USA", pattern=r"^[A-Za-z]{3}$")
    model: Literal["supply_constrained", "leontief"] = "supply_constrained"
    dependent_share: float | None = Field(None, gt=0.0, le=1.0, allow_inf_nan=False)
    duration: int = Field(1, ge=1, le=10)
    levers: dict[str, Annotated[float, Field(allow_inf_nan=False)]] = Field(
        default_factory=dict, max_length=10,
        description="Mitigation levers (docs/scenarios.md), e.g. stockpile_release.")


class SpecBody(BaseModel):
    """Several scenarios at once, as in ``critmin scenario run SPEC.yaml``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    scenarios: list[SpecItem] = Field(min_length=1, max_length=20)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    draws: int = Field(2000, ge=1, le=20_000)


class GridBody(BaseModel):
    """Every (or the named) bundled mineral x every major producer x levels x draws."""

    model_config = ConfigDict(extra="forbid", strict=True)

    minerals: list[Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z][A-Za-z _-]*$")]] \
        | None = Field(None, max_length=40, description="Default: every bundled mineral.")
    min_share: float = Field(0.10, ge=0.01, le=1.0, allow_inf_nan=False,
                             description="Share of world output of a major producer.")
    levels: list[Share] = Field(default=[0.0, 0.25, 0.5, 0.75, 1.0], min_length=1,
                                max_length=11)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    draws: int = Field(500, ge=1, le=2000, description="Draws per case and level (at most "
                       "2,000 over HTTP; the CLI runs larger sweeps on Dask).")
    economy: Literal["supply_constrained", "leontief", "none"] = "supply_constrained"


def _unprocessable(exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "errors": [{"field": "body",
                                                         "problem": str(exc)}]},
                        status_code=422, headers=PRIVATE)  # fmt: skip


@router.post("/run", summary="Several scenarios at once (a spec)")
def run_spec(body: SpecBody, session: SessionDep, caller: CallerDep, save: SaveQ = False,
             sharing: SharingQ = "owner") -> Response:
    """A list of `{name, results}`, one per scenario, each result as from `/sweep`. With
    `?save=true`: 201, `{run_id, result}`; the run is stored as kind `spec`."""
    if save and (caller is None or caller.anonymous):
        raise HTTPException(status_code=401, detail="saving a run needs an API token: "
                            "'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    doc = {"scenarios": [i.model_dump(exclude_none=True) for i in body.scenarios]}
    try:
        result = service.run_spec(doc, seed=body.seed, n_draws=body.draws)
    except service.ScenarioError as exc:
        return _unprocessable(exc)
    if not save:
        return Response(dumps(result), media_type="application/json", headers=PRIVATE)
    spec = {"file": None, "seed": body.seed, "draws": body.draws, **doc}
    saved = runs.save(session=session, caller=caller, kind="spec", spec=spec,
                      results=result, sharing=sharing)  # fmt: skip
    return Response(dumps({"run_id": saved["id"], "result": result}),
                    media_type="application/json", status_code=201,
                    headers={**PRIVATE, "X-Scenario-Run": str(saved["id"])})


@router.post("/grid", summary="Every mineral x major producer x level, market to GDP")
def grid(body: GridBody) -> Response:
    """Per case (mineral, producer, its share of world output, curated or generic inputs):
    one result per level with `price_ratio`, `shortfall_share`, `shortfall_t` and
    `gdp_loss_usd` (null where the mineral's end uses are not mapped), each `{central,
    low, high}` = P50, P5, P95; `skipped` names what was left out and why. Runs in the
    server's process."""
    from critmin.services.scenario_grid import IN_PROCESS
    from critmin.services.scenario_grid import grid as run_grid

    try:
        out = run_grid(body.minerals, min_share=body.min_share, levels=body.levels,
                       n_draws=body.draws, seed=body.seed, scheduler=IN_PROCESS,
                       economy=body.economy)  # fmt: skip
    except service.ScenarioError as exc:
        return _unprocessable(exc)
    out["scheduler"] = "in process"
    return Response(dumps(out), media_type="application/json", headers=PRIVATE)


@router.get("/runs", summary="Saved scenario runs the caller may see, newest first")
def list_runs(session: SessionDep, caller: CallerDep,
              kind: Annotated[Literal["ban", "sweep", "spec"] | None,
                              Query(description="Only runs of this kind.")] = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Response:  # fmt: skip
    """`data`: id, kind, minerals, created_at, sharing and spec of each run (no results)."""
    rows = runs.list_runs(session=session, caller=caller, kind=kind, limit=limit)
    return Response(dumps({"data": rows}), media_type="application/json", headers=PRIVATE)


@router.get("/runs/{id}", summary="A saved run: spec, results and data versions")
def get_run(session: SessionDep, caller: CallerDep,
            run_id: Annotated[int, Path(alias="id", ge=1, le=2**31 - 1,
                                        description="Run id.")]) -> Response:
    """The run as saved; 404 when missing or not visible to the caller."""
    try:
        run = runs.get_run(session=session, caller=caller, run_id=run_id)
    except NotFound as exc:
        return JSONResponse({"detail": str(exc)}, status_code=404, headers=PRIVATE)
    return Response(dumps(run), media_type="application/json", headers=PRIVATE)
