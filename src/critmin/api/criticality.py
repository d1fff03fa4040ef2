"""Criticality endpoints: every indicator per mineral for a region (with an optional
inputs document for what critmin does not bundle), and GeoPolRisk from explicit inputs.

Only public reference data is read (USGS, BACI, WGI) and nothing is written, so any
caller may use them. Bad input is a 422 naming the parameter or the inputs key; an
inputs document with problems lists each as ``{file, row, column, value, expected}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from critmin.api.deps import CallerDep, SessionDep
from critmin.api.reads import dumps
from critmin.api.replies import PRIVATE
from critmin.api.replies import private_error as _error
from critmin.ingest.errors import IngestError
from critmin.services import criticality as service
from critmin.services.criticality_inputs import load_inputs
from critmin.services.tracker import InvalidRecord

router = APIRouter(prefix="/criticality", tags=["criticality"])

RegionQ = Annotated[str, Query(min_length=2, max_length=3, pattern=r"^[A-Za-z]{2,3}$",
                               description="ISO3 country code or EU.")]  # fmt: skip
YearQ = Annotated[int, Query(ge=1990, le=2100, description="Data year.")]
INPUTS_BODY = {
    "requestBody": {
        "required": True,
        "description": "The criticality inputs document (YAML or JSON; layout in "
                       "docs/criticality.md).",
        "content": {"application/yaml": {"schema": {
                        "description": "YAML text whose top level is a mapping"}},
                    "application/json": {"schema": {"type": "object"}}},
    }
}  # fmt: skip


def _answer(work: Callable[[], Any], where: str = "query") -> Response:
    try:
        return Response(dumps(work()), media_type="application/json", headers=PRIVATE)
    except InvalidRecord as exc:
        errors = [{**e, "field": f"{where}.{e['field']}"} for e in exc.errors]
        return _error(422, "invalid request", errors)
    except IngestError as exc:
        problems = [p.to_dict() for p in exc.problems]
        return JSONResponse({"detail": str(exc).splitlines()[0], "problems": problems},
                            status_code=422, headers=PRIVATE)  # fmt: skip


@router.get("", summary="Criticality indicators per mineral for a region")
def assess(session: SessionDep, caller: CallerDep, region: RegionQ = "USA",
           year: YearQ = 2024) -> Response:  # fmt: skip
    """`data`: per mineral `hhi`, `import_reliance`, `governance_weighted_hhi`,
    `eu_supply_risk`, `eu_economic_importance`, `eu_critical`, `usgs_supply_risk`,
    `geopolrisk` (null where an input is missing) and `inputs`: per indicator its label,
    unit, the reason it is null, and each input (given, derived or missing)."""
    return _answer(lambda: {"data": service.assess(session=session, caller=caller,
                                                   region=region, year=year)})  # fmt: skip


@router.post("", summary="Criticality indicators with an inputs document",
             openapi_extra=INPUTS_BODY)  # fmt: skip
async def assess_with_inputs(request: Request, session: SessionDep, caller: CallerDep,
                             region: RegionQ = "USA", year: YearQ = 2024) -> Response:  # fmt: skip
    """As `GET /criticality`, with the EU and USGS inputs critmin does not bundle (end-use
    shares, value added, substitution indices, EOL-RIR, trade-adjustment factors,
    economic vulnerability, imports of minerals without a trade code)."""
    limit = request.app.state.settings.max_body_bytes
    raw = await request.body()
    if len(raw) > limit:
        return JSONResponse({"detail": "the body is too large", "limit_bytes": limit},
                            status_code=413, headers=PRIVATE)  # fmt: skip
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _error(400, "the body is not UTF-8 text",
                      [{"field": "body", "problem": "YAML or JSON text in UTF-8"}])
    if "\x00" in text:
        return _error(422, "the body contains a NUL character",
                      [{"field": "body", "problem": "text without NUL characters"}])

    def work() -> Any:
        inputs = load_inputs(text, "body")
        return {"data": service.assess(session=session, caller=caller, region=region,
                                       year=year, inputs=inputs)}  # fmt: skip

    return await run_in_threadpool(_answer, work, "body")


class Quantity(BaseModel):
    country: str = Field(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    quantity: float = Field(ge=0, allow_inf_nan=False)


class Import(BaseModel):
    exporter: str = Field(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    quantity: float = Field(ge=0, allow_inf_nan=False)


class Score(BaseModel):
    country: str = Field(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    score: float = Field(ge=0, le=1, allow_inf_nan=False,
                         description="Governance risk, 0-1 (1 = highest risk).")


class GeoPolRiskBody(BaseModel):
    importer: str = Field(min_length=2, max_length=3, pattern=r"^[A-Za-z]{2,3}$")
    production: list[Quantity] = Field(min_length=1, max_length=500)
    imports: list[Import] = Field(max_length=500)
    governance: list[Score] = Field(max_length=500)


@router.post("/geopolrisk", summary="GeoPolRisk from explicit inputs")
def geopolrisk(body: GeoPolRiskBody) -> Response:
    """`{hhi, import_risk, score}`: `hhi` of world production, `import_risk` =
    Σ imports × governance risk / (imports + the importer's production), `score` = hhi ×
    import_risk, as geopolrisk-py computes them."""
    return _answer(lambda: service.geopolrisk_from_values(
        importer=body.importer,
        production={r.country.upper(): r.quantity for r in body.production},
        imports={r.exporter.upper(): r.quantity for r in body.imports},
        governance={r.country.upper(): r.score for r in body.governance}), "body")
