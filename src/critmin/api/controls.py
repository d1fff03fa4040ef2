"""Export-control endpoints: may a shipment go (one, or a CSV batch), and the timeline
of measures per mineral and jurisdiction.

Only measures the caller may see are used: another organisation's private measure never
changes a verdict or a timeline. Bad input is a 422 naming the parameter (or the file's
row and column).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from critmin.api.deps import CallerDep, SessionDep
from critmin.api.reads import dumps
from critmin.api.replies import PRIVATE
from critmin.services import controls as service

router = APIRouter(prefix="/controls", tags=["controls"])

NO_NUL = r"^[^\x00]*$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
CountryQ = Annotated[str, Query(min_length=1, max_length=60, pattern=NO_NUL,
                                description="ISO3 code (or English name), e.g. CHN.")]  # fmt: skip
BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string", "description": (
            "Header item,origin,destination,date and optionally via,end_use,technology.")}}},
    }
}  # fmt: skip


def _answer(work: Callable[[], Any], field: str) -> Response:
    try:
        return Response(dumps(work()), media_type="application/json", headers=PRIVATE)
    except service.BadRequest as exc:
        where = _field(str(exc)) if field == "query" else field
        return JSONResponse({"detail": str(exc), "errors": [{"field": where, "problem": str(exc)}]},
                            status_code=422, headers=PRIVATE)  # fmt: skip


def _field(message: str) -> str:
    """The parameter a service message is about (for the error body)."""
    for name in ("item", "origin", "destination", "via", "end use", "date", "as_of",
                 "jurisdiction", "mineral"):  # fmt: skip
        if message.startswith((name, f"unknown {name}")):
            return "query." + name.replace(" ", "_")
    return "query"


@router.get("/check", summary="May this shipment go? (verdict and the measures behind it)")
def check(
    session: SessionDep,
    caller: CallerDep,
    item: Annotated[str, Query(min_length=1, max_length=60, pattern=NO_NUL, description=(
        "Mineral (gallium), form (apt), HS code (811292) or technology:<mineral>."))],
    origin: CountryQ,
    destination: CountryQ,
    date: Annotated[str, Query(pattern=DATE, description="Shipment date, YYYY-MM-DD.")],
    via: Annotated[str | None, Query(max_length=60, pattern=NO_NUL,
                                     description="Transit or re-exporting country.")] = None,
    end_use: Annotated[Literal["civil", "military"] | None, Query()] = None,
    technology: Annotated[bool, Query(description="The item is a technology.")] = False,
) -> Response:
    """``verdict`` (allowed, licence_required, prohibited) and ``measures``: each with
    key, title, effect (prohibited, licence_required, suspended, suspends, unless_exempt,
    exempts, conditional, context), whether it decides the verdict, and its sources. The
    most restrictive binding measure wins; suspensions and expiries are honoured; extraterritorial
    measures reach re-exports via a third country."""

    def work() -> Any:
        return service.check(session=session, caller=caller, item=item, origin=origin,
                             destination=destination, date=date, via=via, end_use=end_use,
                             technology=technology)  # fmt: skip

    return _answer(work, "query")


@router.post("/check-batch", summary="Check a CSV of shipments", openapi_extra=BATCH_BODY)
async def check_batch(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    """One result per CSV row, in order (as ``/controls/check``). A bad row fails the
    batch with a 422 naming the row, column, value and what was expected."""
    limit = request.app.state.settings.max_body_bytes
    raw = await request.body()
    if len(raw) > limit:
        return JSONResponse({"detail": "the file is too large", "limit_bytes": limit},
                            status_code=413, headers=PRIVATE)  # fmt: skip
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return JSONResponse({"detail": "the body is not UTF-8 text", "errors": [
            {"field": "body", "problem": "CSV text in UTF-8"}]}, status_code=400, headers=PRIVATE)
    if "\x00" in text:
        return JSONResponse({"detail": "the body contains a NUL character", "errors": [
            {"field": "body", "problem": "CSV text without NUL characters"}]}, status_code=422,
            headers=PRIVATE)  # fmt: skip
    return await run_in_threadpool(_answer, lambda: service.check_csv(
        session=session, caller=caller, text=text, file="body"), "body")


@router.get("/timeline", summary="Export-control measures over time, with their status")
def timeline(
    session: SessionDep,
    caller: CallerDep,
    mineral: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    jurisdiction: Annotated[str | None, Query(max_length=60, pattern=NO_NUL,
                                              description="Imposing country.")] = None,
    as_of: Annotated[str | None, Query(
        pattern=DATE, description="Status as of YYYY-MM-DD (default today).")] = None,
) -> Response:
    """Measures oldest first: key, title, type, announced, effective, expiry (each with
    its precision, label and whether derived), milestones and status (announced,
    in_force, suspended, expired, undated) as of ``as_of``; ``undated`` lists and counts
    the measures without dates."""
    return _answer(lambda: service.timeline(session=session, caller=caller, mineral=mineral,
                                            jurisdiction=jurisdiction, as_of=as_of),
                   "query")  # fmt: skip
