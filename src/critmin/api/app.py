"""The application object: REST API under /api/v1 and the HTML dashboard."""

from __future__ import annotations

import importlib

import anyio
from fastapi import APIRouter, FastAPI
from starlette.middleware.sessions import SessionMiddleware

from critmin import __version__
from critmin.api.cache import ResponseCache
from critmin.config import Settings, get_settings
from critmin.store.db import make_engine, read_session_factory, session_factory

API_PREFIX = "/api/v1"
# Each module exposes ``router``; it is mounted under /api/v1.
API_MODULES = ("projects", "orgs", "entities", "analysis", "dashboard")


def create_app(database_url: str, settings: Settings | None = None) -> FastAPI:
    """Build the app for the database at ``database_url`` (already migrated).

    Raises ConfigError in production mode when the secret key is missing or a default.
    """
    settings = settings or get_settings()
    secret = settings.resolved_secret_key()
    app = FastAPI(
        title="critmin",
        version=__version__,
        description="Critical-minerals supply-chain intelligence: project tracker and analytics.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    engine = make_engine(database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    app.state.read_session_factory = read_session_factory(engine)
    app.state.response_cache = ResponseCache(enabled=settings.response_cache)
    # Few threads on the hot read path: more would only contend for the GIL and
    # stretch tail latency; a cache hit takes well under a millisecond.
    app.state.read_limiter = anyio.CapacityLimiter(4)

    api = APIRouter(prefix=API_PREFIX)

    @api.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    for name in API_MODULES:
        module = importlib.import_module(f"critmin.api.{name}")
        api.include_router(module.router)
    app.include_router(api)

    from critmin.api.errors import install_error_handlers
    from critmin.api.limits import install_limits
    from critmin.web.pages import install_web

    install_error_handlers(app)
    install_web(app)
    install_limits(app, settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="critmin_session",
        same_site="lax",
        https_only=settings.production,
        max_age=8 * 3600,
    )
    return app
