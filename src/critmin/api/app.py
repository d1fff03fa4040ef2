"""The application object: REST API under /api/v1 and the HTML dashboard."""

from __future__ import annotations

import importlib

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.middleware.sessions import SessionMiddleware

from critmin import __version__
from critmin.api.cache import ResponseCache
from critmin.api.middleware import (
    FixedPathMiddleware,
    HeadMiddleware,
    PrivateCacheMiddleware,
    StaticCompressionMiddleware,
)
from critmin.api.openapi import install_openapi
from critmin.config import Settings, get_settings
from critmin.store.db import make_engine, read_session_factory, session_factory
from critmin.web.assets import SWAGGER_CSS, SWAGGER_JS

API_PREFIX = "/api/v1"
DOCS_URL = "/api/docs"
# Each module exposes ``router``; it is mounted under /api/v1.
API_MODULES = ("projects", "orgs", "entities", "analysis", "dashboard", "prices", "monitor",
               "trade", "controls", "criticality", "scenario", "exposure", "offtake",
               "stockpile", "scrap", "recycling", "reports")


def fixed_paths(app: FastAPI) -> dict[str, set[str]]:
    """The API's paths without parameters and the methods each answers (from the OpenAPI)."""
    if getattr(app.state, "fixed_paths", None) is None:
        app.state.fixed_paths = {
            path: {method.upper() for method in item}
            for path, item in app.openapi()["paths"].items()
            if "{" not in path
        }
    return app.state.fixed_paths


def create_app(database_url: str, settings: Settings | None = None) -> FastAPI:
    """Build the app for the database at ``database_url`` (already migrated).

    Raises ConfigError for an unknown environment and, in production, a weak secret key.
    """
    settings = settings or get_settings()
    secret = settings.resolved_secret_key()
    app = FastAPI(
        title="critmin",
        version=__version__,
        description="Critical-minerals supply-chain intelligence: project tracker and analytics.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
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

    @app.get(DOCS_URL, include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        """Swagger UI from the app's own static files: it works offline."""
        return get_swagger_ui_html(
            openapi_url=f"{request.scope.get('root_path', '')}{app.openapi_url}",
            title="critmin API",
            swagger_js_url=SWAGGER_JS,
            swagger_css_url=SWAGGER_CSS,
            swagger_favicon_url="/static/favicon.svg",
            swagger_ui_parameters={"validatorUrl": None},
        )

    from critmin.api.bodies import install_body_checks
    from critmin.api.errors import install_error_handlers
    from critmin.api.limits import install_limits
    from critmin.web.pages import install_web

    install_error_handlers(app)
    install_web(app)
    install_openapi(app)
    # Middleware, innermost first: compression of static files, the body and rate
    # limits, the signed cookie holding the session id, caching headers, HEAD.
    app.add_middleware(StaticCompressionMiddleware)
    app.add_middleware(FixedPathMiddleware, methods_of=lambda: fixed_paths(app))
    install_body_checks(app)  # JSON nesting depth, inside the body size limit
    install_limits(app, settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="critmin_session",
        same_site="lax",
        https_only=settings.production,
        max_age=settings.session_max_hours * 3600,
    )
    app.add_middleware(PrivateCacheMiddleware)
    app.add_middleware(HeadMiddleware)
    return app
