"""Typed dependencies shared by the routers: database session and the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from critmin.services.auth import ANONYMOUS, AuthError, Caller, Role, authenticate


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


def resolve_caller(request: Request, session: Session) -> Caller:
    """:func:`get_caller` as a plain function, for handlers that manage their own session."""
    cached = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    token = bearer_token(request)
    if token is None and "session" in request.scope and _cookie_auth_allowed(request):
        token = request.session.get("token")
    try:
        caller = authenticate(session=session, token=token) if token else ANONYMOUS
    except AuthError as exc:
        if "session" in request.scope and request.session.get("token") == token:
            request.session.clear()
            caller = ANONYMOUS
        else:
            raise HTTPException(
                status_code=401, detail=str(exc), headers={"WWW-Authenticate": "Bearer"}
            ) from None
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
