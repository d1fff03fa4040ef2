"""Static assets served by the app itself, so the dashboard and the API docs work offline.

``/static/`` serves the dashboard's own files plus the JavaScript and CSS of two
libraries, taken from their Python packages (nothing is fetched from a CDN):
Plotly.js from ``plotly`` and Swagger UI (Apache-2.0) from ``fastapi-offline``. Every
response has an ETag and Last-Modified (304 on revalidation) and answers HEAD; library
files, whose URLs carry their package version, may be cached for a year.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
SWAGGER_PREFIX = "swagger-ui/"


def package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {package} package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def plotly_js_path() -> Path:
    """The Plotly.js bundle shipped inside the plotly Python package."""
    return package_dir("plotly") / "package_data" / "plotly.min.js"


def swagger_ui_dir() -> Path:
    """Swagger UI's distribution files shipped inside the fastapi-offline package."""
    return package_dir("fastapi_offline") / "static"


SWAGGER_VERSION = importlib.metadata.version("fastapi-offline")
SWAGGER_JS = f"/static/{SWAGGER_PREFIX}swagger-ui-bundle.js?v={SWAGGER_VERSION}"
SWAGGER_CSS = f"/static/{SWAGGER_PREFIX}swagger-ui.css?v={SWAGGER_VERSION}"


class AssetFiles(StaticFiles):
    """The static directory plus named library files (and nothing else of the libraries)."""

    def __init__(self) -> None:
        super().__init__(directory=STATIC)
        self.library: dict[str, Path] = {
            "plotly.min.js": plotly_js_path(),
            f"{SWAGGER_PREFIX}swagger-ui-bundle.js": swagger_ui_dir() / "swagger-ui-bundle.js",
            f"{SWAGGER_PREFIX}swagger-ui.css": swagger_ui_dir() / "swagger-ui.css",
        }

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        library = self.library.get(path.replace(os.sep, "/"))
        if library is not None:
            return str(library), os.stat(library)
        return super().lookup_path(path)

    def file_response(
        self, full_path: os.PathLike[str] | str, stat_result: os.stat_result, scope: Scope,
        status_code: int = 200,
    ) -> Response:  # fmt: skip
        response = super().file_response(full_path, stat_result, scope, status_code)
        library = Path(full_path) in self.library.values()
        response.headers["Cache-Control"] = IMMUTABLE if library else REVALIDATE
        return response
