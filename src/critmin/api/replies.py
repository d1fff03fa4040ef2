"""JSON answers of the routers that read shared records: never cached by a shared cache,
and errors as ``{"detail", "errors"}`` bodies."""

from __future__ import annotations

from collections.abc import Callable
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


def answer(work: Callable[[], Any], where: str = "query") -> Response:
    """Run a service call; its errors as 4xx bodies naming what was wrong (404 missing or
    hidden, 403, 409, 422 with the field under ``where``, 422 with a file's problems)."""
    from critmin.ingest.errors import IngestError
    from critmin.services.entities import NotFound
    from critmin.services.tracker import Conflict, Forbidden, InvalidRecord

    try:
        return private_json(work())
    except NotFound as exc:
        return private_error(404, str(exc))
    except Forbidden as exc:
        return private_error(403, str(exc))
    except Conflict as exc:
        return private_error(409, str(exc))
    except InvalidRecord as exc:
        errors = [{**e, "field": f"{where}.{e['field']}"} for e in exc.errors]
        return private_error(422, "invalid request", errors)
    except IngestError as exc:
        problems = [p.to_dict() for p in exc.problems]
        return JSONResponse({"detail": str(exc).splitlines()[0], "problems": problems},
                            status_code=422, headers=PRIVATE)  # fmt: skip
