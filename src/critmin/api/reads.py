"""The hot read path shared by the list, detail and statistics endpoints.

A read runs with one autocommit session (no BEGIN/COMMIT round trips) and resolves
the caller in the same place, so a request costs at most one worker-thread hop. On
SQLite it costs none: a query answers in microseconds and, in WAL mode (which
``store.db.make_engine`` sets), readers never wait for writers, so the work runs on
the event loop, as datasette does with ``num_sql_threads=0``. A thread hop would cost
more CPU than the query and, on a busy core, add the GIL's switch interval to the
tail latency. PostgreSQL answers over the network, so its reads run on a small pool
of worker threads (``app.state.read_limiter``).

Responses are encoded with orjson: compact UTF-8 JSON (NaN and infinities as null),
many times faster than the standard library's encoder.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import anyio.to_thread
import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from critmin.api.cache import Rendered, generation
from critmin.api.deps import resolve_caller
from critmin.services.auth import Caller

T = TypeVar("T")
JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps(data: Any) -> bytes:
    """``data`` as compact UTF-8 JSON (NaN and infinities become null)."""
    return orjson.dumps(data, option=JSON_OPTIONS)


def json_response(data: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), media_type="application/json", headers=headers)


def inline_reads(request: Request) -> bool:
    """Whether reads run on the event loop (SQLite) rather than in a worker thread."""
    state = request.app.state
    inline = getattr(state, "inline_reads", None)
    if inline is None:
        inline = state.inline_reads = state.engine.dialect.name == "sqlite"
    return inline


def cached(
    request: Request, session: Session, key: Hashable, render: Callable[[], tuple[bytes, str]]
) -> Rendered:
    """The app's response cache for ``key`` (body and ETag from ``render``), checked
    against the data generation read with ``session``."""
    cache = request.app.state.response_cache
    return cache.get_or_render(key, lambda: generation(session), render)


async def read(request: Request, work: Callable[[Session, Caller], T]) -> T:
    """``work(session, caller)`` with a read-only autocommit session, at most one hop."""

    def run() -> T:
        with request.app.state.read_session_factory() as session:
            return work(session, resolve_caller(request, session))

    if inline_reads(request):
        return run()
    return await anyio.to_thread.run_sync(run, limiter=request.app.state.read_limiter)
