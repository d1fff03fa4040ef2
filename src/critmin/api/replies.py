"""JSON answers of the routers that read shared records: never cached by a shared cache,
and errors as ``{"detail", "errors"}`` bodies."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse, Response

from critmin.api.reads import dumps

PRIVATE = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}
"""Answers depend on who asks: only the caller's own cache may keep them."""


def private_json(data: Any, status: int = 200) -> Response:
    """``data`` as JSON, marked private to the caller."""
    return Response(dumps(data), status_code=status, media_type="application/json",
                    headers=PRIVATE)  # fmt: skip


def private_error(status: int, detail: str, errors: list[dict[str, Any]] | None = None
                  ) -> Response:  # fmt: skip
    """A 4xx body: what went wrong and, per field, the problem."""
    return JSONResponse({"detail": detail, "errors": errors or []}, status_code=status,
                        headers=PRIVATE)  # fmt: skip
