"""Error handlers: every error is a 4xx JSON body naming the field and problem; never a trace.

Service exceptions map to statuses here, so routers just call services:
ProjectNotFound/StatsNotFound 404 (a record the caller may not see is reported exactly
like a missing one), Forbidden 403, Conflict 409, PreconditionFailed 412, PreconditionRequired 428,
InvalidRecord 422 (``errors``: field and problem), UnknownValue (a filter value outside
its vocabulary) 422 naming the query parameter and the known values, IngestError 422
(``problems``: file, row, column, value, expected, as the CLI reports them), other
ValueError 422. A 405 names every method the path answers in ``Allow`` (not just one
route's).
Anything unforeseen is a 500 with no detail (and is logged).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from critmin.domain.vocab import UnknownValue
from critmin.ingest.errors import IngestError
from critmin.services.projects import ProjectNotFound
from critmin.services.stats import StatsNotFound
from critmin.services.tracker import (
    Conflict,
    Forbidden,
    InvalidRecord,
    PreconditionFailed,
    PreconditionRequired,
)

log = logging.getLogger("critmin.api")
PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

Handler = Callable[[Request, Any], Awaitable[JSONResponse]]


def _simple(status: int, headers: dict[str, str] | None = None) -> Handler:
    async def handler(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=status, content={"detail": str(exc)}, headers=headers)

    return handler


def allowed_methods(routes: list[BaseRoute], scope: dict[str, Any]) -> list[str]:
    """Every method some route answers at this request's path (HEAD wherever GET is)."""
    methods = {
        method
        for method in PROBED_METHODS
        if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in routes)
    }
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405 and not request.url.path.startswith("/static/"):
            allow = ", ".join(allowed_methods(app.router.routes, request.scope))
            exc = StarletteHTTPException(405, exc.detail, headers={**(exc.headers or {}),
                                                                   "Allow": allow})  # fmt: skip
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
        ]
        body = {"detail": "invalid request", "errors": errors}
        return JSONResponse(status_code=422, content=body)

    for exc_type, status in (
        (ProjectNotFound, 404),
        (StatsNotFound, 404),
        (Forbidden, 403),
        (Conflict, 409),
        (PreconditionFailed, 412),
        (PreconditionRequired, 428),
        (ValueError, 422),
    ):
        app.add_exception_handler(exc_type, _simple(status))

    @app.exception_handler(UnknownValue)
    async def _unknown(_request: Request, exc: UnknownValue) -> JSONResponse:
        errors = [{"field": f"query.{exc.param}", "problem": str(exc)}]
        return JSONResponse(status_code=422, content={"detail": str(exc), "errors": errors})

    @app.exception_handler(InvalidRecord)
    async def _record(_request: Request, exc: InvalidRecord) -> JSONResponse:
        return JSONResponse(
            status_code=422, content={"detail": "invalid project", "errors": exc.errors}
        )

    @app.exception_handler(IngestError)
    async def _ingest(_request: Request, exc: IngestError) -> JSONResponse:
        head = str(exc).splitlines()[0]
        problems = [p.to_dict() for p in exc.problems]
        return JSONResponse(status_code=422, content={"detail": head, "problems": problems})

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        body = {"detail": "the request conflicts with an existing record (retry after reading it)"}
        return JSONResponse(status_code=409, content=body)

    @app.exception_handler(DataError)
    async def _data(_request: Request, _exc: DataError) -> JSONResponse:
        body = {"detail": "a value is malformed or out of range for the database"}
        return JSONResponse(status_code=422, content=body)

    @app.exception_handler(OperationalError)
    async def _busy(_request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", str(exc.orig or exc).splitlines()[0])
        body = {"detail": "the database is busy or unavailable; retry shortly"}
        return JSONResponse(status_code=503, content=body, headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(status_code=500, content={"detail": "internal error"})
