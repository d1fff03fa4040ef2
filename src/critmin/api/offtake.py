"""Offtake endpoints: ``POST /offtake/simulate`` (a consortium offtake with price floors)
and ``POST /offtake/retrofit`` (retrofit matching funds), each taking a spec document as
YAML or JSON (layout in docs/offtake.md) and a ``seed``.

Stored projects, agreements and price series are read through the caller's view: one the
caller may not see is reported exactly as a missing one. A bad spec is a 422 whose
``errors`` name each field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from critmin.api.deps import CallerDep, SessionDep
from critmin.api.replies import PRIVATE
from critmin.api.replies import private_error as _error
from critmin.api.replies import private_json as _json
from critmin.services import offtake as service
from critmin.services.offtake_spec import SpecError

router = APIRouter(prefix="/offtake", tags=["offtake"])

SeedQ = Annotated[int, Query(ge=0, le=2**32 - 1, description="Random seed.")]
SPEC_BODY = {
    "requestBody": {
        "required": True,
        "description": "The spec document (YAML or JSON; layout in docs/offtake.md).",
        "content": {"application/yaml": {"schema": {
                        "description": "YAML text whose top level is a mapping"}},
                    "application/json": {"schema": {"type": "object"}}},
    }
}  # fmt: skip


async def _text(request: Request) -> str | Response:
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
    return text


def _answer(work: Callable[[], Any]) -> Response:
    try:
        return _json(work())
    except SpecError as exc:
        return _error(422, "invalid spec", [{**e, "field": f"body.{e['field']}"}
                                            for e in exc.errors])


@router.post("/simulate", summary="Simulate a consortium offtake with price floors",
             openapi_extra=SPEC_BODY)  # fmt: skip
async def simulate(request: Request, session: SessionDep, caller: CallerDep,
                   seed: SeedQ = 0) -> Response:
    """Per buyer cost (and at market), per producer revenue with and without the floor,
    P(loss-making year), the floor's option value and the assumptions used."""
    text = await _text(request)
    if isinstance(text, Response):
        return text
    return _answer(lambda: service.simulate(text, seed=seed, session=session, caller=caller))


@router.post("/retrofit", summary="Rank retrofit candidates under matching funds",
             openapi_extra=SPEC_BODY)  # fmt: skip
async def retrofit(request: Request, session: SessionDep, caller: CallerDep,
                   seed: SeedQ = 0) -> Response:
    """NPV and IRR distributions with and without support, public cost per tonne of
    secured capacity, ranked (lowest first)."""
    text = await _text(request)
    if isinstance(text, Response):
        return text
    return _answer(lambda: service.retrofit(text, seed=seed, session=session, caller=caller))
