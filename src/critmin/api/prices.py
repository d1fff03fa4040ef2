"""Price endpoints: series in a chosen currency and unit, two markets compared, the event
study around export-control measures, the monitor's chart data, the FX table, and the
price import (editors).

Every read goes through the sharing rules: a series the caller may not see is a 404
like a missing one, and measures the caller may not see are never used. Bad input is a
422 naming the parameter; a conversion the FX table has no rate for is a 422 naming
the date and the pair.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from critmin.api.deps import CallerDep, EditorDep, SessionDep
from critmin.api.replies import PRIVATE
from critmin.api.replies import private_error as _error
from critmin.api.replies import private_json as _json
from critmin.domain.fx import MissingRate
from critmin.domain.units import UnitError
from critmin.domain.vocab import UnknownValue, resolve_mineral
from critmin.ingest.errors import IngestError
from critmin.ingest.prices_sheet import detect_format
from critmin.services import prices as service
from critmin.services.auth import Caller
from critmin.services.entities import NotFound
from critmin.services.tracker import Conflict, Forbidden, InvalidRecord

router = APIRouter(prefix="/prices", tags=["prices"])

NO_NUL = r"^[^\x00]*$"
SeriesRef = Annotated[str, Query(min_length=1, max_length=120, pattern=NO_NUL,
                                 description="Series key or id.")]  # fmt: skip
CurrencyQ = Annotated[str | None, Query(max_length=3, pattern=r"^[A-Za-z]{3}$",
                                        description="Show prices in USD or CNY.")]  # fmt: skip
UnitQ = Annotated[str | None, Query(max_length=16, pattern=NO_NUL,
                                    description="Per this quantity unit: kg, t, lb, mtu WO3.")]
Tolerance = Annotated[int, Query(ge=0, le=service.MAX_TOLERANCE_DAYS,
                                 description="Carry a value forward at most this many days.")]
Windows = Annotated[list[int] | None, Query(
    max_length=service.MAX_WINDOWS, description="Event windows in days (repeat; default 30, 90).")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"],
                           "properties": {"file": {"type": "string", "format": "binary"}}}
            },
        },
    }
}  # fmt: skip


def _answer(work: Callable[[], Any], field: str = "query.currency") -> Response:
    """Run a service call; its errors as 4xx bodies naming what was wrong."""
    try:
        return _json(work())
    except NotFound as exc:
        return _error(404, str(exc))
    except Forbidden as exc:
        return _error(403, str(exc))
    except Conflict as exc:
        return _error(409, str(exc))
    except InvalidRecord as exc:
        errors = [{**e, "field": f"query.{e['field']}"} for e in exc.errors]
        return _error(422, "invalid request", errors)
    except MissingRate as exc:
        return _error(422, str(exc), [{"field": field, "problem": str(exc)}])
    except UnitError as exc:
        return _error(422, str(exc), [{"field": "query.unit", "problem": str(exc)}])
    except UnknownValue as exc:
        return _error(422, str(exc), [{"field": f"query.{exc.param}", "problem": str(exc)}])
    except IngestError as exc:
        problems = [p.to_dict() for p in exc.problems]
        return JSONResponse({"detail": str(exc).splitlines()[0], "problems": problems},
                            status_code=422, headers=PRIVATE)  # fmt: skip


@router.get("/series", summary="Price series the caller may see")
def list_series(
    session: SessionDep,
    caller: CallerDep,
    mineral: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
) -> Response:
    """Key, market, unit and the number of observations of each visible series."""
    return _answer(lambda: service.series_choices(
        session=session, caller=caller, mineral=resolve_mineral(mineral) if mineral else None))


@router.get("/series/{ref}", summary="A series in a chosen currency and unit")
def show_series(
    session: SessionDep,
    caller: CallerDep,
    ref: Annotated[str, Path(max_length=120, pattern=NO_NUL, description="Key or id.")],
    currency: CurrencyQ = None,
    unit: UnitQ = None,
) -> Response:
    """Levels converted (each with the FX rate used and the value as stated); changes and
    ratios as the source states them (qualifier, window, the other series)."""
    return _answer(lambda: service.series_view(session=session, caller=caller, ref=ref,
                                               currency=currency, unit=unit))  # fmt: skip


@router.get("/compare", summary="Two markets in one currency and unit, spread and ratio")
def compare(
    session: SessionDep,
    caller: CallerDep,
    a: SeriesRef,
    b: SeriesRef,
    currency: CurrencyQ = None,
    unit: UnitQ = None,
    tolerance_days: Tolerance = 0,
) -> Response:
    """On a's dates: b on the same date, or its last value at most `tolerance_days` older;
    `spread` = a − b, `ratio` = a / b."""
    return _answer(lambda: service.compare(session=session, caller=caller, a=a, b=b,
                                           currency=currency, unit=unit,
                                           tolerance_days=tolerance_days))  # fmt: skip


@router.get("/events", summary="Event study around every visible measure on the mineral")
def events(
    session: SessionDep,
    caller: CallerDep,
    series: SeriesRef,
    window: Windows = None,
    tolerance_days: Annotated[int, Query(ge=0, le=service.MAX_TOLERANCE_DAYS)] = 7,
    currency: CurrencyQ = None,
    unit: UnitQ = None,
) -> Response:
    """For each measure and window: the change before and after it. A measure dated to
    the month (or year) spans that whole period."""
    return _answer(lambda: service.events(session=session, caller=caller, ref=series,
                                          windows=window, tolerance_days=tolerance_days,
                                          currency=currency, unit=unit))  # fmt: skip


@router.get("/monitor", summary="The monitor's chart: two markets, spread, ratio, measures")
def monitor(
    session: SessionDep,
    caller: CallerDep,
    a: SeriesRef,
    b: SeriesRef,
    currency: Annotated[str, Query(pattern=r"^[A-Za-z]{3}$")] = "USD",
    unit: Annotated[str, Query(max_length=16, pattern=NO_NUL)] = "kg",
    tolerance_days: Tolerance = 31,
    window: Windows = None,
) -> Response:
    """What the per-mineral monitor draws, JSON-ready."""
    return _answer(lambda: service.monitor(session=session, caller=caller, a=a, b=b,
                                           currency=currency, unit=unit,
                                           tolerance_days=tolerance_days, windows=window))


@router.get("/fx", summary="The FX table prices are converted with, with sources")
def fx(
    session: SessionDep,
    base: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
    quote: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
) -> Response:
    """Rates of `quote` per `base` by date and precision (public reference data)."""
    return _answer(lambda: {"data": service.fx_rates(session=session, base=base, quote=quote)})


def _run_import(session: Session, caller: Caller, raw: bytes, fmt: str, name: str,
                dry_run: bool) -> Response:  # fmt: skip
    def work() -> dict[str, Any]:
        report = service.import_file(session=session, caller=caller, stream=io.BytesIO(raw),
                                     fmt=fmt, file=name, dry_run=dry_run)  # fmt: skip
        session.commit()
        return report.as_dict()

    response = _answer(work, field="body")
    if response.status_code >= 400:
        session.rollback()
    return response


@router.post("/import", summary="Import price observations (CSV or Excel; atomic)",
             openapi_extra=IMPORT_BODY)  # fmt: skip
async def import_prices(
    request: Request, session: SessionDep, caller: EditorDep, dry_run: bool = False
) -> Response:
    """The documented price layout as CSV, an .xlsx workbook, or a multipart `file`; all or
    nothing. New series belong to your organisation (owner-only unless the file says);
    sharing is never widened. Problems come back as 422 with `problems`:
    `[{file, row, column, value, expected}]`."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        limit = request.app.state.settings.max_body_bytes
        form = await request.form(max_files=1, max_fields=10, max_part_size=limit)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return _error(422, "invalid request",
                          [{"field": "body.file", "problem": "a file field named 'file'"}])
        name, raw = upload.filename or "upload", await upload.read()
    else:
        raw = await request.body()
        name = "request.xlsx" if "spreadsheetml" in content_type else "request.csv"
    fmt = detect_format(name, raw[:4])
    return await run_in_threadpool(_run_import, session, caller, raw, fmt, name, dry_run)
