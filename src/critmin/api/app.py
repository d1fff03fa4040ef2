"""The application object: REST API under /api/v1 and the HTML dashboard."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from critmin import __version__
from critmin.api import projects
from critmin.store.db import make_engine, session_factory

API_PREFIX = "/api/v1"


def create_app(database_url: str) -> FastAPI:
    """Build the app for the database at ``database_url`` (already migrated)."""
    app = FastAPI(
        title="critmin",
        version=__version__,
        description="Critical-minerals supply-chain intelligence: project tracker and analytics.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    engine = make_engine(database_url)
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)

    api = APIRouter(prefix=API_PREFIX)

    @api.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    api.include_router(projects.router)
    app.include_router(api)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
        ]
        return JSONResponse(
            status_code=422, content={"detail": "invalid request", "errors": errors}
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=500, content={"detail": "internal error"})

    from critmin.web.pages import router as web_router

    app.include_router(web_router)
    return app
