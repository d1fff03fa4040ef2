"""Typed dependencies shared by the routers: database session and the caller.

The caller comes from a bearer token, else (pages and API reads only) from the
dashboard's server-side session, whose random id is the ``sid`` in the signed
``critmin_session`` cookie; else the caller is anonymous.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Annotated

from annotated_types import Ge, Le
from fastapi import Depends, HTTPException, Request
from pydantic import BeforeValidator
from sqlalchemy.orm import Session

from critmin.config import Settings
from critmin.services.auth import ANONYMOUS, AuthError, Caller, Role, authenticate
from critmin.services.web_sessions import Lifetimes, resolve_session

SESSION_ID_KEY = "sid"
"""Where the server-side session id lives in the signed cookie."""


def _ascii_digits(value: object) -> object:
    """Path ids are written with the digits 0-9 only: not "١٢", " 1", "+1", "1_0" or "1.0"."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a whole number written with the digits 0-9")
    return value


def _iso_date(value: object) -> object:
    """Dates in a query are ISO 8601 calendar dates, not numbers ("0" is no date)."""
    if isinstance(value, str) and not ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
"""A date query parameter: ``YYYY-MM-DD`` only (``string``/``date`` in the OpenAPI)."""
MAX_ID = 2**31 - 1
AsciiId = Annotated[int, Ge(1), Le(MAX_ID), BeforeValidator(_ascii_digits)]
"""A record id in a path: 1 to 2**31 - 1 in ASCII digits only (``integer`` in the OpenAPI)."""


def get_session(request: Request) -> Iterator[Session]:
    """A session per request, committed (or rolled back) before the response is sent."""
    factory = request.app.state.session_factory
    with factory() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            status_code=401,
            detail="use 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def get_caller(request: Request, session: SessionDep) -> Caller:
    """The caller: from a bearer token, else from the web session cookie, else anonymous."""
    return resolve_caller(request, session)


def _cookie_auth_allowed(request: Request) -> bool:
    """The dashboard's session cookie authenticates pages and API reads, never API writes.

    API writes need a bearer token, so a cross-site request riding on a logged-in
    browser's cookie can change nothing (the dashboard's own forms are CSRF-checked).
    """
    return request.method in {"GET", "HEAD"} or not request.url.path.startswith("/api/")


def session_lifetimes(settings: Settings) -> Lifetimes:
    """The idle and absolute lifetimes of dashboard sessions."""
    return Lifetimes(
        idle=dt.timedelta(minutes=settings.session_idle_minutes),
        absolute=dt.timedelta(hours=settings.session_max_hours),
    )


def session_id(request: Request) -> str | None:
    """The dashboard session id from the signed cookie, if any."""
    if "session" not in request.scope:
        return None
    value = request.session.get(SESSION_ID_KEY)
    return value if isinstance(value, str) and value else None


def _session_caller(request: Request, session: Session) -> Caller:
    """The caller of the browser's live session; anonymous once it has ended."""
    if "session" in request.scope:
        request.session.pop("token", None)  # cookies from before sessions were server-side
    sid = session_id(request)
    if sid is None:
        return ANONYMOUS
    lifetimes = session_lifetimes(request.app.state.settings)
    caller = resolve_session(session=session, session_id=sid, lifetimes=lifetimes)
    if caller is None:
        request.session.pop(SESSION_ID_KEY, None)  # ended: the browser is anonymous again
        return ANONYMOUS
    return caller


def resolve_caller(request: Request, session: Session) -> Caller:
    """:func:`get_caller` as a plain function, for handlers that manage their own session."""
    cached = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    token = bearer_token(request)
    if token is not None:
        try:
            caller = authenticate(session=session, token=token)
        except AuthError as exc:
            raise HTTPException(
                status_code=401, detail=str(exc), headers={"WWW-Authenticate": "Bearer"}
            ) from None
    elif _cookie_auth_allowed(request):
        caller = _session_caller(request, session)
    else:
        caller = ANONYMOUS
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


def require(role: Role):
    """A dependency that demands an authenticated caller with at least ``role``."""

    def _check(caller: CallerDep) -> Caller:
        if caller.anonymous:
            raise HTTPException(
                status_code=401,
                detail="this needs an API token: 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not caller.at_least(role):
            raise HTTPException(status_code=403, detail=f"this needs a {role.value} token")
        return caller

    return _check


EditorDep = Annotated[Caller, Depends(require(Role.EDITOR))]
AdminDep = Annotated[Caller, Depends(require(Role.ADMIN))]
