"""The API's error responses, documented in one place, and the OpenAPI document.

Every error body is JSON with a ``detail`` sentence. Which statuses an operation may
answer follows from what it is, so they are added to every operation here rather than
route by route (a route may still document more with ``responses=``):

- every operation: 422 (a parameter or the body is invalid: ``errors`` names each
  field and problem), 429 (rate limit or repeated failed authentication, with
  ``Retry-After``), 503 (the database is busy, with ``Retry-After``), and 401 where
  the caller matters (a bad or revoked token);
- a request body: 400 (unreadable body) and 413 (body over the limit);
- a write (POST, PATCH, DELETE): 403 (not allowed for this caller) and 409 (conflicts
  with an existing record);
- an id in the path, or a lookup by name (:data:`LOOKUPS`): 404, identical for a
  missing record and one the caller may not see;
- ``If-Match`` (documented as required): 428 without it, 412 when it is stale;
- ``If-None-Match``: 304.

The import's 422 lists ``problems`` (file, row, column, value, expected) instead.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

REF = "#/components/schemas/{model}"
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
PUBLIC = frozenset({"/api/v1/health", "/api/v1/stats/share"})
"""Operations that never look at the caller's credentials (so never answer 401)."""
LOOKUPS = ("/api/v1/dashboard", "/api/v1/outlook", "/api/v1/stats/share", "/api/v1/tokens",
           "/api/v1/prices", "/api/v1/monitor", "/api/v1/trade")  # fmt: skip
"""Paths (prefixes) that look things up by name or need a role: 404 or 403 possible."""
IMPORT_PATHS = ("/api/v1/projects/import", "/api/v1/prices/import", "/api/v1/trade/imports",
                "/api/v1/exposure/networks")


class ErrorItem(BaseModel):
    field: str = Field(description="Where: e.g. `body.capacity_tpa`, `query.limit`.")
    problem: str = Field(description="What is wrong and what is expected.")


class ErrorBody(BaseModel):
    """An error: a sentence, and for invalid input the fields at fault."""

    detail: str
    errors: list[ErrorItem] | None = Field(
        default=None, description="Each invalid field and its problem (invalid input only)."
    )


class ImportProblem(BaseModel):
    file: str
    row: int | str | None = Field(description="Spreadsheet row (header = 1) or item number.")
    column: str | None
    value: Any = None
    expected: str


class ImportErrorBody(BaseModel):
    """A rejected import: nothing was imported; each problem is listed."""

    detail: str
    problems: list[ImportProblem] | None = None
    errors: list[ErrorItem] | None = None


class RateLimitedBody(BaseModel):
    detail: str
    retry_after_seconds: int = Field(ge=1)


class TooLargeBody(BaseModel):
    detail: str
    limit_bytes: int = Field(ge=1)


MODELS: tuple[type[BaseModel], ...] = (
    ErrorBody, ImportErrorBody, RateLimitedBody, TooLargeBody,
)  # fmt: skip
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}
WWW_AUTHENTICATE = {"WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}}}
STATUSES: dict[int, tuple[str, type[BaseModel], dict[str, Any]]] = {
    400: ("The request body cannot be read (e.g. not UTF-8, malformed length).", ErrorBody, {}),
    401: ("The bearer token is malformed, unknown or revoked, or this needs one.", ErrorBody,
          WWW_AUTHENTICATE),
    403: ("The caller's role or organisation may not do this.", ErrorBody, {}),
    404: ("No such record, or one the caller may not see (the same answer).", ErrorBody, {}),
    409: ("Conflicts with an existing record (e.g. the key is taken).", ErrorBody, {}),
    412: ("If-Match names a version that is no longer current: read it again.", ErrorBody, {}),
    413: ("The request body is larger than the server accepts.", TooLargeBody, {}),
    422: ("Invalid input: `errors` names each field and problem.", ErrorBody, {}),
    428: ("If-Match is required: send the ETag from your last read.", ErrorBody, {}),
    429: ("Too many requests, or too many failed authentications from this address.",
          RateLimitedBody, RETRY_AFTER),
    503: ("The database is busy or unavailable; retry shortly.", ErrorBody, RETRY_AFTER),
}  # fmt: skip


def error_response(status: int, model: type[BaseModel] | None = None) -> dict[str, Any]:
    """The OpenAPI response object for an error ``status`` (with its shared body model)."""
    description, default_model, headers = STATUSES[status]
    schema = {"$ref": REF.format(model=(model or default_model).__name__)}
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        response["headers"] = headers
    return response


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the shared bodies of these error statuses."""
    return {status: {"model": STATUSES[status][1], "description": STATUSES[status][0]}
            for status in statuses}  # fmt: skip


def _statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses ``operation`` may answer (see the module docstring)."""
    if path == "/api/v1/health":
        return set()
    found = {422, 429, 503}
    if path not in PUBLIC:
        found.add(401)
    if "requestBody" in operation:
        found |= {400, 413}
    if method in WRITE_METHODS:
        found |= {403, 404, 409}
    if "{" in path or path.startswith(LOOKUPS):
        found |= {403, 404} if path.startswith("/api/v1/tokens") else {404}
    headers = {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}
    if "if-match" in headers:
        found |= {412, 428}
    return found


def _document(operation: dict[str, Any], path: str, method: str) -> None:
    responses = operation.setdefault("responses", {})
    for status in sorted(_statuses(path, method, operation)):
        model = ImportErrorBody if status == 422 and path in IMPORT_PATHS else None
        responses[str(status)] = error_response(status, model)
    for parameter in operation.get("parameters", []):
        name = parameter["name"].lower()
        if parameter["in"] == "header" and name == "if-match":
            parameter["required"] = True
            parameter["schema"] = {"type": "string", "minLength": 1}
        elif parameter["in"] == "header" and name == "if-none-match" and "304" not in responses:
            responses["304"] = {"description": "Not modified: the ETag still matches."}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared error responses and their models to an OpenAPI document."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _, defs = models_json_schema([(m, "validation") for m in MODELS], ref_template=REF)
    components.update(defs.get("$defs", {}))
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)  # FastAPI's default 422 body, which is not ours
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                _document(operation, path, method)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Serve the OpenAPI document with the documented error responses."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = document_errors(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
