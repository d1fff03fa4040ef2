"""Trade endpoints: imports (BACI or customs layout; editors), flows, mirror gaps, the
circumvention signal and the supply-demand balance.

Every read goes through the sharing rules: an import the caller may not see is a 404
like a missing one and never enters a number. Bad input is a 422 naming the parameter;
a bad file a 422 listing ``problems`` (file, row, column, value, expected).
"""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from critmin.api.deps import CallerDep, EditorDep, SessionDep
from critmin.api.replies import answer as _answer
from critmin.api.replies import private_error as _error
from critmin.services import trade as service
from critmin.services.auth import Caller

router = APIRouter(prefix="/trade", tags=["trade"])

ISO3 = r"^[A-Za-z]{3}$"
HS6 = r"^\d{4}\.?\d{2}$"
ImportQ = Annotated[int | None, Query(ge=1, le=2**31 - 1, description=(
    "A trade import's id; without it, the bundled CEPII BACI flows."))]  # fmt: skip
HsQ = Annotated[list[str] | None, Query(max_length=50, description="HS six-digit codes (repeat).")]
Limit = Annotated[int, Query(ge=1, le=service.MAX_ROWS, description="At most this many rows.")]
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"],
                           "properties": {"file": {"type": "string", "format": "binary"}}}
            },
        },
    }
}  # fmt: skip


@router.get("/imports", summary="Trade imports the caller may see")
def list_imports(session: SessionDep, caller: CallerDep) -> Response:
    """Id, file, layout, rows, years and reporters of each visible import (newest first)."""
    return _answer(lambda: {"data": service.list_imports(session=session, caller=caller)})


def _run_import(session: Session, caller: Caller, raw: bytes, name: str, layout: str,
                sharing: str | None) -> Response:  # fmt: skip
    def work() -> dict[str, Any]:
        summary = service.import_file(session=session, caller=caller, source=io.BytesIO(raw),
                                      file=name, layout=layout, sharing=sharing)  # fmt: skip
        session.commit()
        return summary

    response = _answer(work)
    if response.status_code >= 400:
        session.rollback()
    return response


@router.post("/imports", summary="Import a trade file (BACI or customs layout; atomic)",
             openapi_extra=IMPORT_BODY, status_code=201)  # fmt: skip
async def import_trade(
    request: Request,
    session: SessionDep,
    caller: EditorDep,
    layout: Annotated[str, Query(pattern=r"^(baci|customs)$",
                                 description="baci (t,i,j,k,v,q) or customs.")] = "baci",
    sharing: Annotated[str | None, Query(pattern=r"^(public|partners|owner)$",
                                         description="Default: owner only.")] = None,
) -> Response:
    """CEPII BACI's layout (`t,i,j,k,v,q`: CEPII country codes, HS6, kUSD, t) or the
    customs layout (`reporter,partner,flow,hs_code,month,value,quantity`: ISO3, export or
    import, HS6, YYYY-MM, USD, kg) as CSV or a multipart `file`; all or nothing. Answers
    201 with the summary (import id, rows, years, reporters); problems as 422 with
    `problems`: `[{file, row, column, value, expected}]`."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        limit = request.app.state.settings.max_body_bytes
        form = await request.form(max_files=1, max_fields=10, max_part_size=limit)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return _error(422, "invalid request",
                          [{"field": "body.file", "problem": "a file field named 'file'"}])
        name, raw = upload.filename or "upload.csv", await upload.read()
    else:
        name, raw = "request.csv", await request.body()
    response = await run_in_threadpool(_run_import, session, caller, raw, name, layout, sharing)
    if response.status_code == 200:
        response.status_code = 201
    return response


@router.get("/flows", summary="Bilateral flows, largest first")
def flows(
    session: SessionDep,
    caller: CallerDep,
    import_id: ImportQ = None,
    hs: HsQ = None,
    exporter: Annotated[str | None, Query(pattern=ISO3)] = None,
    importer: Annotated[str | None, Query(pattern=ISO3)] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    limit: Limit = 1000,
) -> Response:
    """Values in thousand USD, quantities in metric tons, with the source of the flows."""
    return _answer(lambda: service.flows(session=session, caller=caller, import_id=import_id,
                                         hs=hs, exporter=exporter, importer=importer,
                                         year=year, limit=limit))  # fmt: skip


@router.get("/mirror", summary="Mirror-trade gaps of a customs import")
def mirror(
    session: SessionDep,
    caller: CallerDep,
    import_id: Annotated[int, Query(ge=1, le=2**31 - 1, description="A customs import.")],
    hs: HsQ = None,
    country: Annotated[str | None, Query(pattern=ISO3, description="Either side.")] = None,
    limit: Limit = 1000,
) -> Response:
    """A's declared exports to B against B's declared imports from A: `gap_kusd` = imports −
    exports, `gap_pct` relative to exports. Imports are usually CIF, exports FOB."""
    return _answer(lambda: service.mirror(session=session, caller=caller, import_id=import_id,
                                          hs=hs, country=country, limit=limit))  # fmt: skip


@router.get("/circumvention", summary="Third countries rerouting around a measure")
def circumvention(
    session: SessionDep,
    caller: CallerDep,
    origin: Annotated[str | None, Query(pattern=ISO3,
                                        description="The restricting origin (A).")] = None,
    target: Annotated[str | None, Query(pattern=ISO3,
                                        description="The restricted destination (C).")] = None,
    hs: HsQ = None,
    start: Annotated[str | None, Query(pattern=r"^\d{4}(-\d{2})?$",
                                       description="YYYY or YYYY-MM.")] = None,
    measure: Annotated[str | None, Query(min_length=1, max_length=120, pattern=r"^[^\x00]*$",
                                         description="A measure's key: what is not given "
                                                     "is taken from it.")] = None,
    import_id: ImportQ = None,
    threshold: Annotated[float, Query(gt=0, le=100)] = 3.0,
    min_pre: Annotated[int, Query(ge=2, le=100)] = 4,
    min_post_kusd: Annotated[float, Query(ge=0, le=1e12)] = 0.0,
) -> Response:
    """Countries B whose imports from A and exports to C both rose, from `start`, by more
    than `threshold` residual standard deviations above their own earlier trend. Give
    `origin`, `target`, `hs` and `start`, or a `measure` to take them from."""
    return _answer(lambda: service.circumvention(
        session=session, caller=caller, origin=origin, target=target, hs=hs, start=start,
        measure=measure, import_id=import_id, threshold=threshold, min_pre=min_pre,
        min_post_kusd=min_post_kusd))  # fmt: skip


@router.get("/balance", summary="Supply-demand balance of a mineral by year")
def balance(
    session: SessionDep,
    caller: CallerDep,
    mineral: Annotated[str, Query(min_length=1, max_length=40, pattern=r"^[^\x00]*$")],
    country: Annotated[str | None, Query(pattern=ISO3, description="ISO3; none: world.")] = None,
    year: Annotated[list[int] | None, Query(max_length=100)] = None,
) -> Response:
    """Production, imports, exports, apparent consumption and stock change, each with its
    unit and source (trade in gross weight; the HS codes and conversion are listed)."""
    return _answer(lambda: service.balance(session, caller, mineral, country=country,
                                           years=year))  # fmt: skip
